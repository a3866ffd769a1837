/**
 * The lifecycle machine, event by event: every lifecycle reached, every timer an effect, every
 * senseless event ignored with a reason; then random event sequences against a model of the world
 * (processes, timers, the healing engine) with the invariants checked after every step.
 */
import { describe, expect, it } from 'vitest';
import { LIFECYCLES, type Lifecycle, type Reason } from '../../../shared/model.js';
import type { Decision, Failure } from '../healing/engine.js';
import {
  initialInstanceState,
  step,
  type Effect,
  type InstanceEvent,
  type InstanceState,
  type StopParams,
} from './machine.js';
import { DECISIONS, explore } from './testing/explore.js';

const why = (message: string): Reason => ({ kind: 'manual', message });
const STOP: StopParams = { signal: 'SIGTERM', timeoutMs: 3_000 };
const crash: Failure = {
  kind: 'exit',
  code: 1,
  signal: null,
  reason: { kind: 'exit', message: 'exited with code 1', exitCode: 1, signal: null },
};
const cleanExit: Failure = {
  kind: 'exit',
  code: 0,
  signal: null,
  reason: { kind: 'exit', message: 'exited with code 0', exitCode: 0, signal: null },
};
const restartIn = (
  delayMs: number,
  mode: 'immediate' | 'graceful' | 'dependencies' = 'immediate',
  breakerTrial = false,
): Decision => ({
  do: 'restart',
  attempt: 1,
  maxAttempts: 5,
  rung: mode === 'immediate' ? 1 : mode === 'graceful' ? 2 : 3,
  delayMs,
  mode,
  runReset: false,
  breakerTrial,
});

/** Drives the machine by hand: the current state, the time, and every step's output. */
class Driver {
  state: InstanceState = initialInstanceState;
  now = 0;
  last: { effects: readonly Effect[]; ignored?: string } = { effects: [] };

  send(ev: InstanceEvent): readonly Effect[] {
    const out = step(this.state, ev, this.now);
    this.state = out.state;
    this.last = out;
    return out.effects;
  }

  /** The effects of the last step, kinds only, in order. */
  get did(): string[] {
    return this.last.effects.map((e) =>
      e.do === 'lifecycle'
        ? `${e.from}->${e.to}`
        : e.do === 'schedule'
          ? `schedule ${e.timer}`
          : e.do === 'cancel'
            ? `cancel ${e.timer}`
            : e.do === 'healing'
              ? `healing ${e.action}`
              : e.do,
    );
  }

  get launch(): number {
    return this.state.launch;
  }

  /** pending -> starting, generation `gen`. */
  up(startupTimeoutMs = 5_000): void {
    this.send({ type: 'up_requested', reason: why('launch') });
    this.send({ type: 'launch_cleared', launch: this.launch, reason: why('go') });
    this.send({
      type: 'spawned',
      generation: this.state.generation,
      reason: why('spawned'),
      startupTimeoutMs,
    });
  }

  ready(): void {
    this.up();
    this.send({ type: 'probe_ready', generation: this.state.generation, reason: why('ready') });
  }

  /** The running process crashes; its leftovers are reaped; the engine is asked. */
  crash(): void {
    const gen = this.state.generation;
    this.send({ type: 'exited', generation: gen });
    this.send({ type: 'reaped', generation: gen, failure: crash, lastError: 'exited with code 1' });
  }

  decide(decision: Decision): void {
    this.send({ type: 'decided', generation: this.state.generation, decision, stop: STOP });
  }
}

