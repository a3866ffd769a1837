import { describe, expect, it } from 'vitest';
import type { HealthSpec, ProbeResult } from '../../../shared/model.js';
import { FakeClock } from '../clock.js';
import { HealthMonitor, createLogMatcher } from './monitor.js';
import type { HealthCounters } from './tracker.js';

const spec: HealthSpec = {
  probe: { type: 'process' },
  intervalMs: 5_000,
  timeoutMs: 2_000,
  failureThreshold: 3,
  recoveryThreshold: 2,
  startPeriodMs: 0,
  startIntervalMs: 200,
};

const result = (ok: boolean, extra: Partial<ProbeResult> = {}): ProbeResult => ({
  ok,
  timedOut: false,
  latencyMs: 1,
  probe: 'process',
  detail: ok ? 'process alive' : 'process not running',
  ts: 0,
  ...extra,
});

/** Lets promise continuations run. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Call {
  at: number;
  resolve: (r: ProbeResult) => void;
  reject: (e: unknown) => void;
}

/** A monitor whose probes are deferred promises the test settles. */
function setup(over: Partial<HealthSpec> = {}, startedAtMono = 0) {
  const clock = new FakeClock();
  const calls: Call[] = [];
  const seen: {
    result: ProbeResult;
    counters: HealthCounters;
    prev: HealthCounters;
    at: number;
  }[] = [];
  const errors: unknown[] = [];
  let onResultHook: (() => void) | null = null;
  const monitor = new HealthMonitor({
    spec: { ...spec, ...over },
    clock,
    startedAtMono,
    run: () =>
      new Promise<ProbeResult>((resolve, reject) => {
        calls.push({ at: clock.now(), resolve, reject });
      }),
    onResult: (r, counters, prev) => {
      seen.push({ result: r, counters, prev, at: clock.now() });
      onResultHook?.();
    },
    onError: (e) => errors.push(e),
  });
  /** Settles the latest probe and lets the monitor react. */
  const answer = async (ok: boolean, extra: Partial<ProbeResult> = {}): Promise<void> => {
    const call = calls.at(-1);
    if (!call) throw new Error('no probe in flight');
    call.resolve(result(ok, extra));
    await flush();
  };
  return {
    clock,
    calls,
    seen,
    errors,
    monitor,
    answer,
    onResult: (fn: () => void) => {
      onResultHook = fn;
    },
  };
}

describe('HealthMonitor cadence', () => {
  it('probes first after start_interval, then every start_interval until the first success', async () => {
    const t = setup();
    t.monitor.start();
    t.clock.advance(199);
    expect(t.calls).toHaveLength(0);
    t.clock.advance(1);
    expect(t.calls.map((c) => c.at)).toEqual([200]);
    await t.answer(false);
    t.clock.advance(200);
    expect(t.calls.map((c) => c.at)).toEqual([200, 400]);
    await t.answer(false);
    t.clock.advance(200);
    expect(t.calls).toHaveLength(3);
  });

  it('switches to interval after the first success and stays there on failures', async () => {
    const t = setup();
    t.monitor.start();
    t.clock.advance(200);
    await t.answer(true);
    t.clock.advance(4_999);
    expect(t.calls).toHaveLength(1);
    t.clock.advance(1);
    expect(t.calls.map((c) => c.at)).toEqual([200, 5_200]);
    await t.answer(false);
    t.clock.advance(200);
    expect(t.calls).toHaveLength(2);
    t.clock.advance(4_800);
    expect(t.calls.map((c) => c.at)).toEqual([200, 5_200, 10_200]);
  });

  it('schedules from the end of a slow probe, never stacking probes', async () => {
    const t = setup();
    t.monitor.start();
    t.clock.advance(200);
    expect(t.monitor.inFlight).toBe(true);
    t.clock.advance(10_000); // the probe takes 10 s
    expect(t.calls).toHaveLength(1);
    expect(t.clock.pending).toBe(0);
    await t.answer(true);
    expect(t.monitor.inFlight).toBe(false);
    t.clock.advance(4_999);
    expect(t.calls).toHaveLength(1);
    t.clock.advance(1);
    expect(t.calls.map((c) => c.at)).toEqual([200, 15_200]);
  });

  it('does nothing before start()', () => {
    const t = setup();
    t.clock.advance(60_000);
    expect(t.calls).toHaveLength(0);
  });

  it('start() twice does not double the schedule', async () => {
    const t = setup();
    t.monitor.start();
    t.monitor.start();
    t.clock.advance(200);
    expect(t.calls).toHaveLength(1);
  });
});

