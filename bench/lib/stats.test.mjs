import { describe, expect, it } from 'vitest';
import { median, ratio, rotate, summarize } from './stats.mjs';

describe('stats', () => {
  it('medians odd and even counts, ignoring missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([null, 5, NaN, 1])).toBe(3);
    expect(median([])).toBeNull();
  });

  it('summarizes with range and count', () => {
    expect(summarize([5, null, 1, 9])).toEqual({ n: 3, median: 5, min: 1, max: 9 });
    expect(summarize([null])).toEqual({ n: 0, median: null, min: null, max: null });
  });

  it('gives no ratio without both figures', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(3, 0)).toBeNull();
  });

  it('rotates so every system goes first in turn', () => {
    const order = [0, 1, 2].map((k) => rotate(['a', 'b', 'c'], k)[0]);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 4)).toEqual(['b', 'c', 'a']);
    expect(rotate([], 3)).toEqual([]);
  });
});
