/**
 * The balancer with real instance processes and real sockets on 127.0.0.1. Load loops are bounded
 * in count; waits are conditions with generous timeouts, never timing assertions.
 */
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePorts } from '../testing/fixtures.js';
import { Balancer } from './balancer.js';
import { BALANCE_STRATEGIES, type BalanceStrategy } from './strategies.js';
import {
  InstanceFarm,
  request,
  steadyLoad,
  waitUntil,
  type Outcome,
  type TestInstance,
} from './testing/support.js';
import type { BalancerEvent, BalancerOptions, InstanceSpec } from './types.js';

let farm: InstanceFarm;
let balancers: Balancer[] = [];
let events: BalancerEvent[] = [];

beforeEach(() => {
  farm = new InstanceFarm();
  balancers = [];
  events = [];
});

afterEach(async () => {
  await Promise.all(balancers.map((b) => b.close()));
  await farm.cleanup();
});

const spec = (i: TestInstance, weight = 1): InstanceSpec => ({
  id: i.id,
  host: '127.0.0.1',
  port: i.port,
  weight,
});

async function balancer(
  instances: readonly TestInstance[],
  extra: Partial<BalancerOptions> = {},
): Promise<Balancer> {
  const b = await Balancer.start({
    service: 'api',
    mode: 'http',
    strategy: 'round_robin',
    port: 0,
    onEvent: (ev) => events.push(ev),
    ...extra,
  });
  balancers.push(b);
  b.setInstances(instances.map((i) => spec(i)));
  for (const i of instances) b.markReady(i.id);
  return b;
}

const failures = (outs: readonly Outcome[]): Outcome[] => outs.filter((o) => o.status !== 200);