describe('starting', () => {
  it('asks for a start, spawns a new generation, and runs a startup timer until ready', () => {
    const m = new Driver();
    expect(m.send({ type: 'up_requested', reason: why('launch') })).toEqual([
      { do: 'start', launch: 1, reason: why('launch') },
    ]);
    expect(m.state).toMatchObject({ desired: 'up', launching: true, lifecycle: 'pending' });
    expect(m.send({ type: 'launch_cleared', launch: 1, reason: why('go') })).toEqual([
      { do: 'spawn', generation: 1, reason: why('go') },
    ]);
    m.now = 100;
    m.send({ type: 'spawned', generation: 1, reason: why('spawned'), startupTimeoutMs: 5_000 });
    expect(m.last.effects).toEqual([
      { do: 'lifecycle', from: 'pending', to: 'starting', reason: why('spawned') },
      { do: 'schedule', timer: 'startup', at: 5_100, generation: 1 },
    ]);
    m.send({ type: 'probe_ready', generation: 1, reason: why('ready') });
    expect(m.did).toEqual(['cancel startup', 'starting->running']);
    expect(m.state).toMatchObject({ lifecycle: 'running', process: 'live', startup: null });
  });

  it('waits for its dependencies, announcing each new set of blockers once', () => {
    const m = new Driver();
    m.send({ type: 'up_requested', reason: why('launch') });
    m.send({ type: 'deps_blocked', launch: 1, blockedBy: ['db'], reason: why('blocked by db') });
    expect(m.last.effects).toEqual([
      {
        do: 'lifecycle',
        from: 'pending',
        to: 'waiting',
        reason: why('blocked by db'),
        blockedBy: ['db'],
      },
    ]);
    m.send({ type: 'deps_changed' });
    expect(m.did).toEqual(['start']);
    m.send({ type: 'deps_blocked', launch: 2, blockedBy: ['db'], reason: why('blocked by db') });
    expect(m.did).toEqual([]);
    m.send({ type: 'deps_changed' });
    m.send({ type: 'deps_blocked', launch: 3, blockedBy: ['db', 'cache'], reason: why('both') });
    expect(m.did).toEqual(['waiting->waiting']);
    expect(m.state.blocked).toEqual(['db', 'cache']);
  });

  it('a start that cannot happen (port held) fails without a process', () => {
    const m = new Driver();
    m.send({ type: 'up_requested', reason: why('launch') });
    m.send({ type: 'start_failed', launch: 1, reason: { kind: 'port_in_use', message: 'held' } });
    expect(m.did).toEqual(['pending->failed']);
    expect(m.state).toMatchObject({ process: 'none', launching: false, generation: 0 });
  });

  it('is not ready within the startup timeout: a failed start for the engine', () => {
    const m = new Driver();
    m.up(2_000);
    m.now = 2_000;
    m.send({ type: 'startup_timeout', generation: 1 });
    expect(m.last.effects).toEqual([
      {
        do: 'fail',
        generation: 1,
        failure: {
          kind: 'start_failed',
          reason: {
            kind: 'startup_timeout',
            message: 'not ready within the startup timeout of 2s',
          },
        },
        lastError: 'not ready within the startup timeout of 2s',
      },
    ]);
    m.decide(restartIn(1_000, 'graceful'));
    expect(m.did).toEqual(['starting->stopping', 'stop']);
    expect(m.last.effects[1]).toEqual({
      do: 'stop',
      generation: 1,
      signal: 'SIGTERM',
      timeoutMs: 3_000,
      recovery: true,
    });
  });

  it('an instance asked up twice starts once', () => {
    const m = new Driver();
    m.send({ type: 'up_requested', reason: why('launch') });
    m.send({ type: 'up_requested', reason: why('again') });
    expect(m.did).toEqual([]);
    m.send({ type: 'launch_cleared', launch: 1, reason: why('go') });
    m.send({ type: 'spawned', generation: 1, reason: why('go'), startupTimeoutMs: 1_000 });
    m.send({ type: 'up_requested', reason: why('again') });
    expect(m.did).toEqual([]);
  });
});

