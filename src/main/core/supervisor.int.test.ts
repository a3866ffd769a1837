/**
 * The supervisor with real processes: phased launch, dependency conditions, health, healing and a
 * clean stop that leaves nothing behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceEvent, VigilEvent } from '../../shared/events.js';
import { Supervisor } from './supervisor.js';
import type { ServiceRunner } from './runtime/runner.js';
import { statusSnapshot } from '../api/views.js';
import {
  freePorts,
  pgidOf,
  pidAlive,
  pidsWithMarker,
  portOpen,
  type EventLog,
  type TempStack,
} from './testing/fixtures.js';
import { stackLab } from './testing/stacks.js';

const lab = stackLab();

afterEach(async () => {
  if (process.env.VIGIL_TEST_DEBUG) process.stderr.write(`afterEach at ${Date.now()}\n`);
  await lab.cleanup();
});

function start(
  yaml: string,
  files: Record<string, string> = {},
): { sup: Supervisor; log: EventLog; stack: TempStack } {
  const s = lab.open(yaml, files);
  if (process.env.VIGIL_TEST_DEBUG)
    s.sup.subscribe(
      (e) => e.type !== 'log' && process.stderr.write(JSON.stringify(e).slice(0, 250) + '\n'),
    );
  return s;
}

const isReady = (ev: VigilEvent): boolean =>
  ev.type === 'status_update' && ev.event === 'system-ready';
const transitions = (log: EventLog, service: string): ServiceEvent[] =>
  log.events.filter((e): e is ServiceEvent => e.type === 'service_event' && e.service === service);
const firstTs = (log: EventLog, service: string, to: string): number => {
  const idx = log.events.findIndex(
    (e) => e.type === 'service_event' && e.service === service && e.to === to,
  );
  expect(idx, `${service} reached ${to}`).toBeGreaterThanOrEqual(0);
  return idx;
};

describe('supervisor with real processes', () => {
  it('launches ten services in dependency order, all become ready, and a stop leaves no process or port', async () => {
    const p = await freePorts(9);
    const svc = (name: string, port: number, extra = '') =>
      `  ${name}:\n    command: node svc.mjs\n    port: ${port}\n${extra}`;
    const yaml = `version: 1
name: ten
services:
${svc('db', p[0]!, '    env: { BOOT_MS: "300" }\n')}
${svc('cache', p[1]!)}
  migrate:
    command: node oneshot.mjs
    oneshot: true
    depends_on: { db: healthy }
${svc('api', p[2]!, '    depends_on:\n      db: healthy\n      migrate: completed\n      cache: { condition: started }\n')}
${svc('auth', p[3]!, '    depends_on: [db]\n')}
${svc('gateway', p[4]!, '    depends_on: [api, auth]\n')}
${svc('metrics', p[5]!, '    required: false\n    phase: 0\n')}
${svc('web', p[6]!, '    depends_on:\n      gateway: healthy\n      metrics: { condition: healthy, optional: true }\n')}
${svc('spawner', p[7]!, '    env: { GRANDCHILD: setsid }\n    depends_on: { cache: healthy }\n')}
${svc('late', p[8]!, '    phase: 5\n')}
`;
    const { sup, log } = start(yaml);
    await sup.start();
    await log.waitFor(isReady, 30_000, 'system-ready');
    for (const r of sup.runners.values()) {
      if (r.spec.oneshot) expect(r.lifecycle).toBe('completed');
      else {
        expect(r.lifecycle, r.name).toBe('running');
        expect(r.health, r.name).toBe('healthy');
      }
    }
    // Every service spawned only after each dependency met its condition.
    const order = (s: string, to: string) => firstTs(log, s, to);
    expect(order('migrate', 'starting')).toBeGreaterThan(order('db', 'running'));
    expect(order('api', 'starting')).toBeGreaterThan(order('migrate', 'completed'));
    expect(order('api', 'starting')).toBeGreaterThan(order('cache', 'starting'));
    expect(order('gateway', 'starting')).toBeGreaterThan(order('api', 'running'));
    expect(order('gateway', 'starting')).toBeGreaterThan(order('auth', 'running'));
    expect(order('web', 'starting')).toBeGreaterThan(order('gateway', 'running'));
    expect(order('web', 'starting')).toBeGreaterThan(order('metrics', 'running'));
    expect(order('spawner', 'starting')).toBeGreaterThan(order('cache', 'running'));
    // A service waiting on a dependency says which.
    const waiting = transitions(log, 'api').find((e) => e.to === 'waiting');
    expect(waiting?.blockedBy?.length).toBeGreaterThan(0);
    // system-ready carries the critical chain.
    const ready = log.events.find(isReady);
    expect(ready && ready.type === 'status_update' && ready.criticalChain?.length).toBeGreaterThan(
      0,
    );

    const marker = sup.runMarker;
    expect(pidsWithMarker(marker).length).toBeGreaterThanOrEqual(10); // services + the setsid grandchild
    await sup.shutdown();
    expect(pidsWithMarker(marker)).toEqual([]);
    for (const port of p) expect(await portOpen(port), `port ${port} closed`).toBe(false);
    // Shutdown went in reverse order: web stopped before gateway, gateway before api, api before db.
    const stopIdx = (s: string) =>
      log.events.findIndex(
        (e) => e.type === 'service_event' && e.service === s && e.to === 'stopped',
      );
    expect(stopIdx('web')).toBeLessThan(stopIdx('gateway'));
    expect(stopIdx('gateway')).toBeLessThan(stopIdx('api'));
    expect(stopIdx('api')).toBeLessThan(stopIdx('db'));
  }, 60_000);

  it('restarts a crashing service with the configured delays and quarantines it after its attempts', async () => {
    const yaml = `version: 1
services:
  crashy:
    command: node -e "setTimeout(() => process.exit(3), 100)"
    restart: { backoff: [100ms, 200ms, 300ms], max_attempts: 3 }
settings:
  circuit_breaker: { threshold: 10, reset_after: 1s }
`;
    const { sup, log } = start(yaml);
    await sup.start();
    await log.waitFor(
      (e) => e.type === 'service_event' && e.to === 'quarantined',
      20_000,
      'quarantine',
    );
    const scheduled = log.events.filter(
      (e) => e.type === 'healing_event' && e.action === 'restart_scheduled',
    );
    expect(scheduled.map((e) => (e.type === 'healing_event' ? e.delayMs : 0))).toEqual([
      100, 200, 300,
    ]);
    const restarts = log.events.filter((e) => e.type === 'healing_event' && e.action === 'restart');
    expect(restarts).toHaveLength(3);
    for (const r of restarts) expect(r.type === 'healing_event' && r.reason.exitCode).toBe(3);
    const r = sup.runner('crashy');
    expect(r.lifecycle).toBe('quarantined');
    expect(r.healing.quarantine?.reason).toMatch(/3 restart attempts/);
    // Release brings it back to trying.
    await r.release({ kind: 'manual', message: 'release from test', by: 'api' });
    await log.next(
      (e) => e.type === 'service_event' && e.service === 'crashy' && e.to === 'starting',
      5_000,
      'restart after release',
    );
  }, 30_000);

  it('brings a SIGKILLed service back healthy and ignores the stale exit of the old instance', async () => {
    const [port] = await freePorts(1);
    const { sup, log } = start(`version: 1
services:
  api:
    command: node svc.mjs
    port: ${port}
    restart: { backoff: [0ms] }
`);
    await sup.start();
    await log.waitFor(isReady, 15_000, 'ready');
    const r = sup.runner('api');
    const oldPid = r.pid!;
    const oldGen = r.generation;
    process.kill(oldPid, 'SIGKILL');
    if (process.env.VIGIL_TEST_DEBUG) process.stderr.write(`killed ${oldPid} at ${Date.now()}\n`);
    await log.next(
      (e) => e.type === 'service_event' && e.service === 'api' && e.to === 'running',
      15_000,
      'running again',
    );
    if (process.env.VIGIL_TEST_DEBUG) process.stderr.write(`resolved at ${Date.now()}\n`);
    expect(r.generation).toBe(oldGen + 1);
    expect(r.pid).not.toBe(oldPid);
    expect(pidAlive(oldPid)).toBe(false);
    const crash = log.events.find(
      (e) => e.type === 'service_event' && e.service === 'api' && e.to === 'backoff',
    );
    expect(crash?.type === 'service_event' && crash.reason.signal).toBe('SIGKILL');
  }, 30_000);

  it('holds a dependent in waiting while its dependency is down and resumes it afterwards', async () => {
    const [p1, p2] = await freePorts(2);
    const { sup, log } = start(`version: 1
services:
  db:
    command: node svc.mjs
    port: ${p1}
  api:
    command: node svc.mjs
    port: ${p2}
    depends_on: { db: healthy }
`);
    await sup.start();
    await log.waitFor(isReady, 15_000, 'ready');
    await sup.runner('db').stop({ kind: 'manual', message: 'test stop', by: 'api' });
    // api crashes while db is down: it must wait, not crash-loop.
    process.kill(sup.runner('api').pid!, 'SIGKILL');
    await log.next(
      (e) => e.type === 'service_event' && e.service === 'api' && e.to === 'waiting',
      10_000,
      'api waiting',
    );
    expect(sup.runner('api').blocked).toEqual(['db']);
    await sup.runner('db').start({ kind: 'manual', message: 'test start', by: 'api' });
    await log.next(
      (e) => e.type === 'service_event' && e.service === 'api' && e.to === 'running',
      15_000,
      'api resumes',
    );
  }, 30_000);

  it('serialises concurrent restarts: exactly one live instance', async () => {
    const [port] = await freePorts(1);
    const { sup, log } = start(`version: 1
services:
  api:
    command: node svc.mjs
    port: ${port}
`);
    await sup.start();
    await log.waitFor(isReady, 15_000, 'ready');
    const r = sup.runner('api') as ServiceRunner;
    await Promise.all(
      Array.from({ length: 20 }, () => r.restart({ kind: 'manual', message: 'test', by: 'api' })),
    );
    await log.waitFor(() => r.lifecycle === 'running', 15_000, 'running');
    await new Promise((res) => setTimeout(res, 300));
    // One live instance: every process of the service is in the current instance's group.
    const pids = pidsWithMarker(r.marker);
    expect(pids.length).toBeGreaterThan(0);
    expect(new Set(pids.map(pgidOf))).toEqual(new Set([r.pid]));
    expect(r.generation).toBeGreaterThan(1);
  }, 30_000);

  it('gives no health to a service without a running instance (crashed, then stopped)', async () => {
    const [port] = await freePorts(1);
    const { sup, log } = start(`version: 1
services:
  api:
    command: node svc.mjs
    port: ${port}
    health: { http: { path: /health }, interval: 200ms }
    restart: { backoff: [30s] }
`);
    await sup.start();
    await log.waitFor(isReady, 15_000, 'ready');
    const r = sup.runner('api');
    const view = () => statusSnapshot(sup).services.find((s) => s.name === 'api');
    expect(view()).toMatchObject({ lifecycle: 'running', health: 'healthy', status: 'healthy' });
    process.kill(r.pid!, 'SIGKILL');
    await log.next(
      (e) => e.type === 'service_event' && e.service === 'api' && e.to === 'backoff',
      15_000,
      'backoff',
    );
    // the last probe said healthy, but nothing runs now
    expect(view()).toMatchObject({ lifecycle: 'backoff', health: 'unknown', status: 'unhealthy' });
    await r.stop({ kind: 'manual', message: 'test', by: 'api' });
    expect(view()).toMatchObject({ lifecycle: 'stopped', health: 'unknown', status: 'stopped' });
  }, 30_000);

  it('cancels a pending restart when the service is stopped during backoff', async () => {
    const { sup, log } = start(`version: 1
services:
  crashy:
    command: node -e "process.exit(1)"
    restart: { backoff: [2s] }
`);
    await sup.start();
    await log.waitFor((e) => e.type === 'service_event' && e.to === 'backoff', 10_000, 'backoff');
    await sup.runner('crashy').stop({ kind: 'manual', message: 'test', by: 'api' });
    await new Promise((res) => setTimeout(res, 2_500));
    expect(sup.runner('crashy').lifecycle).toBe('stopped');
    expect(sup.runner('crashy').generation).toBe(1);
  }, 15_000);

  it('reports a taken port with its holder and does not crash-loop', async () => {
    const [port] = await freePorts(1);
    const { sup: sup2, log: log2 } = start(`version: 1
services:
  api:
    command: node svc.mjs
    port: ${port}
`);
    const net = await import('node:net');
    const blocker = net.createServer((s) => s.resume().on('error', () => {}));
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      await sup2.start();
      const failed = await log2.waitFor(
        (e) => e.type === 'service_event' && e.to === 'failed',
        10_000,
        'failed',
      );
      expect(failed.type === 'service_event' && failed.reason.kind).toBe('port_in_use');
      expect(failed.type === 'service_event' && failed.reason.message).toMatch(
        new RegExp(`port ${port} is already in use by pid ${process.pid}`),
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(sup2.runner('api').generation).toBe(0);
    } finally {
      blocker.close();
    }
  }, 20_000);
});
