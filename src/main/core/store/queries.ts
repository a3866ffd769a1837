/**
 * The read side of the history store: every query, written against a `HistoryReader` (which
 * flushes pending writes first and recovers from corruption, see history-store.ts). Ranges
 * include both ends of `[since, until]`; chart series cut `[since, until)` into `points` buckets.
 */
import type Database from 'better-sqlite3';
import { VigilError } from '../../../shared/errors.js';
import type { HealthEvent, ServiceEvent } from '../../../shared/events.js';
import { RESTART_ACTIONS } from '../../../shared/lifecycle.js';
import type { ProbeType } from '../../../shared/model.js';
import { availabilityStats, type TimelineItem } from './availability.js';
import {
  addHealth,
  bucketIndex,
  finishHealth,
  finishResources,
  newHealthAccs,
  seriesWindow,
  type HealthAcc,
  type ResourceRow,
} from './buckets.js';
import { SQL } from './schema.js';
import type {
  HealthBucket,
  ProbeRow,
  ResourceBucket,
  RunRow,
  ServiceStats,
  TimeRange,
} from './types.js';
import type { Recorded } from './write-pipeline.js';

/** What the queries need of the store. */
export interface HistoryReader {
  /** Flushes, then runs a cached read statement (recovering from corruption). */
  query<T>(sql: string, run: (s: Database.Statement) => T): T;
  /** The service's number, or null when nothing was ever written for it. Flushes first. */
  lookupService(name: string): number | null;
}

/** Where `serviceStats` gets a service's timeline (the store passes its cache). */
export type TimelineSource = (
  r: HistoryReader,
  service: string,
  since: number,
  until: number,
) => readonly TimelineItem[];

export const RAW_PROBES_FROM = 'raw_probes_from';
const MAX_LIMIT = 100_000;
const MIN_TS = Number.MIN_SAFE_INTEGER;
const MAX_TS = Number.MAX_SAFE_INTEGER;

interface RunRecord {
  id: number;
  stack_name: string;
  stack_file: string;
  started_at: number;
  ended_at: number | null;
  how: RunRow['how'];
}

export function clampLimit(limit: number | undefined, dflt: number): number {
  if (limit === undefined) return dflt;
  if (!Number.isFinite(limit) || limit < 0) {
    throw new VigilError('BAD_REQUEST', `limit must be a positive number, got ${limit}`, {
      field: 'limit',
    });
  }
  return Math.min(Math.floor(limit), MAX_LIMIT);
}

/** Runs, newest first. */
export function runs(r: HistoryReader, limit?: number): RunRow[] {
  const n = clampLimit(limit, 100);
  const rows = r.query(
    'SELECT id, stack_name, stack_file, started_at, ended_at, how FROM runs ORDER BY id DESC LIMIT ?',
    (s) => s.all(n) as RunRecord[],
  );
  return rows.map((r) => ({
    id: r.id,
    stackName: r.stack_name,
    stackFile: r.stack_file,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    how: r.how,
  }));
}

/** Health-check results of one service, newest first (1 000 by default). */
export function probes(
  r: HistoryReader,
  service: string,
  opts: { limit?: number } & TimeRange = {},
): ProbeRow[] {
  const n = clampLimit(opts.limit, 1_000);
  type Row = Omit<ProbeRow, 'ok' | 'timedOut' | 'probe' | 'service'> & {
    ok: number;
    timedOut: number;
    probe: string;
  };
  const sid = r.lookupService(service);
  if (sid === null) return [];
  const rows = r.query(
    'SELECT run_id AS runId, ts, generation, ok, timed_out AS timedOut, ' +
      'latency_ms AS latencyMs, probe, detail FROM probes ' +
      'WHERE service_id = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC, rowid DESC LIMIT ?',
    (s) => s.all(sid, opts.since ?? MIN_TS, opts.until ?? MAX_TS, n) as Row[],
  );
  return rows.map((r) => ({
    runId: r.runId,
    ts: r.ts,
    service,
    generation: r.generation,
    latencyMs: r.latencyMs,
    detail: r.detail,
    ok: r.ok === 1,
    timedOut: r.timedOut === 1,
    probe: r.probe as ProbeType,
  }));
}