describe('failures and backoff', () => {
  it('crash -> reap -> engine -> backoff with its attempt time -> restart', () => {
    const m = new Driver();
    m.ready();
    m.now = 10_000;
    m.send({ type: 'exited', generation: 1 });
    expect(m.last.effects).toEqual([{ do: 'reap', generation: 1 }]);
    expect(m.state.lifecycle).toBe('running');
    m.send({ type: 'reaped', generation: 1, failure: crash, lastError: 'exited with code 1' });
    expect(m.did).toEqual(['fail']);
    m.decide(restartIn(2_000));
    expect(m.last.effects).toEqual([
      {
        do: 'healing',
        action: 'restart_scheduled',
        reason: crash.reason,
        attempt: 1,
        rung: 1,
        delayMs: 2_000,
      },
      {
        do: 'lifecycle',
        from: 'running',
        to: 'backoff',
        reason: crash.reason,
        nextAttemptAt: 12_000,
      },
      { do: 'schedule', timer: 'backoff', at: 12_000, generation: 1 },
    ]);
    expect(m.send({ type: 'backoff_elapsed', at: 11_000 })).toEqual([]);
    expect(m.last.ignored).toMatch(/no attempt is due/);
    m.now = 12_000;
    m.send({ type: 'backoff_elapsed', at: 12_000 });
    expect(m.did).toEqual(['restart', 'start']);
    expect(m.state).toMatchObject({ lifecycle: 'backoff', backoff: { due: true } });
    m.send({ type: 'launch_cleared', launch: m.launch, reason: crash.reason });
    m.send({ type: 'spawned', generation: 2, reason: crash.reason, startupTimeoutMs: 1_000 });
    expect(m.did).toEqual(['backoff->starting', 'schedule startup']);
    expect(m.state.backoff).toBeNull();
  });

  it('a breaker trial restarts with its own reason', () => {
    const m = new Driver();
    m.ready();
    m.crash();
    m.decide(restartIn(500, 'immediate', true));
    m.now = 500;
    m.send({ type: 'backoff_elapsed', at: 500 });
    expect(m.last.effects[0]).toMatchObject({
      do: 'restart',
      reason: { kind: 'breaker_trial', message: 'breaker trial after: exited with code 1' },
    });
  });

  it('an unhealthy instance is stopped before its backoff (graceful, or SIGKILL on rung 1)', () => {
    for (const [mode, signal, timeoutMs] of [
      ['graceful', 'SIGTERM', 3_000],
      ['immediate', 'SIGKILL', 0],
    ] as const) {
      const m = new Driver();
      m.ready();
      m.send({ type: 'probe_failed', generation: 1, reason: why('http probe failed: 503') });
      expect(m.did).toEqual(['fail']);
      m.decide(restartIn(1_000, mode));
      expect(m.last.effects).toEqual([
        {
          do: 'lifecycle',
          from: 'running',
          to: 'stopping',
          reason: why('stopping the failing instance: http probe failed: 503'),
        },
        { do: 'stop', generation: 1, signal, timeoutMs, recovery: true },
      ]);
      m.now = 400;
      m.send({ type: 'exited', generation: 1 }); // the stop's own doing: no reap, no judgment
      expect(m.did).toEqual([]);
      m.send({ type: 'stopped', generation: 1 });
      expect(m.did).toEqual(['healing restart_scheduled', 'stopping->backoff', 'schedule backoff']);
      expect(m.state.backoff?.at).toBe(1_400);
    }
  });

  it('quarantine and give-up hold it down; asking it up is refused until released', () => {
    const m = new Driver();
    m.ready();
    m.crash();
    m.decide({ do: 'quarantine', reason: 'gave up after 5 restart attempts' });
    expect(m.did).toEqual(['healing quarantine', 'running->quarantined']);
    expect(m.state.desired).toBe('down');
    m.send({ type: 'up_requested', reason: why('launch') });
    expect(m.last.ignored).toMatch(/quarantined/);
    m.send({ type: 'start_requested', reason: why('start') });
    expect(m.last.ignored).toMatch(/quarantined/);
    m.send({ type: 'relaunch', reason: why('release') });
    expect(m.did).toEqual(['quarantined->stopped', 'start']);
    expect(m.state.desired).toBe('up');

    const g = new Driver();
    g.ready();
    g.send({ type: 'probe_failed', generation: 1, reason: why('503') });
    g.decide({ do: 'give_up', reason: 'gave up' });
    expect(g.did).toEqual(['running->stopping', 'stop']);
    g.send({ type: 'stopped', generation: 1 });
    expect(g.did).toEqual(['healing give_up', 'stopping->failed']);
    expect(g.state).toMatchObject({ desired: 'down', process: 'none' });
  });

  it('a oneshot completes; a policy that does not restart leaves it stopped or failed', () => {
    const m = new Driver();
    m.up();
    m.send({ type: 'exited', generation: 1 });
    expect(m.did).toEqual(['cancel startup', 'reap']);
    m.send({ type: 'reaped', generation: 1, failure: cleanExit, lastError: null });
    m.decide({ do: 'complete' });
    expect(m.did).toEqual(['starting->completed']);

    const clean = new Driver();
    clean.ready();
    clean.send({ type: 'exited', generation: 1 });
    clean.send({ type: 'reaped', generation: 1, failure: cleanExit, lastError: null });
    clean.decide({ do: 'none', why: 'restart policy is never' });
    expect(clean.did).toEqual(['running->stopped']);

    const crashed = new Driver();
    crashed.ready();
    crashed.crash();
    crashed.decide({ do: 'none', why: 'restart policy is never' });
    expect(crashed.last.effects).toEqual([
      {
        do: 'lifecycle',
        from: 'running',
        to: 'failed',
        reason: { ...crash.reason, detail: 'restart policy is never' },
      },
    ]);

    const unhealthy = new Driver();
    unhealthy.ready();
    unhealthy.send({ type: 'probe_failed', generation: 1, reason: why('503') });
    unhealthy.decide({ do: 'none', why: 'restart policy is never' });
    expect(unhealthy.did).toEqual([]);
    expect(unhealthy.state).toMatchObject({ lifecycle: 'running', judging: null });
  });

  it('a failed start whose process outlived it: its later exit changes nothing', () => {
    const m = new Driver();
    m.up(1_000);
    m.send({ type: 'startup_timeout', generation: 1 });
    m.decide({ do: 'none', why: 'restart policy is never' });
    expect(m.did).toEqual(['starting->failed']);
    expect(m.state.process).toBe('live');
    m.send({ type: 'exited', generation: 1 });
    m.send({ type: 'reaped', generation: 1, failure: crash, lastError: 'exited' });
    expect(m.did).toEqual([]);
    expect(m.state).toMatchObject({ lifecycle: 'failed', process: 'none', judging: null });
  });
});

