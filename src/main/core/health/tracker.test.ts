import { describe, expect, it } from 'vitest';
import { HEALTHS, type Health, type ProbeResult } from '../../../shared/model.js';
import { initialCounters, nextHealth, type HealthCounters } from './tracker.js';

const spec = { failureThreshold: 3, recoveryThreshold: 2 };

const ok: ProbeResult = {
  ok: true,
  timedOut: false,
  latencyMs: 1,
  probe: 'http',
  detail: 'HTTP 200 /health',
  ts: 0,
};
const fail: ProbeResult = { ...ok, ok: false, detail: 'HTTP 503 /health' };
const slow: ProbeResult = { ...ok, ok: false, timedOut: true, detail: 'timed out after 2000ms' };

function feed(
  results: readonly ProbeResult[],
  opts: { start?: HealthCounters; inStartPeriod?: boolean; spec?: typeof spec } = {},
): HealthCounters {
  let c = opts.start ?? initialCounters;
  for (const r of results) c = nextHealth(c, r, opts.spec ?? spec, opts.inStartPeriod ?? false);
  return c;
}

function at(health: Health, extra: Partial<HealthCounters> = {}): HealthCounters {
  return {
    health,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    everHealthy: health !== 'unknown',
    startFailures: 0,
    ...extra,
  };
}

describe('initialCounters', () => {
  it('is unknown with no history', () => {
    expect(initialCounters).toEqual({
      health: 'unknown',
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      everHealthy: false,
      startFailures: 0,
    });
  });
});

describe('nextHealth on success', () => {
  it('makes a new run healthy on its first success (readiness)', () => {
    expect(nextHealth(initialCounters, ok, spec, false)).toEqual({
      health: 'healthy',
      consecutiveFailures: 0,
      consecutiveSuccesses: 1,
      everHealthy: true,
      startFailures: 0,
    });
  });

  it('makes a new run healthy on its first success during the start period too', () => {
    expect(nextHealth(initialCounters, ok, spec, true).health).toBe('healthy');
  });

  it('keeps healthy healthy and counts successes', () => {
    expect(feed([ok, ok, ok])).toEqual({
      health: 'healthy',
      consecutiveFailures: 0,
      consecutiveSuccesses: 3,
      everHealthy: true,
      startFailures: 0,
    });
  });

  it('forgives a degraded service with one success', () => {
    const degraded = feed([ok, fail, fail]);
    expect(degraded.health).toBe('degraded');
    expect(nextHealth(degraded, ok, spec, false)).toEqual({
      health: 'healthy',
      consecutiveFailures: 0,
      consecutiveSuccesses: 1,
      everHealthy: true,
      startFailures: 0,
    });
  });

  it.each(['unhealthy', 'timeout'] as const)(
    'needs recoveryThreshold successes to leave %s',
    (bad) => {
      const start = at(bad, { consecutiveFailures: 5 });
      const one = nextHealth(start, ok, spec, false);
      expect(one).toEqual({ ...start, consecutiveFailures: 0, consecutiveSuccesses: 1 });
      const two = nextHealth(one, ok, spec, false);
      expect(two).toEqual({
        health: 'healthy',
        consecutiveFailures: 0,
        consecutiveSuccesses: 2,
        everHealthy: true,
        startFailures: 0,
      });
    },
  );

  it('honours a larger recovery threshold', () => {
    const s = { failureThreshold: 1, recoveryThreshold: 4 };
    const bad = feed([ok, fail], { spec: s });
    expect(bad.health).toBe('unhealthy');
    expect(feed([ok, ok, ok], { start: bad, spec: s }).health).toBe('unhealthy');
    expect(feed([ok, ok, ok, ok], { start: bad, spec: s }).health).toBe('healthy');
  });

  it('recovers from a never-healthy unhealthy run after the recovery threshold', () => {
    const bad = feed([fail, fail, fail]);
    expect(bad).toMatchObject({ health: 'unhealthy', everHealthy: false });
    const one = nextHealth(bad, ok, spec, false);
    expect(one).toMatchObject({ health: 'unhealthy', everHealthy: false });
    expect(nextHealth(one, ok, spec, false)).toMatchObject({
      health: 'healthy',
      everHealthy: true,
    });
  });

  it('treats a recovery threshold of 0 as 1', () => {
    const s = { failureThreshold: 1, recoveryThreshold: 0 };
    expect(nextHealth(at('unhealthy'), ok, s, false).health).toBe('healthy');
  });
});