/** Downsampled health results; data older than the raw retention comes from minute rollups. */
export function healthSeries(
  r: HistoryReader,
  service: string,
  opts: { since: number; until: number; points: number },
): HealthBucket[] {
  const w = seriesWindow(opts);
  const accs = newHealthAccs(w.points);
  const sid = r.lookupService(service);
  if (sid === null) return finishHealth(w, accs);
  const rawFrom = rawProbesFrom(r);
  const rawStart = Math.max(w.since, rawFrom);
  if (rawStart < w.until) {
    type Row = {
      b: number;
      count: number;
      ok: number;
      timedOut: number;
      sum: number;
      max: number;
    };
    const rows = r.query(
      'SELECT CAST((ts - ?) / ? AS INTEGER) AS b, count(*) AS count, sum(ok) AS ok, ' +
        'sum(timed_out) AS timedOut, sum(latency_ms) AS sum, max(latency_ms) AS max ' +
        'FROM probes WHERE service_id = ? AND ts >= ? AND ts < ? GROUP BY b',
      (s) => s.all(w.since, w.width, sid, rawStart, w.until) as Row[],
    );
    for (const r of rows) {
      const b = Math.max(0, Math.min(w.points - 1, r.b));
      addHealth(accs[b], {
        count: r.count,
        ok: r.ok,
        failed: r.count - r.ok,
        timedOut: r.timedOut,
        latencySum: r.sum,
        latencyMax: r.max,
      });
    }
  }
  for (const m of rollups(r, sid, w.since, Math.min(w.until, rawFrom))) {
    const b = bucketIndex(w, m.minute);
    if (b !== null) addHealth(accs[b], m);
  }
  return finishHealth(w, accs);
}

/** Downsampled CPU and memory samples. */
export function resourceSeries(
  r: HistoryReader,
  service: string,
  opts: { since: number; until: number; points: number },
): ResourceBucket[] {
  const w = seriesWindow(opts);
  const sid = r.lookupService(service);
  if (sid === null) return finishResources(w, []);
  const rows = r.query(
    'SELECT CAST((ts - ?) / ? AS INTEGER) AS b, count(*) AS count, sum(cpu) AS cpuSum, ' +
      'max(cpu) AS cpuMax, sum(rss) AS rssSum, max(rss) AS rssMax ' +
      'FROM samples WHERE service_id = ? AND ts >= ? AND ts < ? GROUP BY b',
    (s) => s.all(w.since, w.width, sid, w.since, w.until) as ResourceRow[],
  );
  return finishResources(w, rows);
}

/** Per-service figures over `[since, until]`; definitions in availability.ts. */
export function serviceStats(
  r: HistoryReader,
  service: string,
  opts: { since: number; until: number },
  now: number,
  timelineOf: TimelineSource = timeline,
): ServiceStats {
  const since = opts.since;
  const until = Math.min(opts.until, now);
  if (!Number.isFinite(since) || !Number.isFinite(opts.until) || opts.until < since) {
    throw new VigilError('BAD_REQUEST', `invalid time range: since ${since}, until ${opts.until}`, {
      field: 'since',
    });
  }
  const items = timelineOf(r, service, since, until);
  const a = availabilityStats(items, since, until);
  const actionCounts = r.query(
    'SELECT action, count(*) AS n FROM events WHERE service = ? AND ts >= ? AND ts <= ? ' +
      "AND type = 'healing_event' GROUP BY action",
    (s) => s.all(service, since, opts.until) as { action: string; n: number }[],
  );
  const count = (actions: readonly string[]): number =>
    actionCounts.filter((r) => actions.includes(r.action)).reduce((sum, r) => sum + r.n, 0);
  const probes = probeCounts(r, service, since, opts.until);
  return {
    uptimePct: a.uptimePct,
    restarts: count(RESTART_ACTIONS),
    mttrMs: a.mttrMs,
    longestOutageMs: a.longestOutageMs,
    outages: a.outages,
    quarantines: count(['quarantine']),
    breakerTrips: count(['breaker_open']),
    probes: probes.count,
    probeFailures: probes.failed,
  };
}

