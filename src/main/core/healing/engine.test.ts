/**
 * Over 500 lines: whole healing stories, each a long sequence of decisions checked step by step.
 *
 * Whole healing stories with a fake monotonic time and a seeded random source: the test plays the
 * supervisor (reports failures, starts trials, reports health, ticks) and checks every decision.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF_MS } from '../../../shared/model.js';
import {
  breakerView,
  initialHealingState,
  manualRestart,
  nextStableResetAt,
  onFailure,
  onHealthy,
  onNotHealthy,
  onTick,
  onTrialStarted,
  quarantine,
  release,
  type Decision,
  type Failure,
  type HealingState,
} from './engine.js';
import type { HealingPolicy } from './policy.js';

function policy(over: Partial<HealingPolicy> = {}): HealingPolicy {
  return {
    restartPolicy: 'always',
    backoffMs: DEFAULT_BACKOFF_MS,
    jitter: 0,
    maxAttempts: 7,
    breaker: { threshold: 3, resetAfterMs: 60_000 },
    stableAfterMs: 60_000,
    recovery: 'restart',
    oneshot: false,
    required: true,
    hasReset: false,
    ...over,
  };
}

function exit(code: number | null, signal: string | null = null): Failure {
  const message = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
  return {
    kind: 'exit',
    code,
    signal,
    reason: { kind: signal !== null ? 'signal' : 'exit', message, exitCode: code, signal },
  };
}
const startFailed: Failure = {
  kind: 'start_failed',
  reason: { kind: 'port_in_use', message: 'port 5433 is in use' },
};
const unhealthy: Failure = {
  kind: 'unhealthy',
  reason: { kind: 'probe', message: 'http probe failed: 503', probe: 'http' },
};

/** mulberry32: reproducible jitter. */
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
const noRandom = (): number => {
  throw new Error('random() must not be used when there is no jitter');
};

type Scheduled = Extract<Decision, { do: 'restart' } | { do: 'stack_restart' }>;
function isScheduled(d: Decision): d is Scheduled {
  return d.do === 'restart' || d.do === 'stack_restart';
}

interface Story {
  state: HealingState;
  now: number;
  /** One line per decision and note, in order, with the monotonic time. */
  log: string[];
  decisions: Decision[];
}

/**
 * A crash loop as the supervisor would drive it: each restarted instance fails as soon as it is
 * started; breaker trials are reported when they start. Bounded to `limit` failures.
 */
function crashLoop(
  p: HealingPolicy,
  random: () => number,
  failure: Failure = exit(1),
  limit = 30,
): Story {
  const story: Story = { state: initialHealingState, now: 0, log: [], decisions: [] };
  for (let i = 0; i < limit; i++) {
    const out = onFailure(p, story.state, failure, story.now, random);
    story.state = out.state;
    story.decisions.push(out.decision);
    for (const n of out.notes) story.log.push(`${story.now} ${n.action}`);
    const d = out.decision;
    if (!isScheduled(d)) {
      story.log.push(`${story.now} ${d.do}`);
      break;
    }
    const rung = d.do === 'restart' ? ` rung ${d.rung}` : '';
    story.log.push(
      `${story.now} ${d.do} #${d.attempt}${rung} in ${d.delayMs}${d.breakerTrial ? ' trial' : ''}`,
    );
    story.now += d.delayMs;
    if (d.breakerTrial) {
      const t = onTrialStarted(story.state, story.now);
      story.state = t.state;
      for (const n of t.notes) story.log.push(`${story.now} ${n.action}`);
    }
  }
  return story;
}