describe('operations', () => {
  it('stop: SIGTERM through stopping, then stopped once swept', () => {
    const m = new Driver();
    m.ready();
    m.send({ type: 'stop_requested', reason: why('stop'), byUser: true, stop: STOP });
    expect(m.did).toEqual(['running->stopping', 'stop']);
    expect(m.last.effects[1]).toMatchObject({ signal: 'SIGTERM', recovery: false });
    expect(m.state).toMatchObject({ desired: 'down', stoppedByUser: true });
    m.send({ type: 'stop_finished', reason: why('stop') });
    expect(m.last.ignored).toMatch(/its process is stopping/);
    m.send({ type: 'stopped', generation: 1 });
    expect(m.did).toEqual([]);
    m.send({ type: 'stop_finished', reason: why('stop') });
    expect(m.did).toEqual(['stopping->stopped']);
  });

  it('stop during backoff cancels the attempt and goes through stopping', () => {
    const m = new Driver();
    m.ready();
    m.crash();
    m.decide(restartIn(2_000));
    m.send({ type: 'stop_requested', reason: why('stop'), byUser: true, stop: STOP });
    expect(m.did).toEqual(['cancel backoff', 'backoff->stopping']);
    m.send({ type: 'stop_finished', reason: why('stop') });
    expect(m.did).toEqual(['stopping->stopped']);
    m.send({ type: 'backoff_elapsed', at: 2_000 });
    expect(m.last.ignored).toBeDefined();
  });

  it('a stop during a recovery stop wins: no backoff after it', () => {
    const m = new Driver();
    m.ready();
    m.send({ type: 'probe_failed', generation: 1, reason: why('503') });
    m.decide(restartIn(1_000, 'graceful'));
    m.send({ type: 'stop_requested', reason: why('shutdown'), byUser: false, stop: STOP });
    expect(m.did).toEqual(['stop']);
    m.send({ type: 'stopped', generation: 1 });
    expect(m.did).toEqual([]);
    m.send({ type: 'stop_finished', reason: why('shutdown') });
    expect(m.did).toEqual(['stopping->stopped']);
    expect(m.state.stoppedByUser).toBe(false);
  });

  it('asked up while stopping on purpose: the stop wins', () => {
    const m = new Driver();
    m.ready();
    m.send({ type: 'stop_requested', reason: why('shutdown'), byUser: false, stop: STOP });
    m.send({ type: 'up_requested', reason: why('launch') });
    expect(m.last.ignored).toMatch(/a stop is under way/);
    m.send({ type: 'stopped', generation: 1 });
    m.send({ type: 'stop_finished', reason: why('shutdown') });
    expect(m.did).toEqual(['stopping->stopped']);
    expect(m.state).toMatchObject({ desired: 'down', launching: false });
  });

  it('restart: stop, then through stopped to a new start; the old start is superseded', () => {
    const m = new Driver();
    m.ready();
    m.send({ type: 'restart_requested', reason: why('restart'), stop: STOP });
    expect(m.did).toEqual(['running->stopping', 'stop']);
    expect(m.state.desired).toBe('up');
    m.send({ type: 'relaunch', reason: why('restart') });
    expect(m.last.ignored).toMatch(/stopping/);
    m.send({ type: 'stopped', generation: 1 });
    m.send({ type: 'relaunch', reason: why('restart') });
    expect(m.did).toEqual(['stopping->stopped', 'start']);
    const launch = m.launch;
    m.send({ type: 'launch_cleared', launch: launch - 1, reason: why('stale') });
    expect(m.last.ignored).toMatch(/not the start under way/);
    m.send({ type: 'launch_cleared', launch, reason: why('go') });
    expect(m.last.effects).toEqual([{ do: 'spawn', generation: 2, reason: why('go') }]);
  });

  it('quarantine: held once the process is gone, or at once with none', () => {
    const m = new Driver();
    m.ready();
    m.send({ type: 'quarantine_requested', reason: why('hold'), stop: STOP });
    expect(m.did).toEqual(['running->stopping', 'stop']);
    m.send({ type: 'stopped', generation: 1 });
    expect(m.did).toEqual(['healing quarantine', 'stopping->quarantined']);

    const b = new Driver();
    b.ready();
    b.crash();
    b.decide(restartIn(5_000));
    b.send({ type: 'quarantine_requested', reason: why('hold'), stop: STOP });
    expect(b.did).toEqual(['cancel backoff', 'healing quarantine', 'backoff->quarantined']);
  });

  it('a dependent brings a pending attempt forward', () => {
    const m = new Driver();
    m.ready();
    m.crash();
    m.decide(restartIn(30_000));
    m.now = 1_000;
    m.send({ type: 'retry_now', reason: why('dependency') });
    expect(m.did).toEqual(['cancel backoff', 'restart', 'start']);
    expect(m.state.backoff).toMatchObject({ at: 1_000, due: true });
    m.send({ type: 'retry_now', reason: why('dependency') });
    expect(m.last.ignored).toMatch(/no attempt is waiting/);
  });

  it('a person starting it during backoff goes now', () => {
    const m = new Driver();
    m.ready();
    m.crash();
    m.decide(restartIn(30_000));
    m.send({ type: 'start_requested', reason: why('start') });
    expect(m.did).toEqual(['cancel backoff', 'start']);
  });
});