describe('HealthMonitor results', () => {
  it('feeds each result through the health rules with the previous counters', async () => {
    const t = setup();
    t.monitor.start();
    t.clock.advance(200);
    await t.answer(true);
    expect(t.seen[0]?.prev.health).toBe('unknown');
    expect(t.seen[0]?.counters).toMatchObject({ health: 'healthy', consecutiveSuccesses: 1 });
    for (let i = 0; i < 3; i++) {
      t.clock.advance(5_000);
      await t.answer(false);
    }
    expect(t.seen.map((s) => s.counters.health)).toEqual([
      'healthy',
      'degraded',
      'degraded',
      'unhealthy',
    ]);
    expect(t.seen[3]?.prev.health).toBe('degraded');
    expect(t.monitor.counters).toMatchObject({ health: 'unhealthy', consecutiveFailures: 3 });
  });

  it('does not count failures of probes started in the start period', async () => {
    const t = setup({ startPeriodMs: 1_000 }, 0);
    t.monitor.start();
    for (let i = 0; i < 4; i++) {
      t.clock.advance(200);
      await t.answer(false, { timedOut: true });
    }
    // probes at 200, 400, 600, 800: all in the start period (shown, not counted)
    expect(t.seen.map((s) => s.counters.health)).toEqual([
      'timeout',
      'timeout',
      'timeout',
      'timeout',
    ]);
    expect(t.seen.map((s) => s.counters.consecutiveFailures)).toEqual([0, 0, 0, 0]);
    expect(t.monitor.counters.startFailures).toBe(4);
    t.clock.advance(200); // probe at 1 000: past the start period
    await t.answer(false, { timedOut: true });
    expect(t.monitor.counters).toMatchObject({ health: 'degraded', consecutiveFailures: 1 });
  });

  it('measures the start period from startedAtMono', async () => {
    const t = setup({ startPeriodMs: 1_000 }, -900);
    t.monitor.start();
    t.clock.advance(200); // 1 100 ms after the process started
    await t.answer(false);
    expect(t.monitor.counters.health).toBe('degraded');
  });

  it('turns a rejected run into a failed result and keeps going', async () => {
    const t = setup();
    t.monitor.start();
    t.clock.advance(200);
    t.calls[0]?.reject(new Error('boom'));
    await flush();
    expect(t.seen[0]?.result).toMatchObject({
      ok: false,
      probe: 'process',
      detail: 'probe error: boom',
    });
    t.clock.advance(200);
    expect(t.calls).toHaveLength(2);
  });

  it('keeps probing when onResult throws, and reports the error', async () => {
    const t = setup();
    t.onResult(() => {
      throw new Error('listener bug');
    });
    t.monitor.start();
    t.clock.advance(200);
    await t.answer(true);
    expect(t.errors).toHaveLength(1);
    t.clock.advance(5_000);
    expect(t.calls).toHaveLength(2);
  });
});

describe('HealthMonitor stop', () => {
  it('no callback after stop, even from the probe in flight', async () => {
    const t = setup();
    t.monitor.start();
    t.clock.advance(200);
    expect(t.monitor.inFlight).toBe(true);
    t.monitor.stop();
    await t.answer(true);
    expect(t.seen).toHaveLength(0);
    expect(t.monitor.counters.health).toBe('unknown');
    expect(t.clock.pending).toBe(0);
    t.clock.advance(60_000);
    expect(t.calls).toHaveLength(1);
  });

  it('cancels the pending timer', async () => {
    const t = setup();
    t.monitor.start();
    expect(t.clock.pending).toBe(1);
    t.monitor.stop();
    expect(t.clock.pending).toBe(0);
    t.clock.advance(60_000);
    expect(t.calls).toHaveLength(0);
  });

  it('is final: start() after stop() does nothing', () => {
    const t = setup();
    t.monitor.start();
    t.monitor.stop();
    t.monitor.start();
    t.clock.advance(60_000);
    expect(t.calls).toHaveLength(0);
  });

  it('stop() from inside onResult ends the schedule', async () => {
    const t = setup();
    t.onResult(() => t.monitor.stop());
    t.monitor.start();
    t.clock.advance(200);
    await t.answer(true);
    expect(t.seen).toHaveLength(1);
    expect(t.clock.pending).toBe(0);
  });

  it('checkNow after stop returns a result without feeding callbacks', async () => {
    const t = setup();
    t.monitor.start();
    t.monitor.stop();
    const p = t.monitor.checkNow();
    await t.answer(true);
    await expect(p).resolves.toMatchObject({ ok: true });
    expect(t.seen).toHaveLength(0);
    expect(t.clock.pending).toBe(0);
  });
});