describe('crash loop to quarantine', () => {
  it('follows the default ladder, backoffs and breaker to quarantine', () => {
    const story = crashLoop(policy(), noRandom);
    // 1s, 5s, then the breaker opens at the 3rd consecutive failure: the 3rd attempt (backoff
    // 15s) waits for the trial at +60s; each failed trial re-opens it for another 60s, which is
    // also what the remaining backoffs (30s, 60s, 60s, 60s) are lifted to.
    expect(story.log).toEqual([
      '0 restart #1 rung 1 in 1000',
      '1000 restart #2 rung 1 in 5000',
      '6000 breaker_open',
      '6000 restart #3 rung 1 in 60000 trial',
      '66000 breaker_half_open',
      '66000 breaker_open',
      '66000 restart #4 rung 2 in 60000 trial',
      '126000 breaker_half_open',
      '126000 breaker_open',
      '126000 restart #5 rung 2 in 60000 trial',
      '186000 breaker_half_open',
      '186000 breaker_open',
      '186000 restart #6 rung 3 in 60000 trial',
      '246000 breaker_half_open',
      '246000 breaker_open',
      '246000 restart #7 rung 3 in 60000 trial',
      '306000 breaker_half_open',
      '306000 breaker_open',
      '306000 quarantine',
    ]);
    const modes = story.decisions
      .filter(isScheduled)
      .map((d) => (d.do === 'restart' ? d.mode : ''));
    expect(modes).toEqual([
      'immediate',
      'immediate',
      'immediate',
      'graceful',
      'graceful',
      'dependencies',
      'dependencies',
    ]);
    const last = story.decisions.at(-1);
    expect(last).toEqual({
      do: 'quarantine',
      reason: 'gave up after 7 restart attempts; last failure: exited with code 1',
    });
    expect(story.state.quarantine).toEqual({
      reason: (last as { reason: string }).reason,
      at: 306000,
    });
    expect(story.state.attempts).toBe(7);
    expect(breakerView(story.state, (mono) => 1_000_000 + mono)).toEqual({
      state: 'open',
      failures: 8,
      reason: 'exited with code 1',
      nextTrialAt: null, // quarantined: no trial will happen
      trips: 6,
    });
    expect(story.state.breaker.nextTrialAt).toBe(366_000);
    // Quarantined: no more automatic restarts, and nothing changes.
    const again = onFailure(policy(), story.state, exit(1), 400_000, noRandom);
    expect(again.decision.do).toBe('none');
    expect(again.state).toEqual(story.state);
  });

  it('gives exact short backoffs then quarantines after max attempts', () => {
    const p = policy({
      backoffMs: [100, 200, 400],
      maxAttempts: 3,
      breaker: { threshold: 5, resetAfterMs: 60_000 },
    });
    const story = crashLoop(p, noRandom);
    expect(story.log).toEqual([
      '0 restart #1 rung 1 in 100',
      '100 restart #2 rung 1 in 200',
      '300 restart #3 rung 1 in 400',
      '700 quarantine',
    ]);
    expect(story.decisions.at(-1)).toEqual({
      do: 'quarantine',
      reason: 'gave up after 3 restart attempts; last failure: exited with code 1',
    });
  });

  it('still waits for the breaker when short backoffs reach the threshold', () => {
    const p = policy({ backoffMs: [100, 200, 400], maxAttempts: 3 });
    const story = crashLoop(p, noRandom);
    expect(story.log).toEqual([
      '0 restart #1 rung 1 in 100',
      '100 restart #2 rung 1 in 200',
      '300 breaker_open',
      '300 restart #3 rung 1 in 60000 trial',
      '60300 breaker_half_open',
      '60300 breaker_open',
      '60300 quarantine',
    ]);
  });

  it('quarantines on the first failure when no restart attempts are allowed', () => {
    const out = onFailure(policy({ maxAttempts: 0 }), initialHealingState, exit(1), 0, noRandom);
    expect(out.decision).toEqual({
      do: 'quarantine',
      reason: 'gave up after 0 restart attempts; last failure: exited with code 1',
    });
  });
});

describe('jitter', () => {
  it('keeps delays within [base, base * (1 + jitter)] and non-decreasing, for many seeds', () => {
    const p = policy({ jitter: 0.2, breaker: { threshold: 0, resetAfterMs: 60_000 } });
    for (let seed = 1; seed <= 300; seed++) {
      const story = crashLoop(p, seeded(seed));
      const delays = story.decisions.filter(isScheduled).map((d) => d.delayMs);
      expect(delays).toHaveLength(7);
      let prev = 0;
      delays.forEach((d, i) => {
        const base = DEFAULT_BACKOFF_MS[i] ?? 0;
        expect(d).toBeGreaterThanOrEqual(base);
        expect(d).toBeGreaterThanOrEqual(prev);
        expect(d).toBeLessThanOrEqual(Math.max(prev, Math.round(base * 1.2)));
        prev = d;
      });
      expect(story.decisions.at(-1)?.do).toBe('quarantine');
    }
  });

  it('is reproducible for a seed and differs between seeds', () => {
    const p = policy({ jitter: 0.2 });
    const delays = (seed: number): number[] =>
      crashLoop(p, seeded(seed))
        .decisions.filter(isScheduled)
        .map((d) => d.delayMs);
    expect(delays(7)).toEqual(delays(7));
    expect(delays(7)).not.toEqual(delays(8));
  });
});

