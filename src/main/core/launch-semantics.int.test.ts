/**
 * Launch and health semantics under failure, with real processes: optional dependencies never
 * stall a launch or a later phase, a starting service says why it is not ready, serial launch,
 * `parallel_launch_limit` (launch and a burst of recoveries) and `recovery: stack_restart`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthEvent, ServiceEvent, VigilEvent } from '../../shared/events.js';
import { Supervisor } from './supervisor.js';
import { serviceView, statusSnapshot } from '../api/views.js';
import { freePorts, type EventLog, type TempStack } from './testing/fixtures.js';
import { stackLab } from './testing/stacks.js';

const lab = stackLab();
afterEach(() => lab.cleanup());

/** A service that crashes (exit 3) on its first start only, then serves /health. */
const CRASH_ONCE = `
import fs from 'node:fs';
import http from 'node:http';
const flag = process.env.FLAG;
if (!fs.existsSync(flag)) { fs.writeFileSync(flag, 'x'); setTimeout(() => process.exit(3), 50); }
else http.createServer((req, res) => { res.writeHead(200); res.end('ok'); }).listen(Number(process.env.PORT), '127.0.0.1');
`;

/** Exits with code 3 fifty milliseconds after every start, before it ever listens. */
const CRASH_LOOP = `setTimeout(() => process.exit(3), 50);`;

/** Accepts connections on PORT and never answers: a hung health endpoint. */
const HUNG = `
import net from 'node:net';
net.createServer(() => {}).listen(Number(process.env.PORT), '127.0.0.1');
`;

async function launch(
  yaml: string,
  files: Record<string, string> = {},
): Promise<{ sup: Supervisor; log: EventLog; stack: TempStack }> {
  return lab.launch(yaml, files);
}

const ready = (ev: VigilEvent): boolean =>
  ev.type === 'status_update' && ev.event === 'system-ready';
const lifecycleEvents = (log: EventLog, service: string): ServiceEvent[] =>
  log.events.filter((e): e is ServiceEvent => e.type === 'service_event' && e.service === service);
const indexOf = (log: EventLog, service: string, to: string, from = 0): number =>
  log.events.findIndex(
    (e, i) => i >= from && e.type === 'service_event' && e.service === service && e.to === to,
  );
const view = (sup: Supervisor, name: string) => serviceView(sup, sup.runner(name));

