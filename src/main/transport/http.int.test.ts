/**
 * Over 500 lines: one server per file keeps the suite fast; the cases are grouped by concern
 * (security, routes, stream, static files).
 *
 * The HTTP server against real sockets: the security rules of docs/ARCHITECTURE.md (Transports:
 * Host, Origin, token, JSON bodies), the extra routes, the OpenAPI document matching what is
 * served, the WebSocket stream (snapshot first, sequence, batching, slow clients) and the static
 * files of the browser UI.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { z } from 'zod';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, MAX_BODY_BYTES, contract, responseKindOf } from '../../shared/contract.js';
import type { StreamMessage } from '../../shared/events.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { FakeVigil } from './testing/fake-api.js';
import { WITHOUT_OUTPUT_SCHEMA } from './testing/outputs.js';
import { startHttpServer, type HttpServerHandle, type HttpServerOptions } from './http.js';
import { ROUTES } from './routes.js';

const TOKEN = 'http-test-token-abcdefghijklmnop';

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

interface RequestOptions {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** Leave out the Authorization header. */
  readonly noAuth?: boolean;
  readonly body?: string;
  /** Send the body with chunked encoding (no Content-Length). */
  readonly chunked?: boolean;
}

function request(port: number, opts: RequestOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      Host: `127.0.0.1:${port}`,
      ...(opts.noAuth ? {} : { Authorization: `Bearer ${TOKEN}` }),
      ...(opts.body !== undefined && !opts.chunked
        ? { 'Content-Length': String(Buffer.byteLength(opts.body)) }
        : {}),
      ...opts.headers,
    };
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const errorCode = (r: Reply): unknown =>
  (JSON.parse(r.body) as { error: { code: string } }).error.code;

/** A concrete URL path for a route: `:name` becomes an existing service. */
function concretePath(routePath: string): string {
  return routePath.replace(/:([a-z_]+)/g, 'api');
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let fake: FakeVigil;
let server: HttpServerHandle;
let staticDir: string;
let outsideDir: string;
const warnings: string[] = [];
const recordingLogger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };

async function start(extra: Partial<HttpServerOptions> = {}): Promise<HttpServerHandle> {
  return startHttpServer({
    api: fake.api,
    events: fake,
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    logger: recordingLogger,
    metrics: () => fake.metricsText,
    staticDir,
    ...extra,
  });
}

beforeAll(() => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-http-'));
  staticDir = path.join(root, 'ui');
  outsideDir = path.join(root, 'outside');
  fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  fs.mkdirSync(outsideDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Vigil</title>');
  fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log("vigil")');
  fs.writeFileSync(path.join(outsideDir, 'secret.txt'), 'TOP SECRET');
  fs.symlinkSync(path.join(outsideDir, 'secret.txt'), path.join(staticDir, 'link.txt'));
  fs.symlinkSync(outsideDir, path.join(staticDir, 'linkdir'));
});

afterAll(() => {
  fs.rmSync(path.dirname(staticDir), { recursive: true, force: true });
});

beforeEach(async () => {
  fake = new FakeVigil();
  warnings.length = 0;
  server = await start();
});

afterEach(async () => {
  await server.close();
});

describe('binding', () => {
  it('listens on 127.0.0.1 only, without a network warning', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(warnings).toEqual([]);
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) {
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const s = net.connect({ host: external.address, port: server.port });
        s.on('connect', () => {
          s.destroy();
          resolve(null);
        });
        s.on('error', (e) => resolve(e));
      });
      expect(err?.code).toBe('ECONNREFUSED');
    }
  });

  it('refuses to start with an empty token', async () => {
    await expect(start({ token: '' })).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });
  });
});