export function rawProbesFrom(r: HistoryReader): number {
  const row = r.query(SQL.getMeta, (s) => s.get(RAW_PROBES_FROM) as { value: string } | undefined);
  return row ? Number(row.value) : Number.NEGATIVE_INFINITY;
}

/** Minute rollups with a start in `[from, to)`. */
function rollups(
  r: HistoryReader,
  sid: number,
  from: number,
  to: number,
): (HealthAcc & { minute: number })[] {
  if (!(to > from)) return [];
  return r.query(
    'SELECT minute, count, ok, failed, timed_out AS timedOut, latency_sum AS latencySum, ' +
      'latency_max AS latencyMax FROM probe_rollups WHERE service_id = ? AND minute >= ? AND minute < ?',
    (s) => s.all(sid, from, to) as (HealthAcc & { minute: number })[],
  );
}

export function probeCounts(
  r: HistoryReader,
  service: string,
  since: number,
  until: number,
): { count: number; failed: number } {
  const sid = r.lookupService(service);
  if (sid === null) return { count: 0, failed: 0 };
  const rawFrom = rawProbesFrom(r);
  const raw = r.query(
    'SELECT count(*) AS count, coalesce(sum(ok), 0) AS ok FROM probes ' +
      'WHERE service_id = ? AND ts >= ? AND ts <= ?',
    (s) => s.get(sid, Math.max(since, rawFrom), until) as { count: number; ok: number },
  );
  let count = raw.count;
  let failed = raw.count - raw.ok;
  for (const m of rollups(r, sid, since, Math.min(until, rawFrom))) {
    count += m.count;
    failed += m.failed;
  }
  return { count, failed };
}

/**
 * `probeCounts` of every service at once, by name: two queries whatever the number of services
 * (a snapshot asks for all of them). Services with no probe in the range are absent.
 */
export function probeCountsAll(
  r: HistoryReader,
  since: number,
  until: number,
): Map<string, { count: number; failed: number }> {
  const out = new Map<string, { count: number; failed: number }>();
  const rawFrom = rawProbesFrom(r);
  const add = (name: string, count: number, failed: number): void => {
    const c = out.get(name) ?? { count: 0, failed: 0 };
    out.set(name, { count: c.count + count, failed: c.failed + failed });
  };
  const raw = r.query(
    'SELECT s.name AS name, count(*) AS count, coalesce(sum(p.ok), 0) AS ok FROM probes p ' +
      'JOIN services s ON s.id = p.service_id WHERE p.ts >= ? AND p.ts <= ? GROUP BY p.service_id',
    (st) =>
      st.all(Math.max(since, rawFrom), until) as { name: string; count: number; ok: number }[],
  );
  for (const x of raw) add(x.name, x.count, x.count - x.ok);
  const to = Math.min(until, rawFrom);
  if (to > since) {
    const rolled = r.query(
      'SELECT s.name AS name, sum(m.count) AS count, sum(m.failed) AS failed FROM probe_rollups m ' +
        'JOIN services s ON s.id = m.service_id WHERE m.minute >= ? AND m.minute < ? GROUP BY m.service_id',
      (st) => st.all(since, to) as { name: string; count: number; failed: number }[],
    );
    for (const x of rolled) add(x.name, x.count, x.failed);
  }
  return out;
}

export function events<T extends Recorded>(
  r: HistoryReader,
  type: Recorded['type'],
  opts: { service?: string; limit?: number } & TimeRange,
  order: 'ASC' | 'DESC',
  dflt: number,
): T[] {
  const n = clampLimit(opts.limit, dflt);
  const byService = opts.service !== undefined;
  const sql =
    'SELECT payload FROM events WHERE type = ? AND ts >= ? AND ts <= ?' +
    (byService ? ' AND service = ?' : '') +
    ` ORDER BY ts ${order}, id ${order} LIMIT ?`;
  const args: unknown[] = [type, opts.since ?? MIN_TS, opts.until ?? MAX_TS];
  if (byService) args.push(opts.service);
  args.push(n);
  const rows = r.query(sql, (s) => s.all(...args) as { payload: string }[]);
  return rows.map((r) => JSON.parse(r.payload) as T);
}