describe('senseless and stale events change nothing and say why', () => {
  it.each<[string, (m: Driver) => void, InstanceEvent]>([
    ['an older generation exits', (m) => m.ready(), { type: 'exited', generation: 0 }],
    [
      'a probe of an older generation',
      (m) => m.up(),
      { type: 'probe_ready', generation: 0, reason: why('ready') },
    ],
    [
      'a spawn nobody asked for',
      (m) => m.ready(),
      { type: 'spawned', generation: 2, reason: why('x'), startupTimeoutMs: 1 },
    ],
    ['a stop that was not asked', (m) => m.ready(), { type: 'stopped', generation: 1 }],
    [
      'a decision with no failure judged',
      (m) => m.ready(),
      { type: 'decided', generation: 1, decision: restartIn(1), stop: STOP },
    ],
    [
      'a reap with no exit',
      (m) => m.ready(),
      { type: 'reaped', generation: 1, failure: crash, lastError: null },
    ],
    [
      'a startup timeout once running',
      (m) => m.ready(),
      { type: 'startup_timeout', generation: 1 },
    ],
    ['a backoff timer with no backoff', (m) => m.ready(), { type: 'backoff_elapsed', at: 0 }],
    [
      'a launch slot with no start',
      (m) => m.ready(),
      { type: 'launch_cleared', launch: 1, reason: why('x') },
    ],
    [
      'a probe failure while starting',
      (m) => m.up(),
      { type: 'probe_failed', generation: 1, reason: why('x') },
    ],
    [
      'a stop finishing with no stop',
      (m) => m.ready(),
      { type: 'stop_finished', reason: why('x') },
    ],
    ['a relaunch of a running instance', (m) => m.ready(), { type: 'relaunch', reason: why('x') }],
    [
      'a start of a running instance',
      (m) => m.ready(),
      { type: 'start_requested', reason: why('x') },
    ],
    ['a dependency change while running', (m) => m.ready(), { type: 'deps_changed' }],
  ])('%s', (_, setup, ev) => {
    const m = new Driver();
    setup(m);
    const before = m.state;
    expect(m.send(ev)).toEqual([]);
    expect(m.state).toBe(before);
    expect(m.last.ignored).toEqual(expect.any(String));
  });
});

