// The readiness poller against real sockets on 127.0.0.1.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { health, nowMs, waitAllHealthy, waitNewInstance } from './http.mjs';

const servers = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function serve(handler, port = 0) {
  return new Promise((resolve) => {
    const s = http.createServer(handler);
    servers.push(s);
    s.listen(port, '127.0.0.1', () => resolve(s.address().port));
  });
}

describe('readiness from outside', () => {
  it('notes when each port first answers 200, after 503s and refused connections', async () => {
    const readyAt = Date.now() + 300;
    const a = await serve((_, res) =>
      res.writeHead(Date.now() >= readyAt ? 200 : 503).end('{"pid":1}'),
    );
    // A port nobody listens on yet (taken and freed again): it starts listening 200 ms in.
    const bPort = await serve(() => {});
    await new Promise((r) => servers.pop().close(r));
    setTimeout(() => serve((_, res) => res.writeHead(200).end('{"pid":2}'), bPort), 200);
    const t0 = nowMs();
    const r = await waitAllHealthy([a, bPort], { intervalMs: 20, deadline: t0 + 5_000 });
    expect(r.missing).toEqual([]);
    expect(r.readyAt.get(a) - t0).toBeGreaterThanOrEqual(250);
    expect(r.readyAt.get(bPort) - t0).toBeGreaterThanOrEqual(150);
    expect(r.lastAt).toBe(Math.max(...r.readyAt.values()));
  });

  it('reports the ports that never answer by the deadline', async () => {
    const p = await serve((_, res) => res.writeHead(503).end());
    const r = await waitAllHealthy([p], { intervalMs: 20, deadline: nowMs() + 200 });
    expect(r.missing).toEqual([p]);
    expect(r.lastAt).toBeNull();
  });

  it('waits for an answer from another process than the one killed', async () => {
    let pid = 100;
    const p = await serve((_, res) => res.writeHead(200).end(JSON.stringify({ pid, t0: 5 })));
    expect(await health(p)).toEqual({ pid: 100, t0: 5 });
    setTimeout(() => (pid = 101), 150);
    const t0 = nowMs();
    const back = await waitNewInstance(p, 100, { intervalMs: 5, deadline: t0 + 5_000 });
    expect(back).toMatchObject({ pid: 101, t0: 5 });
    expect(back.at - t0).toBeGreaterThanOrEqual(140);
    expect(await waitNewInstance(p, 101, { intervalMs: 5, deadline: nowMs() + 100 })).toBeNull();
  });
});