describe('http mode', () => {
  it('spreads requests, says which instance answered and forwards the client address', async () => {
    const insts = await farm.start('api', 3);
    const b = await balancer(insts);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await request(b.address.port);
      expect(r.status).toBe(200);
      expect(r.body).toBe(r.instance);
      seen.push(r.instance!);
    }
    expect(seen).toEqual(['api#0', 'api#1', 'api#2', 'api#0', 'api#1', 'api#2']);
    const h = await request(b.address.port, '/headers');
    const headers = JSON.parse(h.body) as Record<string, string>;
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    const s = b.stats();
    expect(s.map((x) => x.id)).toEqual(['api#0', 'api#1', 'api#2']);
    expect(s.reduce((a, x) => a + x.requests, 0)).toBe(7);
    expect(s.every((x) => x.latencyP50Ms !== null && x.latencyP95Ms !== null)).toBe(true);
    expect(s.every((x) => x.active === 0 && x.errors === 0)).toBe(true);
  });

  it('appends to an existing x-forwarded-for and forwards chunked bodies and HEAD requests', async () => {
    const insts = await farm.start('api', 1);
    const b = await balancer(insts);
    const headers = await new Promise<Record<string, string>>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port: b.address.port,
            path: '/headers',
            agent: false,
            headers: { 'X-Forwarded-For': '203.0.113.9', 'x-forwarded-proto': 'https' },
          },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve(JSON.parse(body) as Record<string, string>));
          },
        )
        .on('error', reject);
    });
    expect(headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('https');
    // the client's own 'Connection: close' is about its connection, not the instance's
    expect(headers.connection).toBeUndefined();

    // a body with no length (chunked), in several writes
    const echoed = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: b.address.port, path: '/echo', method: 'POST', agent: false },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.write('part one, ');
      setTimeout(() => req.end('part two'), 50);
    });
    expect(echoed).toBe('part one, part two');

    const head = await request(b.address.port, '/', { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, instance: 'api#0', body: '' });
    // the keep-alive connection is still usable after a body-less answer
    expect((await request(b.address.port, '/')).body).toBe('api#0');
  });

  it('every strategy sends traffic only to ready instances that are not draining', async () => {
    const insts = await farm.start('api', 4);
    for (const strategy of BALANCE_STRATEGIES) {
      const b = await balancer(insts, { strategy: strategy as BalanceStrategy });
      b.setInstances(insts.map((i, n) => spec(i, n + 1)));
      b.markNotReady('api#1');
      void b.drain('api#2', 60_000);
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const r = await request(b.address.port);
        expect(r.status).toBe(200);
        seen.add(r.instance!);
      }
      expect([...seen].sort(), strategy).toEqual(
        strategy === 'ip_hash' ? [expect.stringMatching(/^api#[03]$/)] : ['api#0', 'api#3'],
      );
      await b.close();
    }
  });

  it('answers 503 with a JSON body when no instance is ready, and 502 when none answers', async () => {
    const [dead1, dead2] = await freePorts(2);
    const b = await balancer([]);
    const r = await request(b.address.port);
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual({
      error: { code: 'NOT_RUNNING', message: 'api: no instance is ready', service: 'api' },
    });
    expect(events).toContainEqual({ type: 'no_instance', pool: 'primary' });
    b.setInstances([
      { id: 'api#0', host: '127.0.0.1', port: dead1! },
      { id: 'api#1', host: '127.0.0.1', port: dead2! },
    ]);
    b.markReady('api#0');
    b.markReady('api#1');
    const r2 = await request(b.address.port);
    expect(r2.status).toBe(502);
    const body = JSON.parse(r2.body) as { error: { code: string; reachedInstance: boolean } };
    expect(body.error.code).toBe('BAD_GATEWAY');
    expect(body.error.reachedInstance).toBe(false);
    // both tried, both ejected: the next request finds nothing ready
    expect(
      events.filter((e) => e.type === 'ejected').map((e) => e.type === 'ejected' && e.id),
    ).toEqual(['api#0', 'api#1']);
    expect((await request(b.address.port)).status).toBe(503);
  });

  it('retries a request whose connection was refused once, on another instance, body included', async () => {
    const [live] = await farm.start('api', 1);
    const [dead] = await freePorts(1);
    const b = await balancer([]);
    b.setInstances([
      { id: 'api#0', host: '127.0.0.1', port: dead! },
      spec({ ...live!, id: 'api#1' }),
    ]);
    b.markReady('api#0');
    b.markReady('api#1');
    const payload = 'x'.repeat(200_000);
    const r = await request(b.address.port, '/echo', { method: 'POST', body: payload });
    expect(r.status).toBe(200);
    expect(r.body).toBe(payload);
    expect(events).toContainEqual(expect.objectContaining({ type: 'ejected', id: 'api#0' }));
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'retried', from: 'api#0', to: 'api#1' }),
    );
  });

  it('killing an instance under steady load loses no request that could be retried', async () => {
    const insts = await farm.start('api', 3);
    const b = await balancer(insts);
    const load = steadyLoad(b.address.port, { concurrency: 8, maxRequests: 6000 });
    await waitUntil(() => load.outcomes.length >= 300, 30_000, '300 requests');
    await farm.kill(insts[1]!);
    const atKill = load.outcomes.length;
    await waitUntil(() => load.outcomes.length >= atKill + 1000, 60_000, '1000 more requests');
    load.stop();
    const outs = await load.done;
    const failed = failures(outs);
    // Only requests already sent to the killed instance may fail (at most one per loop), and
    // each says that it had reached it; a refused connection was always sent elsewhere.
    expect(failed.length).toBeLessThanOrEqual(8);
    for (const f of failed) {
      expect(f.status).toBe(502);
      expect(JSON.parse(f.body).error).toMatchObject({ instance: 'api#1', reachedInstance: true });
    }
    expect(events).toContainEqual(expect.objectContaining({ type: 'ejected', id: 'api#1' }));
    const after = outs.slice(atKill + 50);
    expect(after.filter((o) => o.instance === 'api#1')).toEqual([]);
    expect(b.stats().find((s) => s.id === 'api#1')).toMatchObject({ ready: false, ejected: true });

    // ejection lasts until the owner marks it ready again (after its probe passes)
    await farm.spawn(insts[1]!);
    for (let i = 0; i < 9; i++) expect((await request(b.address.port)).instance).not.toBe('api#1');
    b.markReady('api#1');
    expect(events).toContainEqual({ type: 'restored', id: 'api#1' });
    const back = new Set<string>();
    for (let i = 0; i < 9; i++) back.add((await request(b.address.port)).instance!);
    expect(back.has('api#1')).toBe(true);
  });

  it('draining an instance under load fails no request and sends it nothing new', async () => {
    const insts = await farm.start('api', 3);
    const b = await balancer(insts);
    const load = steadyLoad(b.address.port, {
      concurrency: 6,
      maxRequests: 3000,
      path: '/slow?ms=40',
    });
    await waitUntil(() => load.outcomes.length >= 60, 30_000, '60 requests');
    const drained = await b.drain('api#0', 20_000);
    expect(drained).toEqual({ id: 'api#0', drained: true, left: 0 });
    expect(b.stats().find((s) => s.id === 'api#0')).toMatchObject({ draining: true, active: 0 });
    const servedByDrained = b.stats().find((s) => s.id === 'api#0')!.requests;
    const atDrain = load.outcomes.length;
    await waitUntil(() => load.outcomes.length >= atDrain + 100, 60_000, '100 more requests');
    // nothing new went to it while draining
    expect(b.stats().find((s) => s.id === 'api#0')).toMatchObject({
      requests: servedByDrained,
      active: 0,
    });
    // the drained instance stops (SIGTERM) and leaves, as a rolling restart does
    await farm.kill(insts[0]!, 'SIGTERM');
    b.remove('api#0');
    const atStop = load.outcomes.length;
    await waitUntil(() => load.outcomes.length >= atStop + 100, 60_000, '100 more requests');
    load.stop();
    const outs = await load.done;
    expect(failures(outs)).toEqual([]);
    expect(outs.slice(atDrain + 6).filter((o) => o.instance === 'api#0')).toEqual([]);
    expect(events).toContainEqual({ type: 'drained', id: 'api#0', timedOut: false, left: 0 });
  });

  it('a drain that outlasts its timeout resolves with what is left', async () => {
    const insts = await farm.start('api', 1);
    const b = await balancer(insts);
    const slow = request(b.address.port, '/slow?ms=3000');
    await waitUntil(() => b.stats()[0]!.active === 1, 10_000, 'the request in flight');
    const r = await b.drain('api#0', 100);
    expect(r).toEqual({ id: 'api#0', drained: false, left: 1 });
    expect((await slow).status).toBe(200);
    expect((await request(b.address.port)).status).toBe(503);
  });

  it('an instance back at another address, or after a drain, waits for markReady', async () => {
    const insts = await farm.start('api', 2);
    const b = await balancer([insts[0]!]);
    expect((await request(b.address.port)).instance).toBe('api#0');
    // the same instance id, now a new process on another port
    b.add({ id: 'api#0', host: '127.0.0.1', port: insts[1]!.port });
    expect((await request(b.address.port)).status).toBe(503);
    b.markReady('api#0');
    expect((await request(b.address.port)).body).toBe('api#1');
    await b.drain('api#0', 1000);
    expect((await request(b.address.port)).status).toBe(503);
    b.markReady('api#0');
    expect(b.stats()[0]).toMatchObject({ ready: true, draining: false });
    expect((await request(b.address.port)).status).toBe(200);
  });

  it('passes WebSocket upgrades through, both ways', async () => {
    const insts = await farm.start('api', 2);
    const b = await balancer(insts);
    const ws = new WebSocket(`ws://127.0.0.1:${b.address.port}/ws`);
    const upgradeInstance = new Promise<string | undefined>((resolve) =>
      ws.once('upgrade', (res) => resolve(res.headers['x-vigil-instance'] as string | undefined)),
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const id = await upgradeInstance;
    expect(id).toMatch(/^api#[01]$/);
    const replies: string[] = [];
    ws.on('message', (m: Buffer) => replies.push(m.toString()));
    for (const m of ['one', 'two', 'three']) ws.send(m);
    await waitUntil(() => replies.length === 3, 10_000, 'three echoes');
    expect(replies).toEqual([`${id}:one`, `${id}:two`, `${id}:three`]);
    expect(b.stats().find((s) => s.id === id)?.active).toBe(1);
    ws.close();
    await waitUntil(() => b.stats().every((s) => s.active === 0), 10_000, 'the socket to close');
  });

  it('streams a response without a length as it comes, chunk by chunk', async () => {
    const insts = await farm.start('api', 1);
    const b = await balancer(insts);
    const chunks = await new Promise<string[]>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: b.address.port, path: '/stream', agent: false }, (res) => {
          expect(res.headers['x-vigil-instance']).toBe('api#0');
          const got: string[] = [];
          res.setEncoding('utf8');
          res.on('data', (d: string) => got.push(d));
          res.on('end', () => resolve(got));
        })
        .on('error', reject);
    });
    const lines = chunks.join('').trim().split('\n');
    expect(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'chunk 0',
      'chunk 1',
      'chunk 2',
      'chunk 3',
      'chunk 4',
    ]);
    // Sent 100 ms apart: a proxy that buffered the response would deliver one piece.
    expect(chunks.length).toBeGreaterThanOrEqual(3);
  });
});

