import { describe, expect, it } from 'vitest';
import {
  breakerOnFailure,
  breakerOnSuccess,
  breakerOnTrialStarted,
  closedBreaker,
  resetBreaker,
  viewOfBreaker,
  type BreakerModel,
} from './breaker.js';

const cfg = { threshold: 3, resetAfterMs: 60_000 };

function fail(b: BreakerModel, now: number, reason = 'exited with code 1'): BreakerModel {
  return breakerOnFailure(b, cfg, reason, now).breaker;
}

describe('circuit breaker', () => {
  it('opens at the threshold with the reason and the next trial time', () => {
    let b = fail(closedBreaker, 0);
    b = fail(b, 1_000);
    expect(b.state).toBe('closed');
    const step = breakerOnFailure(b, cfg, 'http probe failed: 503', 6_000);
    expect(step.breaker).toEqual({
      state: 'open',
      consecutiveFailures: 3,
      openedAt: 6_000,
      nextTrialAt: 66_000,
      trips: 1,
      reason: 'http probe failed: 503',
    });
    expect(step.notes.map((n) => n.action)).toEqual(['breaker_open']);
    expect(step.notes[0]?.message).toContain('3 consecutive failures');
  });

  it('only counts a failure that arrives while open before the trial time', () => {
    const open = fail(fail(fail(closedBreaker, 0), 0), 0);
    const step = breakerOnFailure(open, cfg, 'again', 10_000);
    expect(step.notes).toEqual([]);
    expect(step.breaker).toMatchObject({ state: 'open', nextTrialAt: 60_000, trips: 1 });
    expect(step.breaker.consecutiveFailures).toBe(4);
  });

  it('treats a failure while open after the trial time as a failed trial', () => {
    const open = fail(fail(fail(closedBreaker, 0), 0), 0);
    const step = breakerOnFailure(open, cfg, 'again', 61_000);
    expect(step.breaker).toMatchObject({ state: 'open', nextTrialAt: 121_000, trips: 2 });
  });

  it('goes half-open when the trial starts, re-opens on failure, closes on success', () => {
    const open = fail(fail(fail(closedBreaker, 0), 0), 0);
    const half = breakerOnTrialStarted(open);
    expect(half.breaker.state).toBe('half-open');
    expect(half.notes.map((n) => n.action)).toEqual(['breaker_half_open']);
    expect(breakerOnTrialStarted(half.breaker).notes).toEqual([]);

    const reopened = breakerOnFailure(half.breaker, cfg, 'trial crashed', 60_500);
    expect(reopened.breaker).toMatchObject({
      state: 'open',
      nextTrialAt: 120_500,
      trips: 2,
      reason: 'trial crashed',
    });
    expect(reopened.notes[0]?.message).toContain('trial failed');

    const closed = breakerOnSuccess(breakerOnTrialStarted(reopened.breaker).breaker);
    expect(closed.breaker).toEqual({ ...closedBreaker, trips: 2 });
    expect(closed.notes.map((n) => n.action)).toEqual(['breaker_closed']);
    expect(breakerOnSuccess(closed.breaker).notes).toEqual([]);
  });

  it('never opens when the threshold is below 1', () => {
    const off = { threshold: 0, resetAfterMs: 60_000 };
    let b = closedBreaker;
    for (let i = 0; i < 20; i++) {
      const step = breakerOnFailure(b, off, 'x', i);
      expect(step.notes).toEqual([]);
      b = step.breaker;
    }
    expect(b).toMatchObject({ state: 'closed', consecutiveFailures: 20, trips: 0 });
  });

  it('resets to closed keeping the trip count', () => {
    const open = fail(fail(fail(closedBreaker, 0), 0), 0);
    expect(resetBreaker(open)).toEqual({ ...closedBreaker, trips: 1 });
    expect(resetBreaker(closedBreaker)).toBe(closedBreaker);
  });

  it('shows the next trial on the wall clock only while open', () => {
    const open = fail(fail(fail(closedBreaker, 0), 0), 5_000);
    const toWall = (mono: number): number => 1_700_000_000_000 + mono;
    expect(viewOfBreaker(open, toWall)).toEqual({
      state: 'open',
      failures: 3,
      reason: 'exited with code 1',
      nextTrialAt: 1_700_000_065_000,
      trips: 1,
    });
    expect(viewOfBreaker(breakerOnTrialStarted(open).breaker, toWall).nextTrialAt).toBeNull();
    expect(viewOfBreaker(open, toWall, false).nextTrialAt).toBeNull();
  });

  it('does not announce a next trial when none will follow', () => {
    const two = fail(fail(closedBreaker, 0), 0);
    expect(breakerOnFailure(two, cfg, 'boom', 1).notes[0]?.message).toContain('next trial in 1m');
    const final = breakerOnFailure(two, cfg, 'boom', 1, true);
    expect(final.breaker.state).toBe('open');
    expect(final.notes[0]?.message).not.toContain('next trial');
  });
});
