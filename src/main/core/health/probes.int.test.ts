import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeSpec } from '../../../shared/model.js';
import { createProbeRunner, runProbe, TCP_FALLBACK_DETAIL, type ProbeEnv } from './probes.js';

const HOST = '127.0.0.1';

const env: ProbeEnv = { cwd: '.', env: {}, isAlive: () => true, logMatched: () => false };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Running<S extends net.Server> {
  server: S;
  port: number;
  /** Server-side sockets still open. */
  open: Set<net.Socket>;
  accepted: () => number;
}

async function listen<S extends net.Server>(server: S): Promise<Running<S>> {
  const open = new Set<net.Socket>();
  let accepted = 0;
  server.on('connection', (s: net.Socket) => {
    accepted++;
    open.add(s);
    s.on('error', () => {});
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = (server.address() as net.AddressInfo).port;
  cleanups.push(async () => {
    for (const s of open) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { server, port, open, accepted: () => accepted };
}

/** An HTTP server; records the paths it was asked for. */
async function httpServer(handler: http.RequestListener) {
  const paths: string[] = [];
  const running = await listen(
    http.createServer((req, res) => {
      paths.push(req.url ?? '');
      handler(req, res);
    }),
  );
  return { ...running, paths };
}

/** A TCP server that accepts, reads (so it sees the client close) and never says a word. */
function silentServer() {
  return listen(net.createServer((s) => s.resume()));
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, HOST, resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Polls until `cond` holds, at most `ms`. */
async function until(cond: () => boolean, ms = 5_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

const httpSpec = (
  port: number,
  over: Partial<Extract<ProbeSpec, { type: 'http' }>> = {},
): ProbeSpec => ({
  type: 'http',
  host: HOST,
  port,
  path: '/health',
  expectStatus: 200,
  headers: {},
  ...over,
});

describe('http probe', () => {
  it('is ok on the expected status and sends the configured headers', async () => {
    let auth: string | undefined;
    let connection: string | undefined;
    const srv = await httpServer((req, res) => {
      auth = req.headers['authorization'];
      connection = req.headers['connection'];
      res.end('ok');
    });
    const r = await runProbe(
      httpSpec(srv.port, { headers: { authorization: 'Bearer t0k3n' } }),
      2_000,
      env,
    );
    expect(r).toMatchObject({
      ok: true,
      timedOut: false,
      probe: 'http',
      detail: 'HTTP 200 /health',
    });
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(auth).toBe('Bearer t0k3n');
    expect(connection).toBe('close');
  });

  it('honours another expected status', async () => {
    const srv = await httpServer((_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    expect(await runProbe(httpSpec(srv.port, { expectStatus: 204 }), 2_000, env)).toMatchObject({
      ok: true,
      detail: 'HTTP 204 /health',
    });
    expect(await runProbe(httpSpec(srv.port), 2_000, env)).toMatchObject({
      ok: false,
      detail: 'HTTP 204 /health',
    });
  });

  it('fails on a wrong status with the first 200 characters of the body', async () => {
    const body = 'database   unreachable\n' + 'x'.repeat(1_000);
    const srv = await httpServer((_req, res) => {
      res.statusCode = 503;
      res.end(body);
    });
    const r = await runProbe(httpSpec(srv.port), 2_000, env);
    expect(r.ok).toBe(false);
    expect(r.timedOut).toBe(false);
    const expected = `HTTP 503 /health: ${'database unreachable ' + 'x'.repeat(1_000)}`.slice(
      0,
      'HTTP 503 /health: '.length + 200,
    );
    expect(r.detail).toBe(expected);
  });

  it('stops reading an endless body and closes the connection', async () => {
    const srv = await httpServer((_req, res) => {
      res.statusCode = 500;
      res.write('E'.repeat(1024));
      const t = setInterval(() => res.write('E'.repeat(1024)), 5);
      res.on('close', () => clearInterval(t));
    });
    const r = await runProbe(httpSpec(srv.port), 5_000, env);
    expect(r).toMatchObject({ ok: false, timedOut: false });
    expect(r.detail).toBe(`HTTP 500 /health: ${'E'.repeat(200)}`);
    expect(await until(() => srv.open.size === 0)).toBe(true);
  });

  it('reports a refused connection with its address', async () => {
    const port = await freePort();
    const r = await runProbe(httpSpec(port), 2_000, env);
    expect(r).toMatchObject({ ok: false, timedOut: false, detail: `ECONNREFUSED ${HOST}:${port}` });
  });

  it('times out against a server that accepts and never answers', async () => {
    const srv = await silentServer();
    const r = await runProbe(httpSpec(srv.port), 100, env);
    expect(r).toMatchObject({ ok: false, timedOut: true, detail: 'timed out after 100ms' });
    expect(await until(() => srv.open.size === 0)).toBe(true);
  });

  it('leaks no sockets or timers over 1 000 timed-out probes', async () => {
    const srv = await silentServer();
    const spec = httpSpec(srv.port);
    const count = (): number =>
      process
        .getActiveResourcesInfo()
        .filter((t) => t === 'TCPSocketWrap' || t === 'Timeout' || t === 'TCPWRAP').length;
    // one warm-up round so that lazily created handles exist before the baseline
    await runProbe(spec, 100, env);
    await until(() => srv.open.size === 0);
    const before = count();

    const results = [];
    for (let batch = 0; batch < 10; batch++) {
      results.push(
        ...(await Promise.all(Array.from({ length: 100 }, () => runProbe(spec, 100, env)))),
      );
    }
    expect(results).toHaveLength(1_000);
    expect(results.every((r) => r.timedOut && !r.ok)).toBe(true);
    expect(await until(() => srv.open.size === 0)).toBe(true);
    // The probes really reached the server (on a very busy machine a few may give up while
    // still connecting; normally all 1 000 connect).
    expect(srv.accepted()).toBeGreaterThan(500);
    expect(await until(() => count() <= before)).toBe(true);
  });

  it('stops at once when aborted, closing its connection', async () => {
    const srv = await silentServer();
    const ctl = new AbortController();
    const p = runProbe(httpSpec(srv.port), 10_000, env, { signal: ctl.signal });
    await until(() => srv.open.size === 1);
    ctl.abort();
    expect(await p).toMatchObject({ ok: false, timedOut: false, detail: 'probe aborted' });
    expect(await until(() => srv.open.size === 0)).toBe(true);
  });
});

describe('default probe', () => {
  const spec = (port: number): ProbeSpec => ({ type: 'default', host: HOST, port });

  it('tries /health, /api/health, /status in order and remembers the one that answered', async () => {
    const srv = await httpServer((req, res) => {
      res.statusCode = req.url === '/status' ? 200 : 404;
      res.end();
    });
    const runner = createProbeRunner(spec(srv.port));
    expect(await runner.run(2_000, env)).toMatchObject({
      ok: true,
      probe: 'default',
      detail: 'HTTP 200 /status',
    });
    expect(srv.paths).toEqual(['/health', '/api/health', '/status']);
    srv.paths.length = 0;
    expect(await runner.run(2_000, env)).toMatchObject({ ok: true, detail: 'HTTP 200 /status' });
    expect(srv.paths).toEqual(['/status']);
  });

  it('runProbe keeps that memory per spec object', async () => {
    const srv = await httpServer((req, res) => {
      res.statusCode = req.url === '/ping' ? 200 : 404;
      res.end();
    });
    const s = spec(srv.port);
    await runProbe(s, 2_000, env);
    srv.paths.length = 0;
    await runProbe(s, 2_000, env);
    expect(srv.paths).toEqual(['/ping']);
  });

  it('goes back to the full order when the remembered path stops answering 2xx', async () => {
    let good = '/status';
    const srv = await httpServer((req, res) => {
      res.statusCode = req.url === good ? 200 : 404;
      res.end();
    });
    const runner = createProbeRunner(spec(srv.port));
    await runner.run(2_000, env);
    good = '/health';
    srv.paths.length = 0;
    expect(await runner.run(2_000, env)).toMatchObject({ ok: true, detail: 'HTTP 200 /health' });
    expect(srv.paths).toEqual(['/status', '/health']);
  });

  it('fails on a 5xx from a health endpoint, with its body', async () => {
    const srv = await httpServer((_req, res) => {
      res.statusCode = 503;
      res.end('draining');
    });
    expect(await runProbe(spec(srv.port), 2_000, env)).toMatchObject({
      ok: false,
      timedOut: false,
      detail: 'HTTP 503 /health: draining',
    });
    expect(srv.paths).toEqual(['/health']);
  });

  it('is ok when the server answers HTTP but has no health endpoint', async () => {
    const srv = await httpServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    expect(await runProbe(spec(srv.port), 2_000, env)).toMatchObject({
      ok: true,
      detail: TCP_FALLBACK_DETAIL,
    });
    expect(srv.paths).toEqual(['/health', '/api/health', '/status', '/ping']);
  });

  it('falls back to TCP for a plain TCP server that stays silent', async () => {
    const received: Buffer[] = [];
    const srv = await listen(net.createServer((s) => s.on('data', (d) => received.push(d))));
    const runner = createProbeRunner(spec(srv.port));
    expect(await runner.run(400, env)).toMatchObject({
      ok: true,
      timedOut: false,
      detail: TCP_FALLBACK_DETAIL,
    });
    expect(Buffer.concat(received).toString()).toMatch(/^GET \/health HTTP/);
    // remembered: the next run is a bare connect, no HTTP request
    received.length = 0;
    const before = srv.accepted();
    expect(await runner.run(400, env)).toMatchObject({ ok: true, detail: TCP_FALLBACK_DETAIL });
    expect(await until(() => srv.accepted() === before + 1)).toBe(true);
    await until(() => srv.open.size === 0);
    expect(received).toEqual([]);
  });

  it('falls back to TCP for a server that answers something that is not HTTP', async () => {
    const srv = await listen(net.createServer((s) => s.end('-ERR unknown command\r\n')));
    expect(await runProbe(spec(srv.port), 2_000, env)).toMatchObject({
      ok: true,
      detail: TCP_FALLBACK_DETAIL,
    });
  });

  it('fails when nothing listens', async () => {
    const port = await freePort();
    expect(await runProbe(spec(port), 2_000, env)).toMatchObject({
      ok: false,
      timedOut: false,
      detail: `ECONNREFUSED ${HOST}:${port}`,
    });
  });

  it('once the port answered HTTP, a hang is a timeout, not a TCP success', async () => {
    let hang = false;
    const srv = await httpServer((_req, res) => {
      if (!hang) res.end('ok');
    });
    const runner = createProbeRunner(spec(srv.port));
    expect((await runner.run(2_000, env)).ok).toBe(true);
    hang = true;
    expect(await runner.run(200, env)).toMatchObject({
      ok: false,
      timedOut: true,
      detail: 'timed out after 200ms',
    });
  });
});

describe('tcp probe', () => {
  it('is ok when it connects, and closes the connection', async () => {
    const srv = await silentServer();
    const r = await runProbe({ type: 'tcp', host: HOST, port: srv.port }, 2_000, env);
    expect(r).toMatchObject({
      ok: true,
      timedOut: false,
      probe: 'tcp',
      detail: `tcp connect ok ${HOST}:${srv.port}`,
    });
    expect(await until(() => srv.accepted() === 1)).toBe(true);
    expect(await until(() => srv.open.size === 0)).toBe(true);
  });

  it('fails when the connection is refused', async () => {
    const port = await freePort();
    expect(await runProbe({ type: 'tcp', host: HOST, port }, 2_000, env)).toMatchObject({
      ok: false,
      timedOut: false,
      detail: `ECONNREFUSED ${HOST}:${port}`,
    });
  });
});