it('reaches every lifecycle, and its moves are few', () => {
  const { lifecycles, moves } = explore();
  expect([...lifecycles].sort()).toEqual([...LIFECYCLES].sort());
  // Some moves the old permissive table allowed cannot happen any more.
  expect(moves.get('quarantined')).toEqual(new Set(['stopped']));
  expect(moves.get('stopping')?.has('starting')).toBe(false);
  expect(moves.get('stopped')?.has('backoff')).toBe(false);
  expect(moves.get('pending')?.has('backoff')).toBe(false);
});

// ─── random sequences against a model of the world ────────────────────────────────────────

/** mulberry32: reproducible sequences. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * What is real around the machine: live processes by generation, timers, answers owed (a start's
 * outcome, a stop's end, a reap). It answers the effects the way the runner and the OS would, and
 * sends commands and junk at random.
 */
class World {
  state: InstanceState = initialInstanceState;
  now = 0;
  readonly live = new Set<number>();
  readonly timers = new Map<'startup' | 'backoff', { at: number; generation: number }>();
  /** Answers owed, delivered at a random later step. */
  later: InstanceEvent[] = [];
  /** Answers the runner gives at once (a spawn's, a judgment's). */
  now_: InstanceEvent[] = [];
  readonly moves: string[] = [];
  private readonly stopping = new Set<number>();

