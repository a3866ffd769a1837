import { describe, expect, it } from 'vitest';
import type { ServiceHistoryResponse } from '../../../shared/views.js';
import { healthSeries, resourceSeries } from './series.js';

const T = 1_700_000_000_000;
const history: ServiceHistoryResponse = {
  success: true,
  service: 'api',
  since: T,
  until: T + 60_000,
  health: [
    {
      ts: T + 20_000,
      count: 4,
      ok: 2,
      failed: 2,
      timed_out: 1,
      latency_avg_ms: 40,
      latency_max_ms: 2000,
    },
    {
      ts: T + 10_000,
      count: 4,
      ok: 4,
      failed: 0,
      timed_out: 0,
      latency_avg_ms: 5,
      latency_max_ms: 9,
    },
  ],
  resources: [
    { ts: T + 10_000, cpu_percent: 12.345, rss_bytes: 50 * 1024 * 1024 },
    { ts: T + 20_000, cpu_percent: null, rss_bytes: null },
  ],
  restarts: [
    { ts: T + 15_000, reason: { kind: 'exit', message: 'exited with code 1' }, action: 'restart' },
    { ts: T - 5_000, reason: { kind: 'exit', message: 'before the range' }, action: 'restart' },
  ],
};

describe('healthSeries', () => {
  it('sorts buckets by time in seconds and marks failures and timeouts', () => {
    const s = healthSeries(history);
    expect(s.x).toEqual([(T + 10_000) / 1000, (T + 20_000) / 1000]);
    expect(s.latencyAvg).toEqual([5, 40]);
    expect(s.failures).toEqual([null, 40]);
    expect(s.timeouts).toEqual([null, 2000]);
    expect(s.totalFailures).toBe(1);
    expect(s.totalTimeouts).toBe(1);
  });

  it('keeps only restarts inside the range, as markers', () => {
    expect(healthSeries(history).restarts).toEqual([
      { x: (T + 15_000) / 1000, label: 'exited with code 1' },
    ]);
  });
});

describe('resourceSeries', () => {
  it('gives CPU percent and memory in MB, with gaps as null', () => {
    const r = resourceSeries(history);
    expect(r.cpu).toEqual([12.3, null]);
    expect(r.rssMb).toEqual([50, null]);
  });
});
