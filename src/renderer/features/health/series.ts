/** Chart data from a service's history: aligned columns for uPlot, in seconds on the x axis. */
import type { ServiceHistoryResponse } from '../../../shared/views.js';

export const HISTORY_RANGES = ['15m', '1h', '24h', '7d'] as const;
export type HistoryRange = (typeof HISTORY_RANGES)[number];

export const RANGE_LABEL: Readonly<Record<HistoryRange, string>> = {
  '15m': '15 min',
  '1h': '1 h',
  '24h': '24 h',
  '7d': '7 d',
};

/** Points asked for per chart: enough for a panel's width. */
export const CHART_POINTS = 240;

export interface HealthSeries {
  readonly x: number[];
  readonly latencyAvg: (number | null)[];
  readonly latencyMax: (number | null)[];
  /** Marker height where a bucket had failures (not timeouts), null elsewhere. */
  readonly failures: (number | null)[];
  readonly timeouts: (number | null)[];
  readonly restarts: { readonly x: number; readonly label: string }[];
  readonly totalFailures: number;
  readonly totalTimeouts: number;
}

export function healthSeries(h: ServiceHistoryResponse): HealthSeries {
  const points = [...h.health].sort((a, b) => a.ts - b.ts);
  const maxLatency = points.reduce((m, p) => Math.max(m, p.latency_max_ms ?? 0), 0);
  const markY = maxLatency > 0 ? maxLatency : 1;
  let totalFailures = 0;
  let totalTimeouts = 0;
  const x: number[] = [];
  const latencyAvg: (number | null)[] = [];
  const latencyMax: (number | null)[] = [];
  const failures: (number | null)[] = [];
  const timeouts: (number | null)[] = [];
  for (const p of points) {
    x.push(p.ts / 1000);
    latencyAvg.push(p.latency_avg_ms);
    latencyMax.push(p.latency_max_ms);
    const onlyFailed = Math.max(0, p.failed - p.timed_out);
    totalFailures += onlyFailed;
    totalTimeouts += p.timed_out;
    failures.push(onlyFailed > 0 ? (p.latency_avg_ms ?? markY) : null);
    timeouts.push(p.timed_out > 0 ? (p.latency_max_ms ?? markY) : null);
  }
  const restarts = h.restarts
    .filter((r) => r.ts >= h.since && r.ts <= h.until)
    .map((r) => ({ x: r.ts / 1000, label: r.reason.message || r.action }));
  return { x, latencyAvg, latencyMax, failures, timeouts, restarts, totalFailures, totalTimeouts };
}

export interface ResourceSeries {
  readonly x: number[];
  readonly cpu: (number | null)[];
  readonly rssMb: (number | null)[];
}

export function resourceSeries(h: ServiceHistoryResponse): ResourceSeries {
  const points = [...h.resources].sort((a, b) => a.ts - b.ts);
  return {
    x: points.map((p) => p.ts / 1000),
    cpu: points.map((p) => (p.cpu_percent === null ? null : Math.round(p.cpu_percent * 10) / 10)),
    rssMb: points.map((p) =>
      p.rss_bytes === null ? null : Math.round((p.rss_bytes / 1024 / 1024) * 10) / 10,
    ),
  };
}
