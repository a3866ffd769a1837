/**
 * Healing with real processes: unhealthy restarts, recovery strategies, dependency restarts that
 * spare healthy dependencies, the stable reset, and the emergency shutdown.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealingEvent, VigilEvent } from '../../shared/events.js';
import { loadStack } from './config/index.js';
import { Supervisor } from './supervisor.js';
import { HistoryStore } from './store/index.js';
import { EventLog, freePorts, tempStack, type TempStack } from './testing/fixtures.js';

let stacks: TempStack[] = [];
let sups: Supervisor[] = [];

afterEach(async () => {
  for (const s of sups) await s.shutdown('stopped', 'SIGKILL').catch(() => undefined);
  for (const s of stacks) s.cleanup();
  stacks = [];
  sups = [];
});

function start(yaml: string, opts: { store?: boolean; sampleIntervalMs?: number } = {}) {
  const stack = tempStack(yaml);
  stacks.push(stack);
  const loaded = loadStack(stack.file, { env: process.env });
  if (!loaded.ok)
    throw new Error(loaded.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
  const store = opts.store ? HistoryStore.open(stack.dataDir) : null;
  const sup = new Supervisor({
    config: loaded.config,
    dataDir: stack.dataDir,
    sampleIntervalMs: opts.sampleIntervalMs ?? 0,
    store,
  });
  sups.push(sup);
  const log = new EventLog();
  sup.subscribe(log.push);
  return { sup, log, stack, store };
}

const healing = (log: EventLog, service: string, action?: string): HealingEvent[] =>
  log.events.filter(
    (e): e is HealingEvent =>
      e.type === 'healing_event' &&
      e.service === service &&
      (action === undefined || e.action === action),
  );
const isReady = (ev: VigilEvent) => ev.type === 'status_update' && ev.event === 'system-ready';

/** A service whose /health turns 503 when the file `sick` exists in its directory. */
const TOGGLE = `
import http from 'node:http';
import fs from 'node:fs';
http.createServer((q, r) => { r.writeHead(fs.existsSync(process.env.FLAG) ? 503 : 200); r.end(); })
  .listen(Number(process.env.PORT), '127.0.0.1');
`;