describe('flapping and stable reset', () => {
  it('keeps climbing the ladder when healthy periods are shorter than stable_after', () => {
    const p = policy();
    let s = initialHealingState;
    let now = 0;
    const attempts: number[] = [];
    const delays: number[] = [];
    const notes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const out = onFailure(p, s, unhealthy, now, noRandom);
      s = out.state;
      notes.push(...out.notes.map((n) => n.action));
      if (out.decision.do !== 'restart') {
        expect(out.decision.do).toBe('quarantine');
        break;
      }
      attempts.push(out.decision.attempt);
      delays.push(out.decision.delayMs);
      now += out.decision.delayMs;
      if (out.decision.breakerTrial) {
        const t = onTrialStarted(s, now);
        s = t.state;
        notes.push(...t.notes.map((n) => n.action));
      }
      // Healthy for 30 s (less than stable_after), ticking as the supervisor would.
      const h = onHealthy(p, s, now + 2_000);
      s = h.state;
      notes.push(...h.notes.map((n) => n.action));
      expect(nextStableResetAt(p, s)).toBe(now + 2_000 + 60_000);
      s = onTick(p, s, now + 32_000).state;
      s = onNotHealthy(p, s, now + 32_000);
      expect(nextStableResetAt(p, s)).toBeNull();
      now += 32_000;
    }
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // The trial after the 3rd failure succeeds (healthy), which closes the breaker; the count of
    // consecutive failures starts again, so it trips again at the 6th.
    expect(delays).toEqual([1_000, 5_000, 60_000, 30_000, 60_000, 60_000, 60_000]);
    expect(notes).not.toContain('counter_reset');
    expect(notes).toEqual([
      'breaker_open',
      'breaker_half_open',
      'breaker_closed',
      'breaker_open',
      'breaker_half_open',
      'breaker_closed',
    ]);
    expect(s.quarantine?.reason).toContain('http probe failed: 503');
  });

  it('resets counter, backoff and breaker after stable_after of continuous health', () => {
    const p = policy();
    let s = initialHealingState;
    s = onFailure(p, s, exit(1), 0, noRandom).state;
    s = onFailure(p, s, exit(1), 1_000, noRandom).state;
    expect(s.attempts).toBe(2);
    expect(s.breaker.consecutiveFailures).toBe(2);

    s = onHealthy(p, s, 10_000).state;
    s = onHealthy(p, s, 15_000).state; // later probes do not move the start of the period
    expect(s.healthySince).toBe(10_000);
    expect(nextStableResetAt(p, s)).toBe(70_000);
    expect(onTick(p, s, 69_999)).toEqual({ state: s, notes: [] });

    const reset = onTick(p, s, 70_000);
    expect(reset.notes.map((n) => n.action)).toEqual(['counter_reset']);
    expect(reset.notes[0]?.message).toContain('after 2 attempts');
    s = reset.state;
    expect(s).toMatchObject({ attempts: 0, lastDelayMs: 0, healthySince: 10_000 });
    expect(s.breaker.consecutiveFailures).toBe(0);
    expect(nextStableResetAt(p, s)).toBeNull();
    expect(onTick(p, s, 200_000).notes).toEqual([]);

    const next = onFailure(p, s, exit(1), 300_000, noRandom);
    expect(next.decision).toMatchObject({ do: 'restart', attempt: 1, delayMs: 1_000, rung: 1 });
  });

  it('starts the healthy period again after an interruption', () => {
    const p = policy();
    let s = onFailure(p, initialHealingState, exit(1), 0, noRandom).state;
    s = onHealthy(p, s, 1_000).state;
    s = onNotHealthy(p, s, 50_000);
    s = onHealthy(p, s, 55_000).state;
    expect(onTick(p, s, 61_000).notes).toEqual([]);
    expect(nextStableResetAt(p, s)).toBe(115_000);
    expect(onTick(p, s, 115_000).state.attempts).toBe(0);
  });

  it('a failure ends the healthy period', () => {
    const p = policy();
    let s = onHealthy(p, initialHealingState, 0).state;
    expect(s.healthySince).toBe(0);
    s = onFailure(p, s, exit(1), 10_000, noRandom).state;
    expect(s.healthySince).toBeNull();
    expect(onTick(p, s, 1_000_000).state.attempts).toBe(1);
  });
});

