/**
 * A service that registered itself over the API, then a hot reload whose stack file now defines a
 * service of the same name: the registered one is let go (its health monitor stops probing its
 * endpoint), the one of the stack file is started from its definition, and nothing keeps running
 * behind the supervisor's back (no timer or open log file is left once it stops).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../shared/client/index.js';
import { loadStack } from '../core/config/index.js';
import { createApi, eventSource } from './api.js';
import { systemClock, type Clock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { prometheusMetrics } from './metrics.js';
import { createReloader } from '../core/reload.js';
import { Supervisor } from '../core/supervisor.js';
import { startHttpServer } from '../transport/http.js';
import { EventLog, freePorts, pidAlive, portOpen, tempStack } from '../core/testing/fixtures.js';

const TOKEN = 'test-token-0123456789abcdef0123456789';
const PROBE_MS = 100;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

/** The system clock, counting the timers that are scheduled and have neither fired nor been cancelled. */
function countingClock(): Clock & { live(): number } {
  let live = 0;
  return {
    now: () => systemClock.now(),
    wallNow: () => systemClock.wallNow(),
    setTimeout(fn, ms) {
      live += 1;
      let done = false;
      const end = (): void => {
        if (!done) live -= 1;
        done = true;
      };
      const h = systemClock.setTimeout(() => {
        end();
        fn();
      }, ms);
      return {
        cancel: () => {
          end();
          h.cancel();
        },
      };
    },
    live: () => live,
  };
}

/** Files of `dir` this process holds open (Linux; empty elsewhere). */
function openFilesUnder(dir: string): string[] {
  let fds: string[] = [];
  try {
    fds = fs.readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(25);
  }
  return pred();
}

const stackYaml = (dbPort: number, extra = ''): string => `version: 1
settings:
  health_check_interval: ${PROBE_MS}ms
services:
  db:
    command: node svc.mjs
    port: ${dbPort}
${extra}`;

describe('reloading a stack file that now defines a registered service', () => {
  it('lets the registered service go and starts the one of the stack file', async () => {
    const [dbPort, newPort] = await freePorts(2);
    const stack = tempStack(stackYaml(dbPort!));
    cleanups.push(() => stack.cleanup());
    const loaded = loadStack(stack.file, { env: process.env });
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
    const clock = countingClock();
    const sup = new Supervisor({
      config: loaded.config,
      dataDir: stack.dataDir,
      clock,
      sampleIntervalMs: 0,
    });
    cleanups.push(() => sup.shutdown('stopped', 'SIGKILL'));
    const log = new EventLog();
    sup.subscribe(log.push);
    const reloader = createReloader(sup, { logger: silentLogger, env: process.env });
    cleanups.push(() => reloader.close());
    const server = await startHttpServer({
      api: createApi(sup, { shutdown: () => undefined, reload: (a) => reloader.reload(a) }),
      events: eventSource(sup),
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      logger: silentLogger,
      metrics: () => prometheusMetrics(sup),
    });
    cleanups.push(() => server.close());
    const client = createHttpClient({ baseUrl: server.url, token: TOKEN });
    await sup.start();
    await log.waitFor(
      (e) => e.type === 'status_update' && e.event === 'system-ready',
      15_000,
      'ready',
    );

    // The registered service's health endpoint is served (and counted) by the test.
    let probes = 0;
    const ext = http.createServer((req, res) => {
      if (req.url === '/health') probes += 1;
      res.end('ok');
    });
    await new Promise<void>((r) => ext.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => ext.close(() => r())));
    const url = `http://127.0.0.1:${(ext.address() as AddressInfo).port}`;
    // A long heartbeat interval: the monitor keeps probing the endpoint for the whole test.
    await client.register({
      name: 'payments',
      url,
      health_path: '/health',
      heartbeat_interval: 60_000,
    });
    await log.waitFor(
      (e) => e.type === 'service_event' && e.service === 'payments' && e.to === 'running',
      10_000,
      'payments running as a registered service',
    );
    expect(await until(() => probes >= 3, 10_000), 'the registered service is probed').toBe(true);
    const registered = sup.runner('payments');
    expect(registered.external).not.toBeNull();

    // The stack file now defines "payments" itself.
    stack.write(
      stackYaml(
        dbPort!,
        `  payments:
    command: node svc.mjs
    port: ${newPort}
    env: { MARK: from-stack-file }
    health: { http: /health }
`,
      ),
    );
    const res = await client.reload({});
    expect(res.applied, JSON.stringify(res.errors)).toBe(true);
    expect(res.changes.added).toContain('payments');

    // (b) The service of the stack file runs, from its definition.
    await log.waitFor(
      (e) =>
        e.type === 'service_event' &&
        e.service === 'payments' &&
        e.to === 'running' &&
        e.pid !== null,
      15_000,
      'payments running from the stack file',
    );
    const fresh = sup.runner('payments');
    expect(fresh).not.toBe(registered);
    expect(fresh.external).toBeNull();
    expect(fresh.spec.command).toMatchObject({ kind: expect.any(String) });
    expect(fresh.spec.env['MARK']).toBe('from-stack-file');
    expect(fresh.pid).not.toBeNull();
    expect(pidAlive(fresh.pid!)).toBe(true);
    expect(await until(() => fresh.health === 'healthy', 10_000)).toBe(true);
    expect(await portOpen(newPort!)).toBe(true);
    const view = await client.getService({ name: 'payments' });
    expect(view.registered).toBe(false);
    expect(view.port).toBe(newPort);
    // It is no longer a registered service: heartbeats are refused, and so is registering again.
    await expect(client.heartbeat({ name: 'payments' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(client.register({ name: 'payments', url })).rejects.toMatchObject({
      code: 'CONFLICT',
    });

    // (a) The old monitor stopped: the test's endpoint gets no more probes. A probe that was in
    // flight at the reload may still land, so count from a little later.
    await sleep(3 * PROBE_MS);
    const after = probes;
    await sleep(10 * PROBE_MS);
    expect(probes, 'probes of the registered service after the reload').toBe(after);
    expect(registered.lifecycle).toBe('stopped');
    expect(sup.externals.has('payments')).toBe(false);
    expect(sup.graph.startupOrder.filter((n) => n === 'payments')).toHaveLength(1);

    // (c) Nothing leaks: once the supervisor stops, no timer of it is left, and still no probe.
    await sup.shutdown('stopped');
    expect(
      await until(() => clock.live() === 0, 5_000),
      `timers still scheduled: ${clock.live()}`,
    ).toBe(true);
    await sleep(5 * PROBE_MS);
    expect(clock.live()).toBe(0);
    expect(probes).toBe(after);
    // Every runner, the one let go included, closed its log file.
    expect(openFilesUnder(stack.dataDir)).toEqual([]);
  }, 60_000);
});