describe('healing with real processes', () => {
  it('restarts a service whose health turns unhealthy after failure_threshold probes', async () => {
    const [port] = await freePorts(1);
    const { sup, log, stack } = start(`version: 1
services:
  api:
    command: node toggle.mjs
    port: ${port}
    env: { FLAG: ./sick }
    health:
      http: { path: /health }
      interval: 100ms
      failure_threshold: 3
    restart: { backoff: [50ms] }
`);
    fs.writeFileSync(path.join(stack.dir, 'toggle.mjs'), TOGGLE);
    await sup.start();
    await log.waitFor(isReady, 15_000, 'ready');
    fs.writeFileSync(path.join(stack.dir, 'sick'), '');
    const ev = await log.next(
      (e) => e.type === 'healing_event' && e.action === 'restart_scheduled',
      10_000,
      'restart scheduled',
    );
    expect(ev.type === 'healing_event' && ev.reason.kind).toBe('probe');
    expect(ev.type === 'healing_event' && ev.reason.message).toMatch(/failed 3 times: HTTP 503/);
    // Below the threshold nothing happened: exactly three failing results preceded the decision.
    const failures = log.events.filter((e) => e.type === 'health_update' && !e.result.ok);
    expect(failures.length).toBeGreaterThanOrEqual(3);
    fs.rmSync(path.join(stack.dir, 'sick'));
    await log.next(
      (e) => e.type === 'service_event' && e.to === 'running',
      10_000,
      'running again',
    );
  }, 30_000);

  it('runs the reset command before each restart with restart_with_reset', async () => {
    const { sup, log, stack } = start(`version: 1
services:
  job:
    command: node -e "setTimeout(() => process.exit(1), 150)"
    recovery: restart_with_reset
    reset: node -e "require('fs').appendFileSync('resets.txt', 'x')"
    restart: { backoff: [50ms], max_attempts: 2 }
settings:
  circuit_breaker: { threshold: 10, reset_after: 1s }
`);
    await sup.start();
    await log.waitFor(
      (e) => e.type === 'service_event' && e.to === 'quarantined',
      15_000,
      'quarantined',
    );
    expect(fs.readFileSync(path.join(stack.dir, 'resets.txt'), 'utf8')).toBe('xx');
    expect(healing(log, 'job', 'reset')).toHaveLength(2);
  }, 30_000);

  it('gives up on an optional service with recovery degraded and keeps the stack degraded, not critical', async () => {
    const [port] = await freePorts(1);
    const { sup, log } = start(`version: 1
services:
  core:
    command: node svc.mjs
    port: ${port}
  extra:
    command: node -e "process.exit(1)"
    required: false
    recovery: degraded
    restart: { backoff: [20ms], max_attempts: 1 }
settings:
  circuit_breaker: { threshold: 10, reset_after: 1s }
`);
    await sup.start();
    await log.waitFor(
      (e) => e.type === 'healing_event' && e.action === 'give_up',
      15_000,
      'give up',
    );
    expect(sup.runner('extra').lifecycle).toBe('failed');
    await log.waitFor(() => sup.systemState() === 'degraded', 5_000, 'degraded');
    expect(
      log.events.some((e) => e.type === 'status_update' && e.event === 'system-critical'),
    ).toBe(false);
  }, 30_000);

  it('rung 3 restarts only the dependency that fails its own probe, never a healthy shared one', async () => {
    const [p1, p2] = await freePorts(2);
    const { sup, log, stack } = start(`version: 1
services:
  shared:
    command: node svc.mjs
    port: ${p1}
  broken:
    command: node toggle.mjs
    port: ${p2}
    env: { FLAG: ./sick }
    health: { http: { path: /health }, interval: 100ms, failure_threshold: 1 }
    restart: { policy: never }
  app:
    command: node -e "setTimeout(() => process.exit(1), 200)"
    depends_on:
      shared: started
      broken: { condition: started, optional: true }
    restart: { backoff: [10ms, 10ms, 10ms, 10ms, 10ms, 10ms, 10ms], max_attempts: 6 }
settings:
  circuit_breaker: { threshold: 20, reset_after: 1s }
`);
    fs.writeFileSync(path.join(stack.dir, 'toggle.mjs'), TOGGLE);
    await sup.start();
    await log.waitFor(
      (e) => e.type === 'service_event' && e.service === 'broken' && e.to === 'running',
      10_000,
      'broken up',
    );
    fs.writeFileSync(path.join(stack.dir, 'sick'), '');
    await log.waitFor(
      (e) => e.type === 'healing_event' && e.service === 'app' && e.action === 'dependency_restart',
      30_000,
      'dependency restart',
    );
    await log.waitFor(
      (e) =>
        e.type === 'healing_event' &&
        e.service === 'broken' &&
        e.reason.kind === 'dependency_recovery',
      5_000,
      'broken restarted for app',
    );
    expect(healing(log, 'shared').filter((e) => e.action.includes('restart'))).toEqual([]);
    expect(sup.runner('shared').generation).toBe(1);
  }, 45_000);

  it('emergency shutdown: a critical service quarantined with on_critical shutdown stops the stack', async () => {
    const [port] = await freePorts(1);
    const { sup, log } = start(`version: 1
settings:
  on_critical: shutdown
  circuit_breaker: { threshold: 10, reset_after: 1s }
services:
  web:
    command: node svc.mjs
    port: ${port}
  db:
    command: node -e "setTimeout(() => process.exit(2), 300)"
    priority: critical
    restart: { backoff: [20ms], max_attempts: 1 }
`);
    await sup.start();
    await log.waitFor(
      (e) => e.type === 'status_update' && e.event === 'emergency-shutdown',
      15_000,
      'emergency',
    );
    await log.waitFor(
      (e) => e.type === 'status_update' && e.event === 'stack-stopped',
      15_000,
      'stopped',
    );
    expect(sup.runner('web').lifecycle).toBe('stopped');
    const order = log.events
      .filter(
        (e): e is Extract<VigilEvent, { type: 'status_update' }> =>
          e.type === 'status_update' && e.event !== undefined,
      )
      .map((e) => e.event);
    expect(order.indexOf('system-critical')).toBeLessThan(order.indexOf('emergency-shutdown'));
  }, 30_000);

  it('history: restart counts in the report equal the recorded restart events', async () => {
    const { sup, log, store } = start(
      `version: 1
services:
  crashy:
    command: node -e "setTimeout(() => process.exit(1), 100)"
    restart: { backoff: [30ms, 60ms], max_attempts: 3 }
settings:
  circuit_breaker: { threshold: 10, reset_after: 1s }
`,
      { store: true },
    );
    await sup.start();
    await log.waitFor(
      (e) => e.type === 'service_event' && e.to === 'quarantined',
      15_000,
      'quarantined',
    );
    store!.flush();
    const now = Date.now();
    const stats = store!.serviceStats('crashy', { since: now - 60_000, until: now });
    const recorded = store!
      .healing({ service: 'crashy', limit: 1000 })
      .filter((e) => ['restart', 'graceful_restart', 'dependency_restart'].includes(e.action));
    expect(recorded).toHaveLength(3);
    expect(stats.restarts).toBe(3);
    expect(stats.quarantines).toBe(1);
    await sup.shutdown();
    store!.close();
  }, 30_000);

  it("a service's own circuit breaker overrides the stack's", async () => {
    // The stack's breaker (2 failures, 60 s) would hold every restart of both from the second on.
    const { sup, log } = start(`version: 1
settings:
  circuit_breaker: { threshold: 2, reset_after: 60s }
services:
  nobreaker:
    command: node -e "setTimeout(() => process.exit(1), 50)"
    restart: { backoff: [20ms, 40ms, 80ms], max_attempts: 4, circuit_breaker: { threshold: 0 } }
  quick:
    command: node -e "setTimeout(() => process.exit(1), 50)"
    restart: { backoff: [20ms], max_attempts: 3, circuit_breaker: { reset_after: 300ms } }
`);
    await sup.start();
    for (const name of ['nobreaker', 'quick']) {
      await log.waitFor(
        (e) => e.type === 'service_event' && e.service === name && e.to === 'quarantined',
        15_000,
        `${name} quarantined`,
      );
    }
    const delays = (name: string) =>
      healing(log, name, 'restart_scheduled').map((e) => [
        Math.round(e.delayMs ?? -1),
        e.breaker ?? 'closed',
      ]);
    expect(delays('nobreaker')).toEqual([
      [20, 'closed'],
      [40, 'closed'],
      [80, 'closed'],
      [80, 'closed'],
    ]);
    expect(healing(log, 'nobreaker', 'breaker_open')).toEqual([]);
    const quick = delays('quick');
    expect(quick).toHaveLength(3);
    expect(quick[0]).toEqual([20, 'closed']);
    // Opened at the second failure: that restart waits for the trial, 300 ms, not the stack's 60 s.
    expect(quick[1]![1]).toBe('open');
    expect(quick[1]![0]).toBeGreaterThan(200);
    expect(quick[1]![0]).toBeLessThanOrEqual(300);
    // The trial either failed (open again: 300 ms) or saw the process alive first, which closes the
    // breaker (the backoff's 20 ms): which one depends on the machine's speed. Never 60 s.
    expect(quick[2]![0]).toBeLessThanOrEqual(300);
    await sup.shutdown();
  }, 30_000);

  it('restarts a service over its memory limit with reason memory limit', async () => {
    const { sup, log } = start(
      `version: 1
services:
  hog:
    command: node -e "const a = []; for (let i = 0; i < 12; i++) a.push(Buffer.alloc(8 * 1048576, 1)); setInterval(() => a.length, 1000)"
    limits: { memory: 48MB }
    restart: { backoff: [50ms] }
`,
      { sampleIntervalMs: 200 },
    );
    await sup.start();
    const ev = await log.waitFor(
      (e) => e.type === 'healing_event' && e.action === 'limit_exceeded',
      15_000,
      'limit exceeded',
    );
    expect(ev.type === 'healing_event' && ev.reason.kind).toBe('memory_limit');
    expect(ev.type === 'healing_event' && ev.reason.message).toMatch(/over the limit of 48 MB/);
    const restart = await log.waitFor(
      (e) =>
        e.type === 'healing_event' && e.action === 'restart' && e.reason.kind === 'memory_limit',
      10_000,
      'restart for memory',
    );
    expect(restart).toBeTruthy();
    expect(sup.runner('hog').metrics.rssBytes).toBeGreaterThan(0);
  }, 30_000);
});