/** Waits until `pred` holds (polled), bounded. */
async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('optional dependencies never stall a launch', () => {
  it('regression: a crash-looping optional dependency holds neither its dependents nor a later phase', async () => {
    const p = await freePorts(4);
    const { sup, log } = await launch(
      `version: 1
name: optional-crash
services:
  metrics:
    command: node crash-loop.mjs
    port: ${p[0]}
    required: false
    restart: { backoff: [300ms] }
  api:
    command: node svc.mjs
    port: ${p[1]}
    depends_on:
      metrics: { condition: healthy, optional: true }
  web:
    command: node svc.mjs
    port: ${p[2]}
    depends_on: { api: healthy }
  late:
    command: node svc.mjs
    port: ${p[3]}
    phase: 3
`,
      { 'crash-loop.mjs': CRASH_LOOP },
    );
    await log.waitFor(ready, 20_000, 'system-ready');
    // Every required service is up while metrics keeps crashing.
    for (const n of ['api', 'web', 'late']) expect(sup.runner(n).lifecycle).toBe('running');
    expect(sup.runner('metrics').lifecycle).not.toBe('running');
    const apiStart = lifecycleEvents(log, 'api').find((e) => e.to === 'starting')!;
    expect(apiStart.reason.message).toContain('started without metrics: exited with code 3');
    expect(apiStart.startedWithout).toEqual([{ service: 'metrics', reason: 'exited with code 3' }]);
    // It started after metrics had failed once, not after some long timeout.
    expect(indexOf(log, 'metrics', 'backoff')).toBeLessThan(indexOf(log, 'api', 'starting'));
    expect(view(sup, 'api').started_without).toEqual([
      { service: 'metrics', reason: 'exited with code 3' },
    ]);
    // The system is degraded while the optional service is down, never critical.
    await until(() => sup.systemState() === 'degraded', 5_000, 'degraded');
    expect(log.events.some((e) => e.type === 'status_update' && e.event === 'launch-failed')).toBe(
      false,
    );
    // metrics keeps being healed on its own.
    await until(() => sup.runner('metrics').restartCount >= 2, 10_000, 'metrics restarted');
    expect(sup.runner('api').restartCount).toBe(0);
  }, 40_000);

  it('an optional dependency that never becomes healthy is waited for up to its startup timeout only', async () => {
    const p = await freePorts(3);
    const { sup, log } = await launch(`version: 1
name: optional-unhealthy
services:
  metrics:
    command: node svc.mjs
    port: ${p[0]}
    required: false
    env: { UNHEALTHY: "1" }
    startup_timeout: 1500ms
    health: { http: { path: /health }, interval: 200ms, start_interval: 200ms }
    restart: { backoff: [5s] }
  api:
    command: node svc.mjs
    port: ${p[1]}
    depends_on:
      metrics: { condition: healthy, optional: true }
  late:
    command: node svc.mjs
    port: ${p[2]}
    phase: 2
`);
    // While metrics boots, its probes answer 503 and it says so.
    await until(
      () => view(sup, 'metrics').not_ready?.last_failure?.includes('503') === true,
      10_000,
      'metrics answered 503',
    );
    expect(sup.runner('metrics').health).toBe('unhealthy');
    expect(sup.runner('api').lifecycle).toBe('waiting');
    await log.waitFor(ready, 20_000, 'system-ready');
    const apiStart = lifecycleEvents(log, 'api').find((e) => e.to === 'starting')!;
    expect(apiStart.reason.message).toContain('started without metrics');
    expect(apiStart.reason.message).toContain('startup timeout');
    expect(sup.runner('late').lifecycle).toBe('running');
  }, 40_000);

  it('an optional dependency that comes up late: waited for while booting, nothing restarted when it recovers after failing', async () => {
    const p = await freePorts(4);
    const { sup, log, stack } = await launch(
      `version: 1
name: optional-late
services:
  slow:
    command: node svc.mjs
    port: ${p[0]}
    required: false
    env: { BOOT_MS: "1200" }
  waits:
    command: node svc.mjs
    port: ${p[1]}
    depends_on:
      slow: { condition: healthy, optional: true }
  flaky:
    command: node crash-once.mjs
    port: ${p[2]}
    required: false
    env: { FLAG: ./flaky.flag }
    restart: { backoff: [5s] }
  api:
    command: node svc.mjs
    port: ${p[3]}
    depends_on:
      flaky: { condition: healthy, optional: true }
  late:
    command: node oneshot.mjs
    oneshot: true
    phase: 3
`,
      { 'crash-once.mjs': CRASH_ONCE },
    );
    void stack;
    await log.waitFor(ready, 20_000, 'system-ready');
    // On its way up for the first time: waited for.
    expect(indexOf(log, 'slow', 'running')).toBeLessThan(indexOf(log, 'waits', 'starting'));
    expect(lifecycleEvents(log, 'waits').find((e) => e.to === 'starting')!.startedWithout).toBe(
      undefined,
    );
    // Failed once: api went without it.
    expect(indexOf(log, 'flaky', 'backoff')).toBeLessThan(indexOf(log, 'api', 'starting'));
    const apiPid = sup.runner('api').pid;
    expect(lifecycleEvents(log, 'api').find((e) => e.to === 'starting')!.startedWithout).toEqual([
      { service: 'flaky', reason: 'exited with code 3' },
    ]);
    // Still down (its restart is 5 s away): the view says what api runs without.
    expect(sup.runner('flaky').lifecycle).toBe('backoff');
    expect(view(sup, 'api').started_without.map((m) => m.service)).toEqual(['flaky']);
    // flaky comes up later; api is not restarted and no longer says it runs without it.
    await until(() => sup.runner('flaky').lifecycle === 'running', 15_000, 'flaky up');
    await until(() => sup.systemState() === 'healthy', 10_000, 'healthy');
    expect(sup.runner('api').pid).toBe(apiPid);
    expect(sup.runner('api').restartCount).toBe(0);
    expect(view(sup, 'api').started_without).toEqual([]);
    expect(sup.runner('late').lifecycle).toBe('completed');
  }, 40_000);
});

describe('a starting service says why it is not ready', () => {
  it('regression: a hung health endpoint shows timeout with the count of failed checks, without restarts', async () => {
    const [port] = await freePorts(1);
    const { sup, log } = await launch(
      `version: 1
name: hung
services:
  hung:
    command: node hung.mjs
    port: ${port}
    startup_timeout: 60s
    health: { http: { path: /health }, timeout: 200ms, interval: 300ms, start_interval: 300ms }
`,
      { 'hung.mjs': HUNG },
    );
    await until(() => (view(sup, 'hung').not_ready?.failed_checks ?? 0) >= 4, 15_000, '4 checks');
    const v = view(sup, 'hung');
    expect(v.lifecycle).toBe('starting');
    expect(v.health).toBe('timeout');
    expect(v.status).toBe('timeout');
    expect(v.not_ready?.last_failure).toBe('timed out after 200ms');
    const left = Date.parse(v.not_ready!.startup_deadline!) - Date.now();
    expect(left).toBeGreaterThan(30_000);
    expect(left).toBeLessThanOrEqual(60_000);
    // The stream carries it too.
    const h = log.events.filter(
      (e): e is HealthEvent => e.type === 'health_update' && e.service === 'hung',
    );
    expect(h.at(-1)).toMatchObject({ to: 'timeout' });
    expect(h.at(-1)!.startFailures ?? 0).toBeGreaterThan(0);
    // Failures during the boot do not count towards restarts.
    expect(sup.runner('hung').restartCount).toBe(0);
    expect(log.events.some((e) => e.type === 'healing_event' && e.service === 'hung')).toBe(false);
    const snap = statusSnapshot(sup);
    expect(snap.services[0]!.not_ready?.failed_checks).toBeGreaterThanOrEqual(4);
  }, 30_000);

  it('a 503 endpoint while starting shows unhealthy and the status it answered', async () => {
    const [port] = await freePorts(1);
    const { sup } = await launch(`version: 1
name: five-o-three
services:
  api:
    command: node svc.mjs
    port: ${port}
    env: { UNHEALTHY: "1" }
    health: { http: { path: /health }, interval: 300ms, start_interval: 300ms }
`);
    await until(() => (view(sup, 'api').not_ready?.failed_checks ?? 0) >= 2, 15_000, '2 checks');
    const v = view(sup, 'api');
    expect(v.lifecycle).toBe('starting');
    expect(v.health).toBe('unhealthy');
    expect(v.not_ready?.last_failure).toContain('503');
    expect(sup.runner('api').restartCount).toBe(0);
  }, 30_000);
});