describe('failover', () => {
  it('fails over to the backup under load when no instance is ready, and fails back', async () => {
    const insts = await farm.start('api', 2);
    const [stub] = await farm.start('api-stub', 1);
    const b = await balancer(insts, { failover: { backup: 'api-stub', failbackAfterMs: 500 } });
    b.setBackupInstances([spec(stub!)]);
    b.markReady(stub!.id);
    const load = steadyLoad(b.address.port, { concurrency: 4, maxRequests: 20_000 });
    await waitUntil(() => load.outcomes.length >= 100, 30_000, '100 requests');
    // Both instances crash: connections to them are refused, each is ejected, and the request
    // refused by the last one goes to the backup.
    await farm.kill(insts[0]!);
    await farm.kill(insts[1]!);
    await waitUntil(() => events.some((e) => e.type === 'failover_completed'), 10_000, 'failover');
    expect(events).toContainEqual({
      type: 'failover_completed',
      manual: false,
      reason: 'no instance is ready',
    });
    expect(b.failoverStatus()).toEqual({ route: 'backup', pinned: false, backup: 'api-stub' });
    const atFailover = load.outcomes.length;
    await waitUntil(() => load.outcomes.length >= atFailover + 200, 30_000, '200 on the backup');
    expect(load.outcomes.slice(atFailover + 4).every((o) => o.instance === 'api-stub#0')).toBe(
      true,
    );

    await Promise.all(insts.map((i) => farm.spawn(i)));
    b.markReady('api#0');
    b.markReady('api#1');
    await waitUntil(() => events.some((e) => e.type === 'failback_completed'), 10_000, 'failback');
    const atFailback = load.outcomes.length;
    await waitUntil(() => load.outcomes.length >= atFailback + 200, 30_000, '200 after failback');
    load.stop();
    const outs = await load.done;
    expect(outs.slice(atFailback + 4).every((o) => /^api#[01]$/.test(o.instance ?? ''))).toBe(true);
    // Only requests that reached an instance as it died may fail; none that was refused. With 4
    // clients that is a handful per kill (a request retried from the first instance can reach the
    // second while it dies), never a share of the load.
    const failed = failures(outs);
    expect(failed.length).toBeLessThanOrEqual(16);
    for (const f of failed) expect(JSON.parse(f.body).error.reachedInstance).toBe(true);
  });

  it('manual failover pins the backup until a manual failback', async () => {
    const insts = await farm.start('api', 1);
    const [stub] = await farm.start('api-stub', 1);
    const b = await balancer(insts, { failover: { backup: 'api-stub', failbackAfterMs: 10 } });
    b.setBackupInstances([spec(stub!)]);
    expect(b.manualFailover()).toEqual({ ok: false, reason: 'no instance of the backup is ready' });
    b.markReady(stub!.id);
    expect(b.manualFailover()).toEqual({ ok: true, reason: null });
    await new Promise((r) => setTimeout(r, 50));
    expect((await request(b.address.port)).instance).toBe('api-stub#0');
    expect(b.manualFailback()).toEqual({ ok: true, reason: null });
    expect((await request(b.address.port)).instance).toBe('api#0');
  });
});

describe('tcp mode', () => {
  it('pipes connections to ready instances and sends a refused one elsewhere', async () => {
    const insts = await farm.start('api', 2);
    const b = await balancer(insts, { mode: 'tcp' });
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await new Promise<string>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: b.address.port, path: '/', agent: false }, (res) => {
            expect(res.headers['x-vigil-instance']).toBeUndefined();
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve(body));
          })
          .on('error', reject);
      });
      seen.add(r);
    }
    expect([...seen].sort()).toEqual(['api#0', 'api#1']);
    await farm.kill(insts[0]!);
    for (let i = 0; i < 4; i++) {
      const r = await new Promise<string>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: b.address.port, path: '/', agent: false }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve(body));
          })
          .on('error', reject);
      });
      expect(r).toBe('api#1');
    }
    expect(events).toContainEqual(expect.objectContaining({ type: 'ejected', id: 'api#0' }));
    expect(b.stats().find((s) => s.id === 'api#1')?.requests).toBeGreaterThanOrEqual(4);
  });
});