describe('circuit breaker through the engine', () => {
  it('trips, fails its half-open trial, then closes when a trial succeeds', () => {
    const p = policy({ backoffMs: [100], maxAttempts: 10 });
    let s = initialHealingState;
    let out = onFailure(p, s, exit(1), 0, noRandom);
    out = onFailure(p, out.state, exit(1), 100, noRandom);
    out = onFailure(p, out.state, unhealthy, 200, noRandom);
    expect(out.notes.map((n) => n.action)).toEqual(['breaker_open']);
    expect(out.decision).toMatchObject({
      do: 'restart',
      attempt: 3,
      delayMs: 60_000,
      breakerTrial: true,
    });
    s = out.state;
    expect(breakerView(s, (m) => m + 5)).toMatchObject({
      state: 'open',
      reason: 'http probe failed: 503',
      nextTrialAt: 60_205,
      trips: 1,
    });

    // Trial 1 starts at 60 200 and crashes.
    let t = onTrialStarted(s, 60_200);
    expect(t.notes.map((n) => n.action)).toEqual(['breaker_half_open']);
    expect(t.state.breaker.state).toBe('half-open');
    out = onFailure(p, t.state, exit(2), 60_300, noRandom);
    expect(out.notes.map((n) => n.action)).toEqual(['breaker_open']);
    expect(out.decision).toMatchObject({
      do: 'restart',
      attempt: 4,
      delayMs: 60_000,
      breakerTrial: true,
    });
    expect(out.state.breaker).toMatchObject({ state: 'open', nextTrialAt: 120_300, trips: 2 });

    // Trial 2 starts at 120 300 and becomes healthy: the breaker closes.
    t = onTrialStarted(out.state, 120_300);
    const h = onHealthy(p, t.state, 121_000);
    expect(h.notes.map((n) => n.action)).toEqual(['breaker_closed']);
    expect(h.state.breaker).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      trips: 2,
      reason: null,
    });
    // Counted attempts continue (no stable period yet) but the breaker no longer gates.
    const after = onFailure(p, h.state, exit(1), 130_000, noRandom);
    expect(after.decision).toMatchObject({ attempt: 5, delayMs: 100, breakerTrial: false });
  });

  it('gates on the original trial time when a failure arrives while open', () => {
    const p = policy({ backoffMs: [100], maxAttempts: 10 });
    let s = initialHealingState;
    for (const at of [0, 100, 200]) s = onFailure(p, s, exit(1), at, noRandom).state;
    const out = onFailure(p, s, exit(1), 10_000, noRandom);
    expect(out.notes).toEqual([]);
    expect(out.decision).toMatchObject({ delayMs: 50_200, breakerTrial: true });
  });

  it('ignores a trial report when the breaker is not open', () => {
    const s = onFailure(policy(), initialHealingState, exit(1), 0, noRandom).state;
    expect(onTrialStarted(s, 10)).toEqual({ state: s, notes: [] });
  });
});

describe('restart policies', () => {
  const failures: readonly Failure[] = [
    exit(0),
    exit(1),
    exit(null, 'SIGKILL'),
    startFailed,
    unhealthy,
  ];

  it('never restarts with policy never', () => {
    const p = policy({ restartPolicy: 'never' });
    for (const f of failures) {
      const out = onFailure(p, initialHealingState, f, 0, noRandom);
      expect(out.decision.do).toBe('none');
      expect(out.state).toEqual(initialHealingState);
    }
    expect(onFailure(p, initialHealingState, exit(3), 0, noRandom).decision).toEqual({
      do: 'none',
      why: 'restart policy is never (exited with code 3)',
    });
  });

  it('treats exit 0 as no failure with policy on-failure', () => {
    const p = policy({ restartPolicy: 'on-failure' });
    const clean = onFailure(p, initialHealingState, exit(0), 0, noRandom);
    expect(clean.decision).toEqual({
      do: 'none',
      why: 'exited with code 0 and restart policy is on-failure',
    });
    expect(clean.state.attempts).toBe(0);
    expect(clean.state.breaker.consecutiveFailures).toBe(0);
    for (const f of failures.slice(1)) {
      const out = onFailure(p, initialHealingState, f, 0, noRandom);
      expect(out.decision).toMatchObject({ do: 'restart', attempt: 1, delayMs: 1_000 });
      expect(out.state.breaker.consecutiveFailures).toBe(1);
    }
  });

  it('restarts after any exit with policy always', () => {
    const p = policy({ restartPolicy: 'always' });
    for (const f of failures) {
      expect(onFailure(p, initialHealingState, f, 0, noRandom).decision).toMatchObject({
        do: 'restart',
        attempt: 1,
      });
    }
  });
});