/** The most services seen `starting` at once, from the lifecycle events in order. */
function maxConcurrentStarting(events: readonly VigilEvent[], from = 0): number {
  const starting = new Set<string>();
  let max = 0;
  for (const e of events.slice(from)) {
    if (e.type !== 'service_event') continue;
    if (e.to === 'starting') starting.add(e.service);
    else starting.delete(e.service);
    max = Math.max(max, starting.size);
  }
  return max;
}

describe('launch order and bounds, at run time', () => {
  it('serial services of a phase start one after the other, each once the previous is ready', async () => {
    const p = await freePorts(3);
    const svc = (n: string, port: number) =>
      `  ${n}:\n    command: node svc.mjs\n    port: ${port}\n    launch: serial\n    env: { BOOT_MS: "400" }\n`;
    const { log } = await launch(`version: 1
name: serial
services:
${svc('a', p[0]!)}${svc('b', p[1]!)}${svc('c', p[2]!)}`);
    await log.waitFor(ready, 20_000, 'system-ready');
    const order = ['a', 'b', 'c'].sort(
      (x, y) => indexOf(log, x, 'starting') - indexOf(log, y, 'starting'),
    );
    const [first, second, third] = order as [string, string, string];
    expect(indexOf(log, first, 'running')).toBeLessThan(indexOf(log, second, 'starting'));
    expect(indexOf(log, second, 'running')).toBeLessThan(indexOf(log, third, 'starting'));
    expect(maxConcurrentStarting(log.events)).toBe(1);
  }, 30_000);

  it('parallel_launch_limit bounds the launch and a burst of recoveries', async () => {
    const p = await freePorts(5);
    const svc = (n: string, port: number) =>
      `  ${n}:\n    command: node svc.mjs\n    port: ${port}\n    env: { BOOT_MS: "500" }\n    restart: { backoff: [0ms] }\n`;
    const { sup, log } = await launch(`version: 1
name: bounded
settings:
  parallel_launch_limit: 2
services:
${p.map((port, i) => svc(`s${i}`, port)).join('')}`);
    await log.waitFor(ready, 30_000, 'system-ready');
    expect(maxConcurrentStarting(log.events)).toBe(2);
    // All five crash at once: at most two restart at a time.
    const mark = log.events.length;
    const pids = [...sup.runners.values()].map((r) => r.pid!);
    for (const pid of pids) process.kill(-pid, 'SIGKILL');
    await until(
      () =>
        [...sup.runners.values()].every((r) => r.lifecycle === 'running' && !pids.includes(r.pid!)),
      30_000,
      'all five back',
    );
    expect(maxConcurrentStarting(log.events, mark)).toBe(2);
    expect([...sup.runners.values()].every((r) => r.restartCount === 1)).toBe(true);
  }, 60_000);

  it('recovery: stack_restart restarts the whole stack in order when the service fails', async () => {
    const p = await freePorts(2);
    const { sup, log } = await launch(
      `version: 1
name: whole
services:
  db:
    command: node svc.mjs
    port: ${p[0]}
  app:
    command: node crash-once.mjs
    port: ${p[1]}
    env: { FLAG: ./app.flag }
    recovery: stack_restart
    restart: { backoff: [100ms] }
    depends_on: { db: healthy }
`,
      { 'crash-once.mjs': CRASH_ONCE },
    );
    await log.waitFor(
      (e) => e.type === 'healing_event' && e.service === 'app' && e.action === 'stack_restart',
      20_000,
      'stack_restart',
    );
    const dbPid = lifecycleEvents(log, 'db').find((e) => e.to === 'running')!.pid;
    await until(
      () =>
        sup.runner('app').lifecycle === 'running' &&
        sup.runner('db').lifecycle === 'running' &&
        sup.runner('db').pid !== dbPid,
      20_000,
      'the stack back up',
    );
    const dbStop = lifecycleEvents(log, 'db').find((e) => e.to === 'stopped')!;
    expect(dbStop.reason.kind).toBe('stack_restart');
    // In order: db ready again before app starts again.
    const restartAt = log.events.indexOf(dbStop);
    expect(indexOf(log, 'db', 'running', restartAt)).toBeLessThan(
      indexOf(log, 'app', 'starting', restartAt),
    );
  }, 40_000);
});
