import { describe, expect, it } from 'vitest';
import { VigilError } from '../../../shared/errors.js';
import { bucketIndex, finishResources, floorToMinute, seriesWindow } from './buckets.js';

describe('seriesWindow', () => {
  it('cuts the window into equal buckets, the last one closed by until', () => {
    const w = seriesWindow({ since: 1_000, until: 2_000, points: 4 });
    expect(w.width).toBe(250);
    expect(bucketIndex(w, 999)).toBeNull();
    expect(bucketIndex(w, 1_000)).toBe(0);
    expect(bucketIndex(w, 1_249)).toBe(0);
    expect(bucketIndex(w, 1_250)).toBe(1);
    expect(bucketIndex(w, 1_999)).toBe(3);
    expect(bucketIndex(w, 2_000)).toBeNull();
  });

  it('rejects an empty range or a bad number of points with BAD_REQUEST', () => {
    for (const bad of [
      { since: 10, until: 10, points: 5 },
      { since: 10, until: 20, points: 0 },
      { since: 10, until: 20, points: 1.5 },
      { since: 10, until: 20, points: 1_000_000 },
    ]) {
      let err: unknown;
      try {
        seriesWindow(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('BAD_REQUEST');
    }
  });
});

describe('finishResources', () => {
  it('averages per bucket, merges rows that land in the same bucket, and leaves gaps null', () => {
    const w = seriesWindow({ since: 0, until: 300, points: 3 });
    const out = finishResources(w, [
      { b: 0, count: 2, cpuSum: 30, cpuMax: 20, rssSum: 200, rssMax: 150 },
      { b: 2, count: 1, cpuSum: 5, cpuMax: 5, rssSum: 10, rssMax: 10 },
      { b: 3, count: 1, cpuSum: 7, cpuMax: 7, rssSum: 30, rssMax: 30 },
    ]);
    expect(out).toEqual([
      { ts: 0, count: 2, cpuAvg: 15, cpuMax: 20, rssAvg: 100, rssMax: 150 },
      { ts: 100, count: 0, cpuAvg: null, cpuMax: null, rssAvg: null, rssMax: null },
      { ts: 200, count: 2, cpuAvg: 6, cpuMax: 7, rssAvg: 20, rssMax: 30 },
    ]);
  });
});

describe('floorToMinute', () => {
  it('floors to the start of the minute', () => {
    expect(floorToMinute(Date.UTC(2026, 0, 1, 10, 0, 59, 999))).toBe(Date.UTC(2026, 0, 1, 10, 0));
  });
});
