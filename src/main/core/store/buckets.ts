/**
 * Downsampling for charts: a window `[since, until)` cut into `points` buckets of equal width.
 * Pure helpers; the store feeds them grouped rows (raw probes grouped by bucket in SQL, per-minute
 * rollups for data older than the raw retention).
 */
import { VigilError } from '../../../shared/errors.js';
import type { HealthBucket, ResourceBucket } from './types.js';

export const MAX_POINTS = 10_000;
export const MINUTE_MS = 60_000;

export interface SeriesWindow {
  readonly since: number;
  readonly until: number;
  readonly points: number;
  /** Milliseconds per bucket (may be fractional). */
  readonly width: number;
}

export function seriesWindow(opts: { since: number; until: number; points: number }): SeriesWindow {
  const { since, until, points } = opts;
  if (!Number.isFinite(since) || !Number.isFinite(until) || until <= since) {
    throw new VigilError(
      'BAD_REQUEST',
      `invalid time range: since ${since} must be before until ${until}`,
      {
        field: 'since',
      },
    );
  }
  if (!Number.isInteger(points) || points < 1 || points > MAX_POINTS) {
    throw new VigilError(
      'BAD_REQUEST',
      `points must be a whole number from 1 to ${MAX_POINTS}, got ${points}`,
      {
        field: 'points',
      },
    );
  }
  return { since, until, points, width: (until - since) / points };
}

/** The bucket a time falls in, or null when it is outside the window. */
export function bucketIndex(w: SeriesWindow, ts: number): number | null {
  if (ts < w.since || ts >= w.until) return null;
  return Math.min(w.points - 1, Math.floor((ts - w.since) / w.width));
}

export function floorToMinute(ts: number): number {
  return Math.floor(ts / MINUTE_MS) * MINUTE_MS;
}

export interface HealthAcc {
  count: number;
  ok: number;
  failed: number;
  timedOut: number;
  latencySum: number;
  latencyMax: number;
}

export function newHealthAccs(points: number): HealthAcc[] {
  return Array.from({ length: points }, () => ({
    count: 0,
    ok: 0,
    failed: 0,
    timedOut: 0,
    latencySum: 0,
    latencyMax: Number.NEGATIVE_INFINITY,
  }));
}

export function addHealth(acc: HealthAcc | undefined, add: HealthAcc): void {
  if (!acc || add.count === 0) return;
  acc.count += add.count;
  acc.ok += add.ok;
  acc.failed += add.failed;
  acc.timedOut += add.timedOut;
  acc.latencySum += add.latencySum;
  acc.latencyMax = Math.max(acc.latencyMax, add.latencyMax);
}

export function finishHealth(w: SeriesWindow, accs: readonly HealthAcc[]): HealthBucket[] {
  return accs.map((a, i) => ({
    ts: Math.round(w.since + i * w.width),
    count: a.count,
    ok: a.ok,
    failed: a.failed,
    timedOut: a.timedOut,
    latencyAvg: a.count > 0 ? a.latencySum / a.count : null,
    latencyMax: a.count > 0 ? a.latencyMax : null,
  }));
}

export interface ResourceRow {
  readonly b: number;
  readonly count: number;
  readonly cpuSum: number;
  readonly cpuMax: number;
  readonly rssSum: number;
  readonly rssMax: number;
}

export function finishResources(w: SeriesWindow, rows: readonly ResourceRow[]): ResourceBucket[] {
  const byIndex = new Map<number, ResourceRow>();
  for (const r of rows) {
    const b = Math.min(w.points - 1, Math.max(0, r.b));
    const prev = byIndex.get(b);
    byIndex.set(
      b,
      prev
        ? {
            b,
            count: prev.count + r.count,
            cpuSum: prev.cpuSum + r.cpuSum,
            cpuMax: Math.max(prev.cpuMax, r.cpuMax),
            rssSum: prev.rssSum + r.rssSum,
            rssMax: Math.max(prev.rssMax, r.rssMax),
          }
        : r,
    );
  }
  return Array.from({ length: w.points }, (_, i) => {
    const r = byIndex.get(i);
    const ts = Math.round(w.since + i * w.width);
    if (!r || r.count === 0) {
      return { ts, count: 0, cpuAvg: null, cpuMax: null, rssAvg: null, rssMax: null };
    }
    return {
      ts,
      count: r.count,
      cpuAvg: r.cpuSum / r.count,
      cpuMax: r.cpuMax,
      rssAvg: r.rssSum / r.count,
      rssMax: r.rssMax,
    };
  });
}