describe('oneshot', () => {
  it('completes on exit 0, whatever the restart policy', () => {
    for (const restartPolicy of ['always', 'on-failure', 'never'] as const) {
      const p = policy({ oneshot: true, restartPolicy });
      expect(onFailure(p, initialHealingState, exit(0), 0, noRandom).decision).toEqual({
        do: 'complete',
      });
    }
  });

  it('retries a non-zero exit and resets its counters once it completes', () => {
    const p = policy({ oneshot: true, restartPolicy: 'on-failure' });
    let out = onFailure(p, initialHealingState, exit(2), 0, noRandom);
    expect(out.decision).toMatchObject({ do: 'restart', attempt: 1 });
    out = onFailure(p, out.state, exit(2), 1_000, noRandom);
    out = onFailure(p, out.state, exit(0), 6_000, noRandom);
    expect(out.decision).toEqual({ do: 'complete' });
    expect(out.state).toEqual(initialHealingState);
  });

  it('is not restarted on failure with policy never', () => {
    const p = policy({ oneshot: true, restartPolicy: 'never' });
    expect(onFailure(p, initialHealingState, exit(1), 0, noRandom).decision.do).toBe('none');
  });
});

describe('recovery strategies', () => {
  const noBreaker = { threshold: 0, resetAfterMs: 60_000 };

  it('restart: the ladder without reset, then quarantine', () => {
    const story = crashLoop(policy({ breaker: noBreaker }), noRandom);
    const scheduled = story.decisions.filter(isScheduled);
    expect(scheduled.map((d) => d.delayMs)).toEqual([...DEFAULT_BACKOFF_MS]);
    expect(scheduled.every((d) => d.do === 'restart' && !d.runReset)).toBe(true);
    expect(story.decisions.at(-1)?.do).toBe('quarantine');
  });

  it('restart_with_reset: runs the reset before every restart', () => {
    const p = policy({ recovery: 'restart_with_reset', hasReset: true, breaker: noBreaker });
    const story = crashLoop(p, noRandom);
    const scheduled = story.decisions.filter(isScheduled);
    expect(scheduled).toHaveLength(7);
    expect(scheduled.every((d) => d.do === 'restart' && d.runReset)).toBe(true);
    expect(story.decisions.at(-1)?.do).toBe('quarantine');
  });

  it('restart_with_reset without a reset command restarts plainly', () => {
    const p = policy({ recovery: 'restart_with_reset', hasReset: false });
    const out = onFailure(p, initialHealingState, exit(1), 0, noRandom);
    expect(out.decision).toMatchObject({ do: 'restart', runReset: false });
  });

  it('degraded: gives up after the ladder and stays down until released', () => {
    const p = policy({ recovery: 'degraded', required: false, backoffMs: [10], maxAttempts: 2 });
    const story = crashLoop(p, noRandom);
    expect(story.log).toEqual([
      '0 restart #1 rung 1 in 10',
      '10 restart #2 rung 1 in 10',
      '20 breaker_open',
      '20 give_up',
    ]);
    expect(breakerView(story.state, (m) => m).nextTrialAt).toBeNull();
    expect(story.decisions.at(-1)).toEqual({
      do: 'give_up',
      reason: 'gave up after 2 restart attempts; last failure: exited with code 1',
    });
    expect(story.state.gaveUp).toBe(true);
    expect(story.state.quarantine).toBeNull();
    const later = onFailure(p, story.state, exit(1), 100, noRandom);
    expect(later.decision).toEqual({ do: 'none', why: 'recovery gave up: the service stays down' });
    const released = release(story.state);
    expect(released.gaveUp).toBe(false);
    expect(onFailure(p, released, exit(1), 200, noRandom).decision).toMatchObject({
      do: 'restart',
      attempt: 1,
    });
  });

  it('stack_restart: restarts the stack with the same counting and delays, then quarantines', () => {
    const p = policy({ recovery: 'stack_restart' });
    const story = crashLoop(p, noRandom);
    expect(story.log.filter((l) => !l.includes('breaker'))).toEqual([
      '0 stack_restart #1 in 1000',
      '1000 stack_restart #2 in 5000',
      '6000 stack_restart #3 in 60000 trial',
      '66000 stack_restart #4 in 60000 trial',
      '126000 stack_restart #5 in 60000 trial',
      '186000 stack_restart #6 in 60000 trial',
      '246000 stack_restart #7 in 60000 trial',
      '306000 quarantine',
    ]);
  });
});

