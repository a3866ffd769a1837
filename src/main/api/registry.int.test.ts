/**
 * Self-registered services over the real API: registration adds them to the graph as
 * "registered", heartbeats keep them healthy, a missed heartbeat window marks them unhealthy, and
 * Vigil refuses to restart or stop a process it does not own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../shared/client/index.js';
import { VigilError } from '../../shared/errors.js';
import { loadStack } from '../core/config/index.js';
import { Supervisor } from '../core/supervisor.js';
import { createApi, eventSource } from './api.js';
import { startHttpServer } from '../transport/http.js';
import { silentLogger } from '../core/logger.js';
import { prometheusMetrics } from './metrics.js';
import { EventLog, freePorts, tempStack, type TempStack } from '../core/testing/fixtures.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

async function setup(): Promise<{
  sup: Supervisor;
  log: EventLog;
  client: ReturnType<typeof createHttpClient>;
}> {
  const [port] = await freePorts(1);
  const stack: TempStack = tempStack(`version: 1
services:
  db:
    command: node svc.mjs
    port: ${port}
`);
  cleanups.push(() => stack.cleanup());
  const loaded = loadStack(stack.file);
  if (!loaded.ok) throw new Error('invalid');
  const sup = new Supervisor({
    config: loaded.config,
    dataDir: stack.dataDir,
    sampleIntervalMs: 0,
  });
  cleanups.push(() => sup.shutdown('stopped', 'SIGKILL'));
  const log = new EventLog();
  sup.subscribe(log.push);
  const api = createApi(sup, {
    shutdown: () => undefined,
    reload: async () => Promise.reject(new Error('unused')),
  });
  const server = await startHttpServer({
    api,
    events: eventSource(sup),
    host: '127.0.0.1',
    port: 0,
    token: 'test-token-0123456789abcdef0123456789',
    logger: silentLogger,
    metrics: () => prometheusMetrics(sup),
  });
  cleanups.push(() => server.close());
  await sup.start();
  await log.waitFor(
    (e) => e.type === 'status_update' && e.event === 'system-ready',
    15_000,
    'ready',
  );
  const client = createHttpClient({
    baseUrl: server.url,
    token: 'test-token-0123456789abcdef0123456789',
  });
  return { sup, log, client };
}

describe('registered services', () => {
  it('registers, stays healthy with heartbeats, turns unhealthy when they stop, and cannot be restarted', async () => {
    const { sup, log, client } = await setup();
    const ext = http.createServer((_q, r) => r.end('ok'));
    await new Promise<void>((r) => ext.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => ext.close(() => r())));
    const url = `http://127.0.0.1:${(ext.address() as AddressInfo).port}`;

    const res = await client.register({
      name: 'payments',
      url,
      health_path: '/health',
      heartbeat_interval: 300,
      depends_on: ['db'],
    });
    expect(res.heartbeat_interval_ms).toBe(300);
    await log.waitFor(
      (e) => e.type === 'service_event' && e.service === 'payments' && e.to === 'running',
      10_000,
      'payments running',
    );
    const view = await client.getService({ name: 'payments' });
    expect(view.registered).toBe(true);
    expect(view.dependencies.required.concat(view.dependencies.optional)).toContain('db');
    const deps = await client.getDependencies({});
    expect(deps.nodes.map((n) => n.name)).toContain('payments');
    expect(deps.edges).toContainEqual(expect.objectContaining({ from: 'payments', to: 'db' }));

    // Heartbeats keep it healthy for longer than the window.
    for (let i = 0; i < 6; i++) {
      await client.heartbeat({ name: 'payments' });
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(sup.runner('payments').health).toBe('healthy');
    // Silence: after two intervals it is unhealthy with a clear detail.
    const ev = await log.next(
      (e) =>
        e.type === 'health_update' &&
        e.service === 'payments' &&
        (e.to === 'unhealthy' || e.to === 'timeout'),
      10_000,
      'missed heartbeat',
    );
    expect(ev.type === 'health_update' && ev.result.detail).toMatch(/missed heartbeats/);

    await expect(client.restartService({ name: 'payments' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(client.stopService({ name: 'payments' })).rejects.toBeInstanceOf(VigilError);
    await expect(client.heartbeat({ name: 'nope' })).rejects.toMatchObject({
      code: 'UNKNOWN_SERVICE',
    });
    await expect(client.register({ name: 'db', url })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(client.register({ name: 'x', url, depends_on: ['ghost'] })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  }, 40_000);

  it('deregisters over DELETE: the service leaves the graph at once and its dependents see it as gone', async () => {
    const { sup, log, client } = await setup();
    const ext = http.createServer((_q, r) => r.end('ok'));
    await new Promise<void>((r) => ext.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => ext.close(() => r())));
    const url = `http://127.0.0.1:${(ext.address() as AddressInfo).port}`;
    await client.register({ name: 'payments', url, health_path: '/health', depends_on: ['db'] });
    await client.register({ name: 'checkout', url, depends_on: ['payments'] });
    await log.waitFor(
      (e) => e.type === 'service_event' && e.service === 'checkout' && e.to === 'running',
      10_000,
      'checkout running',
    );
    expect((await client.getDependencies({})).nodes.map((n) => n.name)).toContain('payments');

    const res = await client.deregister({ name: 'payments' });
    expect(res.message).toMatch(/payments.*deregistered/);
    // An event, at once; gone from the graph and the lists.
    const left = await log.waitFor(
      (e) => e.type === 'service_event' && e.service === 'payments' && e.to === 'stopped',
      1_000,
      'payments stopped',
    );
    expect(left.type === 'service_event' && left.reason.message).toBe('deregistered over the API');
    await log.waitFor(
      (e) => e.type === 'status_update' && e.message.startsWith('payments left the stack'),
      1_000,
      'status event',
    );
    const deps = await client.getDependencies({});
    expect(deps.nodes.map((n) => n.name)).not.toContain('payments');
    expect(deps.edges.some((e) => e.from === 'payments' || e.to === 'payments')).toBe(false);
    expect((await client.getStatus({})).services.map((s) => s.name)).not.toContain('payments');
    await expect(client.getService({ name: 'payments' })).rejects.toMatchObject({
      code: 'UNKNOWN_SERVICE',
    });
    await expect(client.heartbeat({ name: 'payments' })).rejects.toMatchObject({
      code: 'UNKNOWN_SERVICE',
    });
    // Its dependent sees it as gone: an optional dependency that is missing, no longer a dependent edge.
    expect(sup.runner('checkout').lifecycle).toBe('running');
    expect((await client.getService({ name: 'db' })).dependencies.dependents).not.toContain(
      'payments',
    );
    // A stack-file service cannot leave this way; an unknown one is 404.
    await expect(client.deregister({ name: 'db' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(client.deregister({ name: 'payments' })).rejects.toMatchObject({
      code: 'UNKNOWN_SERVICE',
    });
    // It may come back.
    await client.register({ name: 'payments', url });
    expect(sup.runners.has('payments')).toBe(true);
  }, 40_000);
});