describe('nextHealth on failure', () => {
  it('goes healthy -> degraded -> degraded -> unhealthy with threshold 3', () => {
    const h = feed([ok]);
    const f1 = nextHealth(h, fail, spec, false);
    expect(f1).toEqual({
      health: 'degraded',
      consecutiveFailures: 1,
      consecutiveSuccesses: 0,
      everHealthy: true,
      startFailures: 0,
    });
    const f2 = nextHealth(f1, fail, spec, false);
    expect(f2).toMatchObject({ health: 'degraded', consecutiveFailures: 2 });
    const f3 = nextHealth(f2, fail, spec, false);
    expect(f3).toMatchObject({ health: 'unhealthy', consecutiveFailures: 3 });
    const f4 = nextHealth(f3, fail, spec, false);
    expect(f4).toMatchObject({ health: 'unhealthy', consecutiveFailures: 4 });
  });

  it('reports timeout instead of unhealthy when the failure at the threshold timed out', () => {
    expect(feed([ok, fail, fail, slow])).toMatchObject({
      health: 'timeout',
      consecutiveFailures: 3,
    });
    expect(feed([ok, slow, slow, fail])).toMatchObject({
      health: 'unhealthy',
      consecutiveFailures: 3,
    });
  });

  it('follows the kind of the latest failure once past the threshold', () => {
    const t = feed([ok, slow, slow, slow]);
    expect(t.health).toBe('timeout');
    expect(nextHealth(t, fail, spec, false).health).toBe('unhealthy');
    expect(nextHealth(nextHealth(t, fail, spec, false), slow, spec, false).health).toBe('timeout');
  });

  it('timed-out failures below the threshold are just degraded', () => {
    expect(feed([ok, slow])).toMatchObject({ health: 'degraded', consecutiveFailures: 1 });
  });

  it('goes straight to unhealthy with a threshold of 1 (and treats 0 as 1)', () => {
    for (const failureThreshold of [1, 0]) {
      const s = { failureThreshold, recoveryThreshold: 1 };
      expect(feed([ok, fail], { spec: s })).toMatchObject({
        health: 'unhealthy',
        consecutiveFailures: 1,
      });
      expect(feed([ok, slow], { spec: s }).health).toBe('timeout');
    }
  });

  it('a success resets the failure count, so failures must be consecutive', () => {
    expect(feed([ok, fail, fail, ok, fail, fail])).toMatchObject({
      health: 'degraded',
      consecutiveFailures: 2,
    });
  });

  it('a failure during recovery resets the successes and keeps the service bad', () => {
    const s = { failureThreshold: 3, recoveryThreshold: 3 };
    const bad = feed([ok, fail, fail, fail], { spec: s });
    const halfway = feed([ok, ok], { start: bad, spec: s });
    expect(halfway).toMatchObject({ health: 'unhealthy', consecutiveSuccesses: 2 });
    const again = nextHealth(halfway, fail, s, false);
    expect(again).toEqual({
      health: 'unhealthy',
      consecutiveFailures: 1,
      consecutiveSuccesses: 0,
      everHealthy: true,
      startFailures: 0,
    });
    expect(nextHealth(halfway, slow, s, false).health).toBe('timeout');
    // and the recovery starts over
    expect(feed([ok, ok], { start: again, spec: s }).health).toBe('unhealthy');
    expect(feed([ok, ok, ok], { start: again, spec: s }).health).toBe('healthy');
  });

  it('a never-healthy run past its start period degrades then turns unhealthy', () => {
    const f1 = nextHealth(initialCounters, fail, spec, false);
    expect(f1).toEqual({
      health: 'degraded',
      consecutiveFailures: 1,
      consecutiveSuccesses: 0,
      everHealthy: false,
      startFailures: 0,
    });
    expect(feed([fail, fail])).toMatchObject({ health: 'degraded', consecutiveFailures: 2 });
    expect(feed([fail, fail, fail])).toMatchObject({ health: 'unhealthy', everHealthy: false });
    expect(feed([fail, fail, slow]).health).toBe('timeout');
  });
});

