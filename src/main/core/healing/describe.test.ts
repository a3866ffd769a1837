import { describe, expect, it } from 'vitest';
import { describeDecision } from './describe.js';

describe('describeDecision', () => {
  it('says which attempt, when and how', () => {
    expect(
      describeDecision({
        do: 'restart',
        attempt: 2,
        maxAttempts: 7,
        rung: 1,
        delayMs: 5_000,
        mode: 'immediate',
        runReset: false,
        breakerTrial: false,
      }),
    ).toBe('restart attempt 2 of 7 in 5s (immediate)');
    expect(
      describeDecision({
        do: 'restart',
        attempt: 6,
        maxAttempts: 7,
        rung: 3,
        delayMs: 60_000,
        mode: 'dependencies',
        runReset: true,
        breakerTrial: true,
      }),
    ).toBe('restart attempt 6 of 7 in 1m (dependencies, reset first, circuit breaker trial)');
    expect(
      describeDecision({
        do: 'stack_restart',
        attempt: 1,
        maxAttempts: 3,
        delayMs: 250,
        breakerTrial: false,
      }),
    ).toBe('stack restart attempt 1 of 3 in 250ms');
  });

  it('describes the terminal and quiet decisions', () => {
    expect(describeDecision({ do: 'quarantine', reason: 'gave up after 7 restart attempts' })).toBe(
      'quarantined: gave up after 7 restart attempts',
    );
    expect(describeDecision({ do: 'give_up', reason: 'gave up after 2 restart attempts' })).toBe(
      'stays down, the stack runs degraded: gave up after 2 restart attempts',
    );
    expect(describeDecision({ do: 'complete' })).toBe('completed: exited with code 0');
    expect(describeDecision({ do: 'none', why: 'restart policy is never' })).toBe(
      'no restart: restart policy is never',
    );
  });
});