  constructor(private readonly rnd: () => number) {}

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }

  readonly trail: string[] = [];

  send(ev: InstanceEvent): void {
    const before = this.state;
    this.trail.push(`${before.lifecycle}/${before.process} <- ${JSON.stringify(ev)}`);
    const out = step(before, ev, this.now);
    if (out.ignored !== undefined) {
      expect(out.state.lifecycle, `${ev.type} ignored but moved`).toBe(before.lifecycle);
      expect(out.effects.filter((e) => e.do !== 'cancel')).toEqual([]);
    }
    let lifecycle = before.lifecycle;
    for (const e of out.effects) {
      switch (e.do) {
        case 'lifecycle':
          expect(e.from, 'a move starts where the instance is').toBe(lifecycle);
          lifecycle = e.to;
          this.moves.push(`${e.from}->${e.to}`);
          break;
        case 'spawn':
          // Never two live processes; a quarantined instance never spawns.
          expect(this.live.size, 'spawn with a live process').toBe(0);
          expect(before.lifecycle).not.toBe('quarantined');
          expect(e.generation).toBe(before.generation + 1);
          this.live.add(e.generation);
          this.now_.push(
            this.rnd() < 0.1
              ? { type: 'start_failed', launch: out.state.launch, reason: why('spawn threw') }
              : {
                  type: 'spawned',
                  generation: e.generation,
                  reason: why('up'),
                  startupTimeoutMs: 5_000,
                },
          );
          break;
        case 'stop':
          expect(this.live.has(e.generation) || this.stopping.has(e.generation)).toBe(true);
          this.stopping.add(e.generation);
          this.later.push({ type: 'stopped', generation: e.generation });
          break;
        case 'reap':
          expect(this.live.has(e.generation)).toBe(false);
          this.later.push({
            type: 'reaped',
            generation: e.generation,
            failure: this.rnd() < 0.2 ? cleanExit : crash,
            lastError: 'exited',
          });
          break;
        case 'fail':
          this.now_.push({
            type: 'decided',
            generation: e.generation,
            decision: this.pick([...DECISIONS, restartIn(1_000 + Math.floor(this.rnd() * 5_000))]),
            stop: STOP,
          });
          break;
        case 'start': {
          const launch = e.launch;
          this.later.push(
            this.pick<InstanceEvent>([
              { type: 'launch_cleared', launch, reason: why('go') },
              { type: 'launch_cleared', launch, reason: why('go') },
              { type: 'deps_blocked', launch, blockedBy: ['db'], reason: why('db') },
              { type: 'start_abandoned', launch, why: 'gone' },
              { type: 'start_failed', launch, reason: why('port held') },
            ]),
          );
          break;
        }
        case 'schedule':
          expect(this.timers.has(e.timer), `${e.timer} scheduled twice`).toBe(false);
          expect(e.at).toBeGreaterThanOrEqual(this.now);
          this.timers.set(e.timer, { at: e.at, generation: e.generation });
          break;
        case 'cancel':
          expect(this.timers.has(e.timer), `${e.timer} cancelled but not scheduled`).toBe(true);
          this.timers.delete(e.timer);
          break;
        case 'restart':
        case 'stack_restart':
        case 'healing':
          break;
      }
    }
    expect(out.state.lifecycle, 'the announced moves end where the state is').toBe(lifecycle);
    this.state = out.state;
    // Processes the world ended: a start that failed leaves none.
    if (ev.type === 'start_failed' && before.process === 'spawning')
      this.live.delete(before.generation);
    this.check();
  }

  /** The invariants, after every step. */
  check(): void {
    const s = this.state;
    expect(this.live.size).toBeLessThanOrEqual(1);
    // backoff always has its next attempt, and its timer runs until the attempt is under way
    expect(s.backoff !== null).toBe(s.lifecycle === 'backoff');
    if (s.backoff) {
      expect(this.timers.has('backoff')).toBe(!s.backoff.due);
      if (!s.backoff.due) expect(this.timers.get('backoff')!.at).toBe(s.backoff.at);
      // no process, but the one its due attempt is spawning right now
      expect(s.process).toBe(s.backoff.due && s.process === 'spawning' ? 'spawning' : 'none');
    } else {
      expect(this.timers.has('backoff')).toBe(false);
    }
    // the startup timer runs exactly while starting with a live process (until it has fired
    // and the failed start is being judged)
    const startingLive = s.lifecycle === 'starting' && s.process === 'live';
    expect(this.timers.has('startup')).toBe(startingLive && s.judging === null);
    expect(s.startup !== null).toBe(this.timers.has('startup'));
    if (s.lifecycle === 'quarantined') {
      expect(s.desired).toBe('down');
      expect(s.process).toBe('none');
    }
    // running has its process (alive, or dead and about to be judged)
    if (s.lifecycle === 'running' && s.judging === null) {
      expect(['live', 'exited']).toContain(s.process);
    }
    if (s.process === 'live') {
      expect(this.live.has(s.generation)).toBe(true);
      expect(['starting', 'running', 'failed']).toContain(s.lifecycle);
    }
    if (s.process === 'stopping') expect(s.lifecycle).toBe('stopping');
    if (s.lifecycle !== 'waiting') expect(s.blocked).toEqual([]);
  }

  /** One random thing happens. */
  tick(): void {
    const answer = this.now_.shift();
    if (answer) return this.send(answer);
    const r = this.rnd();
    const gen = this.state.generation;
    if (r < 0.3 && this.later.length > 0) {
      const i = Math.floor(this.rnd() * this.later.length);
      const [ev] = this.later.splice(i, 1);
      if (ev!.type === 'stopped') {
        this.live.delete(ev!.generation);
        this.stopping.delete(ev!.generation);
      }
      return this.send(ev!);
    }
    if (r < 0.4 && this.timers.size > 0) {
      const [name, t] = this.pick([...this.timers.entries()]);
      this.now = Math.max(this.now, t.at);
      this.timers.delete(name);
      return this.send(
        name === 'startup'
          ? { type: 'startup_timeout', generation: t.generation }
          : { type: 'backoff_elapsed', at: t.at },
      );
    }
    if (r < 0.5 && this.live.size > 0) {
      // The process dies on its own.
      const g = [...this.live][0]!;
      this.live.delete(g);
      return this.send({ type: 'exited', generation: g });
    }
    this.now += Math.floor(this.rnd() * 1_000);
    const byHand: InstanceEvent[] = [
      { type: 'up_requested', reason: why('launch') },
      { type: 'start_requested', reason: why('start') },
      { type: 'deps_changed' },
      { type: 'probe_ready', generation: gen, reason: why('ready') },
      { type: 'probe_ready', generation: gen, reason: why('ready') },
      { type: 'probe_failed', generation: gen, reason: why('503') },
      { type: 'limit_exceeded', generation: gen, reason: why('memory') },
      { type: 'stop_requested', reason: why('stop'), byUser: this.rnd() < 0.5, stop: STOP },
      { type: 'restart_requested', reason: why('restart'), stop: STOP },
      { type: 'quarantine_requested', reason: why('hold'), stop: STOP },
      { type: 'stop_finished', reason: why('stop') },
      { type: 'relaunch', reason: why('release') },
      { type: 'retry_now', reason: why('dependency') },
      // junk: stale generations, answers nobody asked for
      { type: 'exited', generation: gen - 1 },
      { type: 'stopped', generation: gen },
      { type: 'spawned', generation: gen + 1, reason: why('?'), startupTimeoutMs: 1 },
      { type: 'reaped', generation: gen, failure: crash, lastError: null },
      { type: 'decided', generation: gen, decision: restartIn(1), stop: STOP },
      { type: 'launch_cleared', launch: this.state.launch - 1, reason: why('stale') },
      { type: 'backoff_elapsed', at: this.now + 1 },
      { type: 'startup_timeout', generation: gen - 1 },
    ];
    this.send(this.pick(byHand));
  }
}

it('random event sequences keep the invariants (300 runs of 150 events)', () => {
  const moves = new Set<string>();
  const reached = new Set<Lifecycle>();
  for (let seed = 1; seed <= 300; seed++) {
    const world = new World(seeded(seed));
    for (let i = 0; i < 150; i++) {
      try {
        world.tick();
      } catch (err) {
        console.log(world.trail.slice(-8).join('\n'));
        throw err;
      }
      reached.add(world.state.lifecycle);
    }
    for (const m of world.moves) moves.add(m);
  }
  expect([...reached].sort()).toEqual([...LIFECYCLES].sort());
  // Every move seen at random is one the exploration found (the documented table).
  const table = explore().moves;
  for (const m of moves) {
    const [from, to] = m.split('->') as [Lifecycle, Lifecycle];
    expect(table.get(from)?.has(to), m).toBe(true);
  }
});
