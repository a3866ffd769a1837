import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF_MS } from '../../../shared/model.js';
import { backoffDelay, baseDelay, modeFor, rungFor } from './ladder.js';

/** A small seeded PRNG (mulberry32) so that jitter is reproducible. */
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

describe('restart ladder', () => {
  it('uses rung 1 for attempts 1-3, rung 2 for 4-5 and rung 3 from 6 on', () => {
    const rungs = [1, 2, 3, 4, 5, 6, 7, 8, 20].map(rungFor);
    expect(rungs).toEqual([1, 1, 1, 2, 2, 3, 3, 3, 3]);
    expect([1, 2, 3].map((r) => modeFor(r as 1 | 2 | 3))).toEqual([
      'immediate',
      'graceful',
      'dependencies',
    ]);
  });
});

describe('backoff delays', () => {
  it('takes backoff[n-1] and repeats the last entry', () => {
    const list = [100, 200, 400];
    expect([1, 2, 3, 4, 9].map((n) => baseDelay(list, n))).toEqual([100, 200, 400, 400, 400]);
    expect(baseDelay([], 3)).toBe(0);
    expect(baseDelay(list, 0)).toBe(100);
  });

  it('is exact with jitter 0 and never calls random', () => {
    const delays: number[] = [];
    let prev = 0;
    for (let n = 1; n <= 9; n++) {
      prev = backoffDelay(DEFAULT_BACKOFF_MS, 0, n, prev, noRandom);
      delays.push(prev);
    }
    expect(delays).toEqual([1000, 5000, 15000, 30000, 60000, 60000, 60000, 60000, 60000]);
  });

  it('multiplies by a factor in [1, 1 + jitter]', () => {
    expect(backoffDelay([1000], 0.2, 1, 0, () => 0)).toBe(1000);
    expect(backoffDelay([1000], 0.2, 1, 0, () => 0.5)).toBe(1100);
    expect(backoffDelay([1000], 0.2, 1, 0, () => 0.999999)).toBe(1200);
  });

  it('clamps a misbehaving random source and an out-of-range jitter', () => {
    expect(backoffDelay([1000], 0.2, 1, 0, () => 7)).toBe(1200);
    expect(backoffDelay([1000], 0.2, 1, 0, () => -3)).toBe(1000);
    expect(backoffDelay([1000], 0.2, 1, 0, () => Number.NaN)).toBe(1000);
    expect(backoffDelay([1000], 5, 1, 0, () => 1)).toBe(2000);
    expect(backoffDelay([1000], -1, 1, 0, noRandom)).toBe(1000);
  });

  it('never goes below the previous delay of the streak', () => {
    expect(backoffDelay([1000, 500], 0, 2, 1000, noRandom)).toBe(1000);
    expect(backoffDelay([60000, 60000], 0.2, 2, 71000, () => 0)).toBe(71000);
  });

  it('stays within bounds and non-decreasing under jitter, for many seeds', () => {
    const jitter = 0.2;
    for (let seed = 1; seed <= 500; seed++) {
      const random = seeded(seed);
      let prev = 0;
      for (let n = 1; n <= 12; n++) {
        const base = baseDelay(DEFAULT_BACKOFF_MS, n);
        const d = backoffDelay(DEFAULT_BACKOFF_MS, jitter, n, prev, random);
        expect(d).toBeGreaterThanOrEqual(base);
        expect(d).toBeGreaterThanOrEqual(prev);
        expect(d).toBeLessThanOrEqual(Math.max(prev, Math.round(base * (1 + jitter))));
        prev = d;
      }
    }
  });

  it('gives the same delays for the same seed', () => {
    const run = (seed: number): number[] => {
      const random = seeded(seed);
      let prev = 0;
      return [1, 2, 3, 4, 5].map(
        (n) => (prev = backoffDelay(DEFAULT_BACKOFF_MS, 0.2, n, prev, random)),
      );
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });
});