describe('logging', () => {
  it('never logs the token or request bodies', async () => {
    const lines: string[] = [];
    const capture = (m: string, f?: Record<string, unknown>) =>
      lines.push(m + JSON.stringify(f ?? {}));
    const logger: Logger = {
      ...silentLogger,
      debug: capture,
      info: capture,
      warn: capture,
      error: capture,
    };
    await server.close();
    server = await start({ logger });
    fake.failures.set('quarantineService', new Error('failed'));
    await request(server.port, { path: `/?token=${TOKEN}`, noAuth: true });
    await request(server.port, { path: `/orchestrator/status?token=${TOKEN}`, noAuth: true });
    await request(server.port, {
      method: 'POST',
      path: '/orchestrator/quarantine/api',
      headers: { 'Content-Type': 'application/json' },
      body: '{"reason":"body-marker-123"}',
    });
    await request(server.port, {
      method: 'POST',
      path: '/orchestrator/restart/api',
      headers: { 'Content-Type': 'application/json' },
      body: '{"force": body-marker-456',
    });
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/orchestrator/stream?token=${TOKEN}`);
    await new Promise((r) => ws.on('message', r));
    ws.terminate();
    expect(lines.length).toBeGreaterThan(3);
    const all = lines.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('body-marker');
  });
});

describe('authentication', () => {
  const authenticated = ROUTES.filter((r) => r.authenticated);

  it.each(authenticated.map((r) => [r.method, r.path] as const))(
    '%s %s without a token is 401 and runs nothing',
    async (method, routePath) => {
      const r = await request(server.port, {
        method,
        path: concretePath(routePath),
        noAuth: true,
        ...(method === 'POST'
          ? { headers: { 'Content-Type': 'application/json' }, body: '{}' }
          : {}),
      });
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(errorCode(r)).toBe('UNAUTHORIZED');
      expect(fake.calls).toEqual([]);
    },
  );

  it.each([
    ['a wrong token of the same length', `Bearer ${'x'.repeat(TOKEN.length)}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['another scheme', `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`],
    ['the token without scheme', TOKEN],
  ])('refuses %s', async (_what, authorization) => {
    for (const name of COMMAND_NAMES) {
      const def = contract[name];
      const r = await request(server.port, {
        method: def.method,
        path: concretePath(def.path),
        headers: { Authorization: authorization, 'Content-Type': 'application/json' },
        ...(def.method === 'POST' ? { body: '{}' } : {}),
      });
      expect(r.status, name).toBe(401);
    }
    expect(fake.calls).toEqual([]);
  });

  it('accepts the token in the vigil_token cookie and records the ui actor', async () => {
    const r = await request(server.port, {
      method: 'POST',
      path: '/orchestrator/stop/db',
      noAuth: true,
      headers: {
        Cookie: `theme=dark; vigil_token=${TOKEN}`,
        'Content-Type': 'application/json',
        'X-Vigil-Client': 'ui',
      },
      body: '',
    });
    expect(r.status).toBe(200);
    expect(fake.calls).toEqual([{ command: 'stopService', input: { name: 'db' }, actor: 'ui' }]);
  });

  it('records the api actor when no client header is sent', async () => {
    await request(server.port, { path: '/orchestrator/status' });
    expect(fake.calls[0]?.actor).toBe('api');
  });

  it('answers /healthz without a token, and nothing else', async () => {
    const r = await request(server.port, { path: '/healthz', noAuth: true });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ok: true });
    expect(fake.calls).toEqual([]);
  });
});

