/**
 * The wall clock jumps an hour forward and back while a real `vigil up` heals a crashing service
 * and probes another: every backoff and breaker delay still lasts what it says, and probes keep
 * their cadence. Vigil measures durations with the monotonic clock (performance.now()), and this
 * proves it from outside: a preloaded module shifts `Date` in Vigil's process on SIGUSR2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HealingEvent, VigilEvent } from '../src/shared/events.js';
import { freePorts } from '../src/main/core/testing/fixtures.js';
import { LINUX, Tracker, buildCli, makeStack, runVigil, stopVigil } from './harness.js';
import { HTTP_SERVICE } from './services.js';

const t = new Tracker();
beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

const HOUR = 3_600_000;

/** Shifts Date.now() and `new Date()` by the offset written in $VIGIL_TEST_CLOCK_FILE on SIGUSR2. */
const JUMP_PRELOAD = `
import fs from 'node:fs';
const file = process.env.VIGIL_TEST_CLOCK_FILE;
const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);
let offset = 0;
class JumpingDate extends RealDate {
  constructor(...args) { if (args.length === 0) super(realNow() + offset); else super(...args); }
  static now() { return realNow() + offset; }
}
globalThis.Date = JumpingDate;
if (file) process.on('SIGUSR2', () => { offset = Number(fs.readFileSync(file, 'utf8')) || 0; });
`;

describe.skipIf(!LINUX)('wall clock jumps', () => {
  it('backoff, breaker trials and probes keep to monotonic time when the wall clock jumps ±1 h', async () => {
    const [port, port2] = await freePorts(2);
    const stack = makeStack(
      t,
      `version: 1
services:
  crashy:
    command: node -e "setTimeout(() => process.exit(1), 30)"
    restart: { backoff: [700ms], max_attempts: 6 }
  probed:
    command: node svc.mjs
    port: ${port}
    health: { http: /health, interval: 100ms }
  healer:
    command: node svc.mjs
    port: ${port2}
    restart: { backoff: [200ms, 4s] }
settings:
  circuit_breaker: { threshold: 3, reset_after: 1200ms }
  stable_after: 1s
`,
      { 'svc.mjs': HTTP_SERVICE, 'jump.mjs': JUMP_PRELOAD },
    );
    const clockFile = path.join(stack.dir, 'clock-offset');
    const run = runVigil(t, {
      stack,
      env: {
        NODE_OPTIONS: `--import=${path.join(stack.dir, 'jump.mjs')}`,
        VIGIL_TEST_CLOCK_FILE: clockFile,
      },
    });
    const jump = (offset: number): void => {
      fs.writeFileSync(clockFile, String(offset));
      process.kill(run.pid, 'SIGUSR2');
    };
    const scheduled = (e: VigilEvent): e is HealingEvent =>
      e.type === 'healing_event' && e.service === 'crashy' && e.action === 'restart_scheduled';
    const starting = (e: VigilEvent): boolean =>
      e.type === 'service_event' && e.service === 'crashy' && e.to === 'starting';

    const offsets = [HOUR, -HOUR, 0, HOUR, -HOUR];
    const gaps: { delay: number; took: number }[] = [];
    let seen = 0;
    for (const offset of offsets) {
      const ev = (await run.waitFor(
        (e) => scheduled(e) && run.events.filter(scheduled).indexOf(e) === seen,
        20_000,
        `restart_scheduled #${seen + 1}`,
      )) as HealingEvent;
      seen += 1;
      jump(offset);
      const at = run.receivedAt(ev)!;
      const next = await run.next(starting, 20_000, 'the restart');
      gaps.push({ delay: ev.delayMs ?? 0, took: run.receivedAt(next)! - at });
    }
    // The breaker opened on the way: some delays are its trial gate, not the backoff.
    expect(gaps.some((g) => g.delay >= 1_000)).toBe(true);
    for (const g of gaps) {
      expect(g.delay, JSON.stringify(gaps)).toBeLessThanOrEqual(1_201);
      expect(g.took, JSON.stringify(gaps)).toBeGreaterThanOrEqual(g.delay - 100);
      expect(g.took, JSON.stringify(gaps)).toBeLessThan(g.delay + 10_000);
    }
    // The event timestamps followed the jumps (so the jumps really happened inside Vigil).
    const ts = run.events.filter(scheduled).map((e) => e.ts);
    expect(Math.max(...ts) - Math.min(...ts)).toBeGreaterThan(HOUR / 2);

    // Probes of the other service kept their cadence through every jump: no stall, no burst.
    const all = run.events.filter((e) => e.type === 'health_update' && e.service === 'probed');
    // From its first success on (before it, the server was still booting).
    const probes = all.slice(all.findIndex((e) => e.type === 'health_update' && e.result.ok));
    const times = probes.map((e) => run.receivedAt(e)!);
    const span = times[times.length - 1]! - times[0]!;
    expect(probes.length).toBeGreaterThan(span / 100 / 3);
    expect(probes.length).toBeLessThan((span / 100) * 3 + 10);
    let maxGap = 0;
    for (let i = 1; i < times.length; i++) maxGap = Math.max(maxGap, times[i]! - times[i - 1]!);
    expect(maxGap).toBeLessThan(3_000);
    expect(probes.every((e) => e.type === 'health_update' && e.result.ok)).toBe(true);

    // stable_after is measured on the monotonic clock too: a service healthy for 1 s has its
    // restart counter reset even though the wall clock went back an hour meanwhile.
    const healerUp = (e: VigilEvent): boolean =>
      e.type === 'service_event' && e.service === 'healer' && e.to === 'running';
    const first = await run.waitFor(healerUp, 20_000, 'healer running');
    process.kill(first.type === 'service_event' ? first.pid! : 0, 'SIGKILL');
    await run.next(healerUp, 20_000, 'healer running again');
    jump(-2 * HOUR); // an hour back from where the last jump left it
    await run.next(
      (e) => e.type === 'healing_event' && e.service === 'healer' && e.action === 'counter_reset',
      15_000,
      'restart counter reset after stable_after',
    );
    const again = run.events.filter(healerUp).at(-1)!;
    process.kill(again.type === 'service_event' ? again.pid! : 0, 'SIGKILL');
    const sched = (await run.next(
      (e) =>
        e.type === 'healing_event' && e.service === 'healer' && e.action === 'restart_scheduled',
      15_000,
      'healer restart scheduled',
    )) as HealingEvent;
    expect(sched.delayMs).toBe(200);
    expect(sched.attempt).toBe(1);
    expect((await stopVigil(run)).code).toBe(0);
  }, 90_000);
});