describe('nextHealth during the start period', () => {
  it('does not count failures before the first success, but shows what the probes saw', () => {
    const c = feed([fail, slow, fail, fail, fail], { inStartPeriod: true });
    expect(c).toEqual({
      health: 'unhealthy',
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      everHealthy: false,
      startFailures: 5,
    });
    expect(feed([fail, slow], { inStartPeriod: true }).health).toBe('timeout');
  });

  it('regression: a hung health endpoint while starting shows timeout, not unknown', () => {
    const c = feed(
      Array.from({ length: 25 }, () => slow),
      { inStartPeriod: true },
    );
    expect(c).toMatchObject({ health: 'timeout', startFailures: 25, consecutiveFailures: 0 });
  });

  it('is unknown only before the first result', () => {
    expect(feed([], { inStartPeriod: true }).health).toBe('unknown');
    expect(feed([fail], { inStartPeriod: true }).health).toBe('unhealthy');
  });

  it('makes a booting service healthy at its first success, whatever the failures before', () => {
    const c = feed([slow, fail, slow, ok], { inStartPeriod: true });
    expect(c).toEqual({
      health: 'healthy',
      consecutiveFailures: 0,
      consecutiveSuccesses: 1,
      everHealthy: true,
      startFailures: 0,
    });
  });

  it('resets counters left by earlier failures', () => {
    const degraded = feed([fail, fail]);
    expect(nextHealth(degraded, fail, spec, true)).toMatchObject({
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      health: 'unhealthy',
    });
  });

  it('counts failures once the run has been healthy, even inside the start period', () => {
    const c = feed([ok, fail, fail, fail], { inStartPeriod: true });
    expect(c).toMatchObject({ health: 'unhealthy', consecutiveFailures: 3, everHealthy: true });
  });

  it('starts counting from zero when the start period ends', () => {
    const during = feed([fail, fail, fail], { inStartPeriod: true });
    const after = feed([fail, fail], { start: during });
    expect(after).toMatchObject({ health: 'degraded', consecutiveFailures: 2 });
  });
});

describe('nextHealth, every state x every result kind', () => {
  // prev health -> [after ok, after fail, after timed-out fail] with the counters of `at()`
  // (0 failures so far, 0 successes, thresholds 3 and 2, outside the start period).
  const table: Record<Health, readonly [Health, Health, Health]> = {
    unknown: ['healthy', 'degraded', 'degraded'],
    healthy: ['healthy', 'degraded', 'degraded'],
    degraded: ['healthy', 'degraded', 'degraded'],
    unhealthy: ['unhealthy', 'unhealthy', 'timeout'],
    timeout: ['timeout', 'unhealthy', 'timeout'],
  };
  it.each(HEALTHS.map((h) => [h] as const))('from %s', (h) => {
    const [afterOk, afterFail, afterSlow] = table[h];
    expect(nextHealth(at(h), ok, spec, false).health).toBe(afterOk);
    expect(nextHealth(at(h), fail, spec, false).health).toBe(afterFail);
    expect(nextHealth(at(h), slow, spec, false).health).toBe(afterSlow);
  });

  it('never mutates its input', () => {
    const prev = Object.freeze(at('healthy', { consecutiveSuccesses: 4 }));
    expect(() => nextHealth(prev, fail, spec, false)).not.toThrow();
    expect(prev.consecutiveSuccesses).toBe(4);
  });
});