describe('Host and Origin', () => {
  const hostile = (port: number) => [
    'evil.example',
    `evil.example:${port}`,
    `127.0.0.1:${port + 1}`,
    '127.0.0.1',
    `localhost.evil.example:${port}`,
    `127.0.0.1:${port}.evil.example`,
  ];

  it('refuses a foreign Host on every route, even with the token', async () => {
    for (const host of hostile(server.port)) {
      for (const route of ROUTES) {
        const r = await request(server.port, {
          method: route.method,
          path: concretePath(route.path),
          headers: { Host: host, 'Content-Type': 'application/json' },
          ...(route.method === 'POST' ? { body: '{}' } : {}),
        });
        expect(r.status, `${host} ${route.path}`).toBe(403);
        expect(errorCode(r)).toBe('FORBIDDEN');
      }
    }
    const ui = await request(server.port, { path: '/', headers: { Host: 'evil.example' } });
    expect(ui.status).toBe(403);
    expect(fake.calls).toEqual([]);
  });

  it('accepts localhost, 127.0.0.1 and [::1] with the port', async () => {
    for (const host of ['localhost', '127.0.0.1', '[::1]', 'LOCALHOST']) {
      const r = await request(server.port, {
        path: '/orchestrator/services',
        headers: { Host: `${host}:${server.port}` },
      });
      expect(r.status, host).toBe(200);
    }
  });

  it('refuses a foreign Origin and accepts its own', async () => {
    for (const origin of [
      'http://evil.example',
      `http://evil.example:${server.port}`,
      `http://127.0.0.1:${server.port + 1}`,
      `https://127.0.0.1:${server.port}`,
      'null',
    ]) {
      const r = await request(server.port, {
        method: 'POST',
        path: '/orchestrator/restart/api',
        headers: { Origin: origin, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(r.status, origin).toBe(403);
    }
    expect(fake.calls).toEqual([]);
    for (const origin of [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`]) {
      const r = await request(server.port, {
        method: 'POST',
        path: '/orchestrator/restart/api',
        headers: { Origin: origin, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(r.status, origin).toBe(200);
    }
  });
});

describe('request bodies', () => {
  const post = (headers: Record<string, string>, body?: string, chunked = false) =>
    request(server.port, {
      method: 'POST',
      path: '/orchestrator/restart/api',
      headers,
      ...(body !== undefined ? { body } : {}),
      chunked,
    });

  it('needs application/json (415 otherwise)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const r = await post({ 'Content-Type': type }, '{"force":true}');
      expect(r.status, type).toBe(415);
      expect(errorCode(r)).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    expect((await post({}, '{}')).status).toBe(415);
    expect((await post({ 'Content-Type': 'application/json; charset=utf-8' }, '{}')).status).toBe(
      200,
    );
    expect(fake.calls).toHaveLength(1);
  });

  it('treats an empty body as {}', async () => {
    const r = await post({ 'Content-Type': 'application/json' }, '');
    expect(r.status).toBe(200);
    expect(fake.calls[0]?.input).toEqual({ name: 'api' });
  });

  it('refuses a 70 KB body with 413, declared or chunked', async () => {
    const big = JSON.stringify({ force: true, pad: 'x'.repeat(70 * 1024) });
    const declared = await post({ 'Content-Type': 'application/json' }, big);
    expect(declared.status).toBe(413);
    expect(errorCode(declared)).toBe('PAYLOAD_TOO_LARGE');
    const chunked = await post({ 'Content-Type': 'application/json' }, big, true);
    expect(chunked.status).toBe(413);
    expect(fake.calls).toEqual([]);
    // A body just under the limit is read (and then refused for its unknown key).
    const fits = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES - 20) });
    expect((await post({ 'Content-Type': 'application/json' }, fits)).status).toBe(400);
  });

  it('refuses JSON nested deeper than 20 levels', async () => {
    const deep = '{"force":' + '['.repeat(25) + ']'.repeat(25) + '}';
    const r = await post({ 'Content-Type': 'application/json' }, deep);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.message).toMatch(/nested too deeply/);
    // Brackets inside strings do not count.
    const inString = JSON.stringify({ reason: '['.repeat(100) });
    const q = await request(server.port, {
      method: 'POST',
      path: '/orchestrator/quarantine/api',
      headers: { 'Content-Type': 'application/json' },
      body: inString,
    });
    expect(q.status).toBe(200);
  });

  it('refuses malformed JSON and non-object bodies with 400', async () => {
    for (const body of ['{"force": tru', '[]', '"text"', '42', 'null', '{"force":true}}']) {
      const r = await post({ 'Content-Type': 'application/json' }, body);
      expect(r.status, body).toBe(400);
      expect(errorCode(r)).toBe('BAD_REQUEST');
    }
    expect(fake.calls).toEqual([]);
  });

  it('names the bad field, and refuses a body that contradicts the path', async () => {
    const r = await post({ 'Content-Type': 'application/json' }, '{"force":"yes"}');
    expect(JSON.parse(r.body)).toEqual({
      error: {
        code: 'BAD_REQUEST',
        message: expect.stringContaining('force') as unknown,
        field: 'force',
      },
    });
    const other = await post({ 'Content-Type': 'application/json' }, '{"name":"db"}');
    expect(other.status).toBe(400);
    expect(JSON.parse(other.body).error.field).toBe('name');
    expect(fake.calls).toEqual([]);
  });

  it('refuses a query key given twice', async () => {
    const r = await request(server.port, { path: '/orchestrator/logs/api?tail=1&tail=2' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.field).toBe('tail');
  });
});

describe('routing and responses', () => {
  it('404 for an unknown path, 405 with Allow for a wrong method', async () => {
    const unknown = await request(server.port, { path: '/orchestrator/nothing-here' });
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe('NOT_FOUND');
    const wrong = await request(server.port, { method: 'GET', path: '/orchestrator/restart/api' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('POST');
    expect(JSON.parse(wrong.body).error.code).toBe('BAD_REQUEST');
    const healthz = await request(server.port, { method: 'POST', path: '/healthz', noAuth: true });
    expect(healthz.status).toBe(405);
    expect(healthz.headers['allow']).toBe('GET');
    const put = await request(server.port, { method: 'PUT', path: '/orchestrator/status' });
    expect(put.status).toBe(405);
    expect(put.headers['allow']).toBe('GET');
    expect(fake.calls).toEqual([]);
  });

  it('sets no-store and nosniff on every answer', async () => {
    for (const p of ['/orchestrator/status', '/healthz', '/nope', '/metrics', '/']) {
      const r = await request(server.port, { path: p });
      expect(r.headers['cache-control'], p).toBe('no-store');
      expect(r.headers['x-content-type-options'], p).toBe('nosniff');
    }
  });

  it('an undecodable service name is a 400', async () => {
    const r = await request(server.port, { path: '/orchestrator/services/%E0%A4%A' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.field).toBe('name');
  });

  it('serves /metrics as Prometheus text', async () => {
    const r = await request(server.port, { path: '/metrics' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toBe(fake.metricsText);
  });

  it('serves a report as its own content type, as an attachment', async () => {
    const r = await request(server.port, { path: '/orchestrator/report?format=html&since=1h' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['content-disposition']).toBe('attachment; filename="vigil-report.html"');
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.body).toContain('<h1>Healing report</h1>');
    expect(fake.calls[0]?.input).toEqual({ format: 'html', since: '1h' });
  });
});

describe('OpenAPI document', () => {
  type Doc = {
    openapi: string;
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  };
  const fetchDoc = async (): Promise<Doc> =>
    JSON.parse((await request(server.port, { path: '/orchestrator/openapi.json' })).body) as Doc;

  it('describes exactly the routes that are served', async () => {
    const doc = await fetchDoc();
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const routes = ROUTES.map((r) => `${r.method} ${r.path.replace(/:([a-z_]+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual(routes.sort());
    // DELETE removes the service the other calls name: it goes last.
    const calls = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.entries(ops).map(([method, op]) => [p, method, op] as const))
      .sort((a, b) => Number(a[1] === 'delete') - Number(b[1] === 'delete'));
    for (const [p, method, op] of calls) {
      const url = p.replace(/\{[a-z_]+\}/g, 'api');
      const r = await request(server.port, {
        method: method.toUpperCase(),
        path: url,
        headers: { 'Content-Type': 'application/json' },
        ...(method === 'post' ? { body: '{}' } : {}),
      });
      // Served means routed to its handler: 200, or 400 from the input check (register, watch
      // and scale need a body), or 426 for the stream (a WebSocket) — never 404 or 405.
      const expected =
        p === '/orchestrator/stream'
          ? [426]
          : p === '/orchestrator/register' ||
              p === '/orchestrator/watch/{name}' ||
              p === '/orchestrator/scale/{name}'
            ? [400]
            : p === '/orchestrator/failover/{name}'
              ? [200, 409]
              : [200];
      expect(expected, `${method} ${p}: ${r.body}`).toContain(r.status);
      const pathParams = (op.parameters ?? []).filter((x) => x.in === 'path').map((x) => x.name);
      expect(pathParams).toEqual([...p.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]));
    }
  });

  it('documents every command, with query parameters for GET and a body for POST', async () => {
    const doc = (await fetchDoc()) as unknown as {
      paths: Record<
        string,
        Record<
          string,
          {
            operationId: string;
            parameters?: { name: string; in: string }[];
            requestBody?: unknown;
          }
        >
      >;
    };
    const ops = Object.values(doc.paths).flatMap((o) => Object.values(o));
    for (const name of COMMAND_NAMES) expect(ops.map((o) => o.operationId)).toContain(name);
    const logs = doc.paths['/orchestrator/logs/{name}']!['get']!;
    expect(logs.parameters?.map((x) => `${x.in}:${x.name}`)).toEqual([
      'path:name',
      'query:tail',
      'query:since',
      'query:instance',
    ]);
    expect(doc.paths['/orchestrator/restart/{name}']!['post']!.requestBody).toMatchObject({
      content: { 'application/json': { schema: { properties: { force: { type: 'boolean' } } } } },
    });
  });

  it("documents every JSON command's answer with its schema, never a bare object", async () => {
    type Schema = { $ref?: string; type?: string; properties?: Record<string, unknown> };
    const doc = (await fetchDoc()) as unknown as {
      paths: Record<
        string,
        Record<
          string,
          { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }
        >
      >;
      components: { schemas: Record<string, Schema> };
    };
    let documented = 0;
    for (const name of COMMAND_NAMES) {
      const kind = responseKindOf(name);
      if (kind.kind !== 'json' || WITHOUT_OUTPUT_SCHEMA.has(name)) continue;
      const { path: p, method } = contract[name];
      const op = doc.paths[p.replace(/:([a-z_]+)/g, '{$1}')]![method.toLowerCase()]!;
      const schema = op.responses['200']!.content!['application/json']!.schema;
      expect(schema, name).not.toEqual({ type: 'object' });
      const ref = schema.$ref ?? '';
      expect(ref, name).toMatch(/^#\/components\/schemas\/\w+$/);
      const body = doc.components.schemas[ref.split('/').pop()!];
      expect(body?.type, name).toBe('object');
      // The fields of the declared output schema, every one of them.
      expect(Object.keys(body?.properties ?? {}), name).toEqual(
        Object.keys((kind.schema as z.ZodObject).shape),
      );
      documented += 1;
    }
    expect(documented).toBe(COMMAND_NAMES.length - 1 - WITHOUT_OUTPUT_SCHEMA.size);
  });
});

describe('browser UI files and the token bootstrap', () => {
  it('serves / and assets without a token, HTML with a CSP', async () => {
    const index = await request(server.port, { path: '/', noAuth: true });
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>Vigil</title>');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    const js = await request(server.port, { path: '/assets/app.js', noAuth: true });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it.each([
    '/../outside/secret.txt',
    '/assets/../../outside/secret.txt',
    '/%2e%2e/outside/secret.txt',
    '/%2E%2E%2Foutside%2Fsecret.txt',
    '/assets/..%2f..%2foutside%2fsecret.txt',
    '/..%5coutside%5csecret.txt',
    '/index.html%00.js',
    '/link.txt',
    '/linkdir/secret.txt',
    '/assets',
  ])('refuses %s', async (p) => {
    const r = await request(server.port, { path: p });
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('TOP SECRET');
  });

  it('trades ?token= for an HttpOnly cookie and redirects to a clean URL', async () => {
    const r = await request(server.port, { path: `/?token=${TOKEN}`, noAuth: true });
    expect(r.status).toBe(302);
    expect(r.headers['location']).toBe('/');
    const cookie = r.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(new RegExp(`^vigil_token=${TOKEN};`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const api = await request(server.port, {
      path: '/orchestrator/services',
      noAuth: true,
      headers: { Cookie: cookie.split(';')[0]! },
    });
    expect(api.status).toBe(200);
  });

  it('refuses a wrong ?token= without setting a cookie', async () => {
    const r = await request(server.port, { path: '/?token=nope', noAuth: true });
    expect(r.status).toBe(401);
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('does not accept ?token= on API routes', async () => {
    const r = await request(server.port, {
      path: `/orchestrator/status?token=${TOKEN}`,
      noAuth: true,
    });
    expect(r.status).toBe(401);
  });
});

describe('WebSocket stream', () => {
  interface Conn {
    readonly ws: WebSocket;
    readonly messages: StreamMessage[];
    readonly closed: Promise<{ code: number; reason: string }>;
  }

  const wsUrl = (query = `?token=${TOKEN}`) =>
    `ws://127.0.0.1:${server.port}/orchestrator/stream${query}`;

  function connect(url: string, headers: Record<string, string> = {}): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const messages: StreamMessage[] = [];
      const closed = new Promise<{ code: number; reason: string }>((r) =>
        ws.on('close', (code, reason) => r({ code, reason: reason.toString() })),
      );
      ws.on('message', (data) => messages.push(JSON.parse(String(data)) as StreamMessage));
      ws.on('open', () => resolve({ ws, messages, closed }));
      ws.on('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
      ws.on('error', reject);
    });
  }

  const opened: WebSocket[] = [];
  afterEach(() => {
    for (const ws of opened.splice(0)) ws.terminate();
  });
  const open = async (url = wsUrl(), headers: Record<string, string> = {}) => {
    const c = await connect(url, headers);
    opened.push(c.ws);
    return c;
  };

  it('is refused without a token, with a wrong one, a foreign Origin or Host', async () => {
    await expect(connect(wsUrl(''))).rejects.toThrow('refused: 401');
    await expect(connect(wsUrl('?token=wrong'))).rejects.toThrow('refused: 401');
    await expect(connect(wsUrl(), { Origin: 'http://evil.example' })).rejects.toThrow(
      'refused: 403',
    );
    await expect(connect(wsUrl(), { Host: `evil.example:${server.port}` })).rejects.toThrow(
      'refused: 403',
    );
    expect(fake.listenerCount).toBe(0);
  });

  it('accepts the token in the Authorization header or the cookie', async () => {
    const a = await open(wsUrl(''), { Authorization: `Bearer ${TOKEN}` });
    const b = await open(wsUrl(''), { Cookie: `vigil_token=${TOKEN}` });
    await waitFor('snapshots', () => a.messages.length === 1 && b.messages.length === 1);
  });

  it('sends the snapshot first, then events with increasing seq', async () => {
    const c = await open();
    await waitFor('snapshot', () => c.messages.length === 1);
    expect(c.messages[0]).toMatchObject({ seq: 1, type: 'snapshot' });
    expect((c.messages[0]!.payload as { services: unknown[] }).services).toHaveLength(2);
    fake.serviceEvent('api', 'stopping');
    fake.serviceEvent('api', 'stopped');
    await waitFor('events', () => c.messages.length === 3);
    expect(c.messages.map((m) => [m.seq, m.type])).toEqual([
      [1, 'snapshot'],
      [2, 'service_event'],
      [3, 'service_event'],
    ]);
    expect(c.messages[2]!.payload).toMatchObject({ service: 'api', to: 'stopped' });
    expect(typeof c.messages[1]!.ts).toBe('number');
  });

  it('batches health and log events into one array per type, flushed before other events', async () => {
    await server.close();
    server = await start({ batchMs: 5_000 });
    const c = await open();
    await waitFor('snapshot', () => c.messages.length === 1);
    fake.healthEvent('api');
    fake.log('api', 'one');
    fake.healthEvent('db', false);
    fake.log('db', 'two');
    fake.log('api', 'three');
    // Nothing yet: the batch interval (5 s) has not passed.
    await new Promise((r) => setTimeout(r, 50));
    expect(c.messages).toHaveLength(1);
    // A non-batched event flushes the batches first, in the order they began.
    fake.serviceEvent('db', 'stopping');
    await waitFor('flush', () => c.messages.length === 4);
    expect(c.messages.map((m) => [m.seq, m.type])).toEqual([
      [1, 'snapshot'],
      [2, 'health_update'],
      [3, 'log'],
      [4, 'service_event'],
    ]);
    expect((c.messages[1]!.payload as { service: string }[]).map((e) => e.service)).toEqual([
      'api',
      'db',
    ]);
    expect((c.messages[2]!.payload as { line: string }[]).map((e) => e.line)).toEqual([
      'one',
      'two',
      'three',
    ]);
  });

  it('sends batches on its own after batchMs', async () => {
    await server.close();
    server = await start({ batchMs: 20 });
    const c = await open();
    await waitFor('snapshot', () => c.messages.length === 1);
    fake.log('api', 'a');
    fake.log('api', 'b');
    await waitFor('batch', () => c.messages.length === 2);
    expect(c.messages[1]).toMatchObject({ seq: 2, type: 'log' });
    expect(c.messages[1]!.payload).toHaveLength(2);
  });

  it('answers resync with a fresh snapshot that continues the sequence', async () => {
    const c = await open();
    fake.serviceEvent('api', 'stopping');
    await waitFor('event', () => c.messages.length === 2);
    c.ws.send(JSON.stringify({ type: 'resync' }));
    await waitFor('snapshot', () => c.messages.length === 3);
    expect(c.messages[2]).toMatchObject({ seq: 3, type: 'snapshot' });
  });

  it('drops a client that does not read, while a normal one keeps receiving', async () => {
    await server.close();
    server = await start({ maxClientBufferBytes: 256 * 1024 });
    const normal = await open();
    const slow = await open();
    await waitFor('snapshots', () => normal.messages.length === 1 && slow.messages.length === 1);
    slow.ws.pause();
    const detail = 'x'.repeat(64 * 1024);
    let sent = 0;
    // Bounded: 600 × 64 KB is far more than the kernel's socket buffers and the 256 KB limit.
    // After each event the loop lets I/O run, so the normal client reads as it goes.
    while (fake.listenerCount === 2 && sent < 600) {
      fake.serviceEvent('api', 'running', detail);
      sent += 1;
      await new Promise((r) => setImmediate(r));
    }
    expect(fake.listenerCount).toBe(1);
    await waitFor('normal client catches up', () => normal.messages.length === sent + 1, 10_000);
    fake.serviceEvent('db', 'stopped');
    await waitFor('normal client still served', () => normal.messages.length === sent + 2);
    expect(normal.messages.at(-1)).toMatchObject({ seq: sent + 2, type: 'service_event' });
    slow.ws.resume();
    const closed = await slow.closed;
    expect(closed).toEqual({ code: 4008, reason: 'too slow' });
  });

  it('drops a peer that stops answering pings', async () => {
    await server.close();
    server = await start({ pingMs: 30 });
    const live = await open();
    const dead = await open();
    await waitFor('snapshots', () => live.messages.length === 1 && dead.messages.length === 1);
    dead.ws.pause();
    await waitFor('dead peer dropped', () => fake.listenerCount === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.listenerCount).toBe(1);
    fake.serviceEvent('api', 'stopping');
    await waitFor('live peer served', () => live.messages.length === 2);
  });

  it('closing the server ends the streams and unsubscribes', async () => {
    const c = await open();
    await waitFor('snapshot', () => c.messages.length === 1);
    expect(fake.listenerCount).toBe(1);
    await server.close();
    await c.closed;
    expect(fake.listenerCount).toBe(0);
    server = await start();
  });
});