describe('HealthMonitor checkNow', () => {
  it('runs a probe at once and feeds onResult like a scheduled one', async () => {
    const t = setup();
    t.monitor.start();
    const p = t.monitor.checkNow();
    expect(t.calls.map((c) => c.at)).toEqual([0]);
    expect(t.clock.pending).toBe(0); // the scheduled probe was replaced
    await t.answer(true);
    await expect(p).resolves.toMatchObject({ ok: true });
    expect(t.seen).toHaveLength(1);
    expect(t.monitor.counters.health).toBe('healthy');
    // the schedule restarts from the end of this probe
    t.clock.advance(4_999);
    expect(t.calls).toHaveLength(1);
    t.clock.advance(1);
    expect(t.calls).toHaveLength(2);
  });

  it('joins the probe in flight instead of starting another', async () => {
    const t = setup();
    t.monitor.start();
    t.clock.advance(200);
    const a = t.monitor.checkNow();
    const b = t.monitor.checkNow();
    expect(a).toBe(b);
    expect(t.calls).toHaveLength(1);
    await t.answer(false);
    await expect(a).resolves.toMatchObject({ ok: false });
    expect(t.seen).toHaveLength(1);
  });

  it('a scheduled tick never starts a second probe while checkNow is in flight', async () => {
    const t = setup({ startIntervalMs: 200 });
    const p = t.monitor.checkNow(); // before start: nothing scheduled yet
    t.monitor.start(); // does not schedule while a probe is in flight
    t.clock.advance(1_000);
    expect(t.calls).toHaveLength(1);
    await t.answer(false);
    await p;
    t.clock.advance(200);
    expect(t.calls).toHaveLength(2);
  });

  it('works before start() without scheduling anything', async () => {
    const t = setup();
    const p = t.monitor.checkNow();
    await t.answer(true);
    await p;
    expect(t.seen).toHaveLength(1);
    expect(t.clock.pending).toBe(0);
  });

  it('a checkNow started from onResult is the one that schedules the next tick', async () => {
    const t = setup();
    let once = true;
    t.onResult(() => {
      if (once) {
        once = false;
        void t.monitor.checkNow();
      }
    });
    t.monitor.start();
    t.clock.advance(200);
    await t.answer(false);
    expect(t.calls).toHaveLength(2);
    expect(t.clock.pending).toBe(0);
    await t.answer(false);
    expect(t.clock.pending).toBe(1);
  });
});

describe('createLogMatcher', () => {
  it('matches a regular expression in any line fed, and remembers it', () => {
    const m = createLogMatcher('listening on (port )?\\d+');
    m.feed('booting');
    expect(m.matched).toBe(false);
    m.feed('listening on port 3000');
    expect(m.matched).toBe(true);
    m.feed('something else');
    expect(m.matched).toBe(true);
  });

  it('forgets on reset', () => {
    const m = createLogMatcher('ready');
    m.feed('ready');
    m.reset();
    expect(m.matched).toBe(false);
    m.feed('ready again');
    expect(m.matched).toBe(true);
  });

  it('sees through colour codes', () => {
    const m = createLogMatcher('^listening on');
    m.feed('\x1b[32mlistening\x1b[0m on 3000');
    expect(m.matched).toBe(true);
  });

  it('matches an invalid regular expression as plain text', () => {
    const m = createLogMatcher('ready (v1');
    m.feed('ready v1');
    expect(m.matched).toBe(false);
    m.feed('server ready (v1)');
    expect(m.matched).toBe(true);
  });
});