/** A run's start and end, for timelines. */
export interface RunSpan {
  readonly startedAt: number;
  readonly endedAt: number | null;
}

/** A lifecycle or health change with its row number (the order among equal times). */
export interface TimelineEvent {
  readonly item: TimelineItem;
  readonly seq: number;
}

/** Where a timeline for a window starting at `since` begins: the start of the run containing it. */
export function timelineFrom(runs: readonly RunSpan[], since: number): number {
  let start: number | null = null;
  for (const run of runs) {
    if (run.startedAt <= since && (start === null || run.startedAt > start)) start = run.startedAt;
  }
  return start ?? since;
}

/** The runs a timeline over `[from, until]` lists: started by `until`, not ended before `from`. */
export function runsInTimeline(runs: readonly RunSpan[], from: number, until: number): RunSpan[] {
  return runs.filter((x) => x.startedAt <= until && (x.endedAt === null || x.endedAt >= from));
}

/** The service's lifecycle and health changes in `[from, until]`, oldest first. */
export function timelineEvents(
  r: HistoryReader,
  service: string,
  from: number,
  until: number,
): TimelineEvent[] {
  const rows = r.query(
    'SELECT id, payload FROM events WHERE service = ? AND ts >= ? AND ts <= ? ' +
      "AND type IN ('service_event', 'health_update') ORDER BY ts, id",
    (s) => s.all(service, from, until) as { id: number; payload: string }[],
  );
  return rows.map((row) => {
    const e = JSON.parse(row.payload) as ServiceEvent | HealthEvent;
    const item: TimelineItem =
      e.type === 'service_event'
        ? {
            kind: 'lifecycle',
            ts: e.ts,
            to: e.to,
            reason: e.reason.kind,
            exitCode: e.reason.exitCode ?? null,
            generation: e.generation,
          }
        : { kind: 'health', ts: e.ts, to: e.to, generation: e.generation };
    return { item, seq: row.id };
  });
}

/** Run starts, changes and run ends in time order (a start before, an end after, equal times). */
export function mergeTimeline(
  runs: readonly RunSpan[],
  events: readonly TimelineEvent[],
): TimelineItem[] {
  const items: { item: TimelineItem; order: number; seq: number }[] = [];
  for (const run of runs) {
    items.push({ item: { kind: 'run_start', ts: run.startedAt }, order: 0, seq: 0 });
    if (run.endedAt !== null)
      items.push({ item: { kind: 'run_end', ts: run.endedAt }, order: 2, seq: 0 });
  }
  for (const e of events) items.push({ item: e.item, order: 1, seq: e.seq });
  items.sort((a, b) => a.item.ts - b.item.ts || a.order - b.order || a.seq - b.seq);
  return items.map((x) => x.item);
}

/**
 * The service's lifecycle and health changes plus run starts and ends, from the start of the
 * run that contains `since` (so the state at `since` is known) to `until`.
 */
export function timeline(
  r: HistoryReader,
  service: string,
  since: number,
  until: number,
): TimelineItem[] {
  const start = r.query(
    'SELECT max(started_at) AS t FROM runs WHERE started_at <= ?',
    (s) => (s.get(since) as { t: number | null }).t,
  );
  const from = start ?? since;
  const runs = r.query(
    'SELECT started_at AS startedAt, ended_at AS endedAt FROM runs ' +
      'WHERE started_at <= ? AND (ended_at IS NULL OR ended_at >= ?)',
    (s) => s.all(until, from) as RunSpan[],
  );
  return mergeTimeline(runs, timelineEvents(r, service, from, until));
}
