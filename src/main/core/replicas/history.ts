/**
 * A replicated service's history is its instances' (`api#0`, `api#1`, ...): probes are stored
 * per instance. These merge them into the service's series for its charts and counts.
 */
import type { HealthBucket } from '../store/types.js';

/** Series of the same window (same bucket boundaries), one per instance, as one series. */
export function mergeHealthSeries(series: readonly (readonly HealthBucket[])[]): HealthBucket[] {
  const first = series[0];
  if (!first) return [];
  return first.map((b, i) => {
    let count = 0;
    let ok = 0;
    let failed = 0;
    let timedOut = 0;
    let sum = 0;
    let max: number | null = null;
    for (const s of series) {
      const x = s[i];
      if (!x) continue;
      count += x.count;
      ok += x.ok;
      failed += x.failed;
      timedOut += x.timedOut;
      if (x.latencyAvg !== null) sum += x.latencyAvg * x.count;
      if (x.latencyMax !== null) max = max === null ? x.latencyMax : Math.max(max, x.latencyMax);
    }
    return {
      ts: b.ts,
      count,
      ok,
      failed,
      timedOut,
      latencyAvg: count > 0 ? sum / count : null,
      latencyMax: max,
    };
  });
}
