import { describe, expect, it } from 'vitest';
import { mergeHealthSeries } from './history.js';

const b = (ts: number, count: number, ok: number, avg: number | null, max: number | null) => ({
  ts,
  count,
  ok,
  failed: count - ok,
  timedOut: 0,
  latencyAvg: avg,
  latencyMax: max,
});

describe('mergeHealthSeries', () => {
  it('adds the counts bucket by bucket and weighs the average latency by count', () => {
    const merged = mergeHealthSeries([
      [b(0, 2, 2, 10, 12), b(60, 0, 0, null, null)],
      [b(0, 1, 0, 40, 40), b(60, 3, 3, 5, 9)],
    ]);
    expect(merged).toEqual([
      { ts: 0, count: 3, ok: 2, failed: 1, timedOut: 0, latencyAvg: 20, latencyMax: 40 },
      { ts: 60, count: 3, ok: 3, failed: 0, timedOut: 0, latencyAvg: 5, latencyMax: 9 },
    ]);
    expect(mergeHealthSeries([])).toEqual([]);
  });
});