describe('manual actions', () => {
  const p = policy({ backoffMs: [10], maxAttempts: 1 });
  function quarantined(): HealingState {
    const story = crashLoop(p, noRandom);
    expect(story.state.quarantine).not.toBeNull();
    return story.state;
  }

  it('refuses a manual restart of a quarantined service without force', () => {
    const s = quarantined();
    const out = manualRestart(s, false);
    expect(out.allowed).toBe(false);
    expect(out.why).toContain('quarantined');
    expect(out.why).toContain('force');
    expect(out.state).toBe(s);
  });

  it('force clears the quarantine and resets the counter', () => {
    const out = manualRestart(quarantined(), true);
    expect(out.allowed).toBe(true);
    expect(out.state.quarantine).toBeNull();
    expect(out.state.attempts).toBe(0);
    expect(out.state.breaker.state).toBe('closed');
    expect(onFailure(p, out.state, exit(1), 1_000, noRandom).decision).toMatchObject({
      do: 'restart',
      attempt: 1,
    });
  });

  it('release clears the quarantine, the counter and the breaker', () => {
    const tripped = crashLoop(policy(), noRandom).state;
    expect(tripped.breaker.state).toBe('open');
    const s = release(tripped);
    expect(s).toMatchObject({ attempts: 0, lastDelayMs: 0, quarantine: null, gaveUp: false });
    expect(s.breaker).toMatchObject({ state: 'closed', consecutiveFailures: 0, trips: 6 });
    expect(release(s)).toEqual(s);
    expect(onFailure(policy(), s, exit(1), 0, noRandom).decision).toMatchObject({
      attempt: 1,
      delayMs: 1_000,
    });
  });

  it('a manual restart of a running service resets the counter', () => {
    let s = initialHealingState;
    for (const at of [0, 1_000, 6_000, 66_000])
      s = onFailure(policy(), s, exit(1), at, noRandom).state;
    expect(s.attempts).toBe(4);
    const out = manualRestart(s, false);
    expect(out.allowed).toBe(true);
    expect(out.state.attempts).toBe(0);
    expect(out.state.breaker.consecutiveFailures).toBe(0);
  });

  it('manual quarantine stops automatic restarts until release', () => {
    const p7 = policy();
    let s = onHealthy(
      p7,
      onFailure(p7, initialHealingState, exit(1), 0, noRandom).state,
      1_000,
    ).state;
    s = quarantine(s, 'quarantined by the user from the UI', 5_000);
    expect(s.quarantine).toEqual({ reason: 'quarantined by the user from the UI', at: 5_000 });
    expect(s.healthySince).toBeNull();
    expect(quarantine(s, 'another reason', 6_000)).toBe(s);
    expect(onFailure(p7, s, exit(1), 7_000, noRandom).decision).toEqual({
      do: 'none',
      why: 'quarantined (quarantined by the user from the UI): no automatic restart',
    });
    expect(onHealthy(p7, s, 8_000)).toEqual({ state: s, notes: [] });
    expect(nextStableResetAt(p7, s)).toBeNull();
    expect(manualRestart(s, false).allowed).toBe(false);
    const released = release(s);
    expect(released.quarantine).toBeNull();
    expect(onFailure(p7, released, exit(1), 9_000, noRandom).decision.do).toBe('restart');
  });
});
