/**
 * Vigil's history: runs, every health-check result, state changes, healing actions, status
 * updates and resource samples, in SQLite (`<data-dir>/vigil.db`).
 *
 * Writes are queued and written in one transaction per flush: every `flushIntervalMs`, or at once
 * when `maxBatch` records are waiting. Queries flush first, so they see everything recorded. A
 * Vigil killed at any moment loses at most the batch that was not yet flushed (WAL, and each
 * flush commits or not as a whole).
 *
 * The store never takes Vigil down. A corrupt file is moved aside and replaced (at open, or when
 * a read or write finds the corruption later). A directory or file that cannot be written gives
 * an in-memory database and a `degraded` sentence. A failing disk (full, read-only, I/O errors)
 * keeps the newest `maxQueue` records in memory, dropping the oldest and counting them, sets
 * `degraded`, and retries with backoff until a flush succeeds. `status()` says which of these
 * holds; `onStatusChange` listeners hear of a change of it (a write starting to fail, writes
 * resuming, a recovery), never of every write.
 *
 * Ranges: list queries (`probes`, `healing`, `serviceEvents`, `statusEvents`, `healthChanges`)
 * and `serviceStats` include both ends of `[since, until]`; chart series cut `[since, until)` into
 * `points` buckets. Availability figures are defined in availability.ts. `restarts` counts healing
 * events whose action is `restart`, `graceful_restart` or `dependency_restart`, `quarantines` those
 * with `quarantine`, `breakerTrips` those with `breaker_open`.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { VigilError } from '../../../shared/errors.js';
import type {
  HealingEvent,
  HealthEvent,
  ServiceEvent,
  StatusEvent,
  VigilEvent,
} from '../../../shared/events.js';
import { DEFAULT_SETTINGS, type ProbeType } from '../../../shared/model.js';
import type { Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import { availabilityStats, type TimelineItem } from './availability.js';
import {
  addHealth,
  bucketIndex,
  finishHealth,
  finishResources,
  floorToMinute,
  newHealthAccs,
  seriesWindow,
  type HealthAcc,
  type ResourceRow,
} from './buckets.js';
import {
  describeStorageError,
  errorMessage,
  isCorruptError,
  isStorageError,
  openHistoryDb,
  openMemoryDb,
  type OpenedDb,
} from './open.js';
import { BoundedQueue } from './queue.js';
import { SQL } from './schema.js';
import type {
  HealthBucket,
  HistoryStatus,
  ProbeRow,
  ResourceBucket,
  RunEnd,
  RunRow,
  ServiceStats,
  TimeRange,
} from './types.js';
import { RESTART_ACTIONS } from '../../../shared/lifecycle.js';

export const DB_FILE = 'vigil.db';
export { RESTART_ACTIONS };
/** Longer probe details are cut to this many characters. */
export const MAX_DETAIL_CHARS = 2_000;
const MAX_LIMIT = 100_000;
const MAX_RETRY_DELAY_MS = 5_000;
const FIRST_PRUNE_DELAY_MS = 60_000;
const RAW_PROBES_FROM = 'raw_probes_from';
const EVENT_TYPES_STORED = [
  'service_event',
  'health_update',
  'healing_event',
  'status_update',
] as const;

/** Test seam: lets a test make the disk fail. */
export interface StoreFaults {
  /** Called inside every flush before anything is written; throw to fail the flush. */
  beforeFlush?(): void;
}

export interface HistoryStoreOptions {
  logger?: Logger;
  /** 200 ms. */
  flushIntervalMs?: number;
  /** 5 000 records: reaching it flushes at once. */
  maxBatch?: number;
  /** Records kept while the disk fails; the oldest are dropped beyond it. 10 × maxBatch. */
  maxQueue?: number;
  /** Retention used by the hourly prune (the stack's `retention`, 7 days by default). */
  retentionMs?: number;
  /** 1 hour. */
  pruneIntervalMs?: number;
  /** Timers and wall time; by default real timers that do not keep the process alive. */
  clock?: Clock;
  faults?: StoreFaults;
}

type Recorded = ServiceEvent | HealthEvent | HealingEvent | StatusEvent;

type Pending =
  | { readonly k: 'probe'; readonly runId: number; readonly e: HealthEvent }
  | { readonly k: 'event'; readonly runId: number; readonly e: Recorded }
  | {
      readonly k: 'sample';
      readonly runId: number;
      readonly service: string;
      readonly ts: number;
      readonly cpu: number;
      readonly rss: number;
    };

type RunOp =
  | {
      readonly k: 'begin';
      readonly id: number;
      readonly stackName: string;
      readonly stackFile: string;
      readonly startedAt: number;
    }
  | { readonly k: 'end'; readonly id: number; readonly endedAt: number; readonly how: RunEnd };

const backgroundClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface Writers {
  readonly insertRun: Database.Statement;
  readonly endRun: Database.Statement;
  readonly touchRun: Database.Statement;
  readonly insertEvent: Database.Statement;
  readonly insertProbe: Database.Statement;
  readonly insertSample: Database.Statement;
  readonly upsertRollup: Database.Statement;
  readonly insertService: Database.Statement;
}

function prepareWriters(db: Database.Database): Writers {
  return {
    insertRun: db.prepare(SQL.insertRun),
    endRun: db.prepare(SQL.endRun),
    touchRun: db.prepare(SQL.touchRun),
    insertEvent: db.prepare(SQL.insertEvent),
    insertProbe: db.prepare(SQL.insertProbe),
    insertSample: db.prepare(SQL.insertSample),
    upsertRollup: db.prepare(SQL.upsertRollup),
    insertService: db.prepare(SQL.insertService),
  };
}

function eventAction(e: Recorded): string {
  switch (e.type) {
    case 'service_event':
      return e.to;
    case 'health_update':
      return e.to;
    case 'healing_event':
      return e.action;
    case 'status_update':
      return e.event ?? e.system;
  }
}

function clampLimit(limit: number | undefined, dflt: number): number {
  if (limit === undefined) return dflt;
  if (!Number.isFinite(limit) || limit < 0) {
    throw new VigilError('BAD_REQUEST', `limit must be a positive number, got ${limit}`, {
      field: 'limit',
    });
  }
  return Math.min(Math.floor(limit), MAX_LIMIT);
}

const MIN_TS = Number.MIN_SAFE_INTEGER;
const MAX_TS = Number.MAX_SAFE_INTEGER;

type RollupAccs = Map<string, HealthAcc & { serviceId: number; minute: number }>;

/** Writes one record; returns its time. Probe results are also added to the minute rollups. */
function writeItem(
  w: Writers,
  it: Pending,
  rollups: RollupAccs,
  serviceId: (name: string) => number,
): number {
  switch (it.k) {
    case 'probe': {
      const e = it.e;
      const r = e.result;
      const detail =
        r.detail.length > MAX_DETAIL_CHARS ? r.detail.slice(0, MAX_DETAIL_CHARS) : r.detail;
      const sid = serviceId(e.service);
      w.insertProbe.run(
        it.runId,
        r.ts,
        sid,
        e.generation,
        r.ok ? 1 : 0,
        r.timedOut ? 1 : 0,
        r.latencyMs,
        r.probe,
        detail,
      );
      const minute = floorToMinute(r.ts);
      const key = `${minute}:${sid}`;
      let acc = rollups.get(key);
      if (!acc) {
        acc = {
          serviceId: sid,
          minute,
          count: 0,
          ok: 0,
          failed: 0,
          timedOut: 0,
          latencySum: 0,
          latencyMax: Number.NEGATIVE_INFINITY,
        };
        rollups.set(key, acc);
      }
      acc.count += 1;
      if (r.ok) acc.ok += 1;
      else acc.failed += 1;
      if (r.timedOut) acc.timedOut += 1;
      acc.latencySum += r.latencyMs;
      acc.latencyMax = Math.max(acc.latencyMax, r.latencyMs);
      return r.ts;
    }
    case 'event': {
      const e = it.e;
      w.insertEvent.run(
        it.runId,
        e.ts,
        e.type,
        e.type === 'status_update' ? null : e.service,
        eventAction(e),
        JSON.stringify(e),
      );
      return e.ts;
    }
    case 'sample':
      w.insertSample.run(it.runId, it.ts, serviceId(it.service), it.cpu, it.rss);
      return it.ts;
  }
}

interface RunRecord {
  id: number;
  stack_name: string;
  stack_file: string;
  started_at: number;
  ended_at: number | null;
  how: RunRow['how'];
}

export class HistoryStore {
  readonly file: string;
  private db: Database.Database;
  private writers: Writers;
  private readonly readers = new Map<string, Database.Statement>();
  /** Service name -> number in the `services` table (committed rows only). */
  private serviceIds = new Map<string, number>();
  private readonly queue: BoundedQueue<Pending>;
  private readonly runOps: RunOp[] = [];
  private readonly openRuns = new Map<number, Extract<RunOp, { k: 'begin' }>>();
  private nextRunId: number;
  private openProblem: string | null;
  private persistent: boolean;
  /** Where the last corrupt file was moved, if one was. */
  private movedAside: string | null;
  private writeProblem: string | null = null;
  private readonly statusListeners = new Set<(s: HistoryStatus) => void>();
  private lastStatusKey: string;
  private statusCheckQueued = false;
  private failures = 0;
  private lost = 0;
  private recoveries = 0;
  private flushTimer: { cancel(): void } | null = null;
  private pruneTimer: { cancel(): void } | null = null;
  private closed = false;
  private retentionMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly pruneIntervalMs: number;
  private readonly faults: StoreFaults | undefined;
  private readonly dataDir: string;

  private constructor(dataDir: string, file: string, opened: OpenedDb, opts: HistoryStoreOptions) {
    this.dataDir = dataDir;
    this.file = file;
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? backgroundClock;
    this.flushIntervalMs = Math.max(1, opts.flushIntervalMs ?? 200);
    this.maxBatch = Math.max(1, opts.maxBatch ?? 5_000);
    this.queue = new BoundedQueue(Math.max(this.maxBatch, opts.maxQueue ?? this.maxBatch * 10));
    this.retentionMs = opts.retentionMs ?? DEFAULT_SETTINGS.retentionMs;
    this.pruneIntervalMs = Math.max(1_000, opts.pruneIntervalMs ?? 3_600_000);
    this.faults = opts.faults;
    this.db = opened.db;
    this.openProblem = opened.problem;
    this.persistent = opened.persistent;
    this.movedAside = opened.movedAside;
    this.writers = prepareWriters(this.db);
    this.lastStatusKey = this.statusKey();
    this.nextRunId = this.withDb(() => this.maxRunId()) + 1;
    this.loadServiceIds();
    this.schedulePrune(Math.min(FIRST_PRUNE_DELAY_MS, this.pruneIntervalMs));
  }

  /** Opens (creating if needed) `<dataDir>/vigil.db`. Never throws: see `degraded`. */
  static open(dataDir: string, opts: HistoryStoreOptions = {}): HistoryStore {
    const file = path.join(dataDir, DB_FILE);
    const clock = opts.clock ?? backgroundClock;
    const opened = openHistoryDb(dataDir, file, {
      logger: opts.logger ?? silentLogger,
      now: () => clock.wallNow(),
    });
    return new HistoryStore(dataDir, file, opened, opts);
  }

  /** A store that lives in memory only (tests, tools); `degraded` is null. */
  static memory(opts: HistoryStoreOptions = {}): HistoryStore {
    const opened: OpenedDb = {
      db: openMemoryDb(),
      persistent: false,
      problem: null,
      movedAside: null,
    };
    return new HistoryStore('', ':memory:', opened, opts);
  }

  /** Why history is not being persisted, or null when it is. */
  get degraded(): string | null {
    if (this.openProblem) return this.openProblem;
    if (this.writeProblem) {
      return (
        `history is not being saved: ${this.writeProblem} writing ${this.file}; keeping the newest ` +
        `${this.queue.length} records in memory and retrying (${this.droppedRecords} dropped so far)`
      );
    }
    return null;
  }

  /** Whether history is being saved, and if not why (see HistoryState). Cheap: no I/O. */
  status(): HistoryStatus {
    const droppedRecords = this.droppedRecords;
    if (!this.persistent) {
      return {
        state: 'memory',
        message:
          this.openProblem ??
          'history is kept in memory only (no database file): it is lost when Vigil exits',
        droppedRecords,
      };
    }
    if (this.writeProblem) return { state: 'degraded', message: this.degraded, droppedRecords };
    if (this.movedAside) {
      return {
        state: 'recovered',
        message:
          `the history database was corrupt: it was moved to ${path.basename(this.movedAside)} ` +
          `and a new ${path.basename(this.file)} started (the earlier history is in the moved file)`,
        droppedRecords,
      };
    }
    return { state: 'ok', message: null, droppedRecords };
  }

  /**
   * Calls `fn` after `status()` changes state or cause (a write starts failing, writes resume,
   * a corrupt file is replaced), at most once per change: never per write or per retry, and not
   * for the dropped count alone. Returns the unsubscribe function.
   */
  onStatusChange(fn: (s: HistoryStatus) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  /** Records lost: dropped from a full queue, or in a batch that could not be written at all. */
  get droppedRecords(): number {
    return this.queue.dropped + this.lost;
  }

  /** Records waiting for the next flush. */
  get pendingRecords(): number {
    return this.queue.length;
  }

  /** Retention for the hourly prune (the stack's `retention`). */
  setRetention(ms: number): void {
    if (Number.isFinite(ms) && ms > 0) this.retentionMs = ms;
  }

  beginRun(info: { stackName: string; stackFile: string; startedAt: number }): number {
    this.assertOpen();
    const op = { k: 'begin', id: this.nextRunId++, ...info } as const;
    this.openRuns.set(op.id, op);
    this.runOps.push(op);
    this.flush();
    return op.id;
  }

  endRun(
    runId: number,
    info: { endedAt: number; how: 'stopped' | 'emergency-shutdown' | 'failed' },
  ): void {
    this.assertOpen();
    this.openRuns.delete(runId);
    this.runOps.push({ k: 'end', id: runId, endedAt: info.endedAt, how: info.how });
    this.flush();
  }

  /** Queues an event; log lines are not stored here (they live in log files). */
  record(runId: number, event: VigilEvent): void {
    if (this.closed) return;
    switch (event.type) {
      case 'log':
        return;
      case 'health_update':
        this.enqueue({ k: 'probe', runId, e: event });
        if (event.from !== event.to) this.enqueue({ k: 'event', runId, e: event });
        return;
      case 'service_event':
      case 'healing_event':
      case 'status_update':
        this.enqueue({ k: 'event', runId, e: event });
        return;
    }
  }

  recordSample(
    runId: number,
    s: { service: string; ts: number; cpuPercent: number; rssBytes: number },
  ): void {
    if (this.closed) return;
    this.enqueue({
      k: 'sample',
      runId,
      service: s.service,
      ts: s.ts,
      cpu: s.cpuPercent,
      rss: Math.round(s.rssBytes),
    });
  }

  /** Writes everything queued now, in one transaction. Never throws. */
  flush(): void {
    if (this.closed) return;
    this.cancelFlushTimer();
    if (this.queue.length === 0 && this.runOps.length === 0) return;
    const items = this.queue.toArray();
    const ops = this.runOps.slice();
    try {
      this.faults?.beforeFlush?.();
      this.write(ops, items);
    } catch (err) {
      this.onWriteError(err, ops.length, items.length);
      return;
    }
    this.queue.clear();
    this.runOps.splice(0, ops.length);
    if (this.writeProblem) {
      this.logger.info(
        `history store: writing to ${this.file} again (${this.droppedRecords} records were dropped)`,
      );
      this.writeProblem = null;
      this.failures = 0;
      this.queueStatusCheck();
    }
  }

  /** Flushes and closes. Later records are ignored; queries throw. */
  close(): void {
    if (this.closed) return;
    this.flush();
    if (this.queue.length > 0 || this.runOps.length > 0) {
      this.logger.error(
        `history store: ${this.queue.length} records could not be written to ${this.file} and are lost`,
      );
    }
    this.closed = true;
    this.cancelFlushTimer();
    this.pruneTimer?.cancel();
    this.pruneTimer = null;
    try {
      this.db.close();
    } catch (err) {
      this.logger.warn(`history store: closing ${this.file}: ${errorMessage(err)}`);
    }
  }

  // ---------------------------------------------------------------------------------- queries

  /** Runs, newest first. */
  runs(limit?: number): RunRow[] {
    const n = clampLimit(limit, 100);
    const rows = this.query(
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
  probes(service: string, opts: { limit?: number } & TimeRange = {}): ProbeRow[] {
    const n = clampLimit(opts.limit, 1_000);
    type Row = Omit<ProbeRow, 'ok' | 'timedOut' | 'probe' | 'service'> & {
      ok: number;
      timedOut: number;
      probe: string;
    };
    const sid = this.lookupService(service);
    if (sid === null) return [];
    const rows = this.query(
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
  healthSeries(
    service: string,
    opts: { since: number; until: number; points: number },
  ): HealthBucket[] {
    const w = seriesWindow(opts);
    const accs = newHealthAccs(w.points);
    const sid = this.lookupService(service);
    if (sid === null) return finishHealth(w, accs);
    const rawFrom = this.rawProbesFrom();
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
      const rows = this.query(
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
    for (const r of this.rollups(sid, w.since, Math.min(w.until, rawFrom))) {
      const b = bucketIndex(w, r.minute);
      if (b !== null) addHealth(accs[b], r);
    }
    return finishHealth(w, accs);
  }

  /** Downsampled CPU and memory samples. */
  resourceSeries(
    service: string,
    opts: { since: number; until: number; points: number },
  ): ResourceBucket[] {
    const w = seriesWindow(opts);
    const sid = this.lookupService(service);
    if (sid === null) return finishResources(w, []);
    const rows = this.query(
      'SELECT CAST((ts - ?) / ? AS INTEGER) AS b, count(*) AS count, sum(cpu) AS cpuSum, ' +
        'max(cpu) AS cpuMax, sum(rss) AS rssSum, max(rss) AS rssMax ' +
        'FROM samples WHERE service_id = ? AND ts >= ? AND ts < ? GROUP BY b',
      (s) => s.all(w.since, w.width, sid, w.since, w.until) as ResourceRow[],
    );
    return finishResources(w, rows);
  }

  /** Healing events, newest first (1 000 by default). */
  healing(opts: { limit?: number; service?: string } & TimeRange = {}): HealingEvent[] {
    return this.events<HealingEvent>('healing_event', opts, 'DESC', 1_000);
  }

  /** Lifecycle changes, oldest first (10 000 by default). */
  serviceEvents(opts: { service?: string; limit?: number } & TimeRange = {}): ServiceEvent[] {
    return this.events<ServiceEvent>('service_event', opts, 'ASC', 10_000);
  }

  /** Health changes (the results where the health changed), oldest first (10 000 by default). */
  healthChanges(opts: { service?: string; limit?: number } & TimeRange = {}): HealthEvent[] {
    return this.events<HealthEvent>('health_update', opts, 'ASC', 10_000);
  }

  /** System status updates, oldest first (10 000 by default). */
  statusEvents(opts: { limit?: number } & TimeRange = {}): StatusEvent[] {
    return this.events<StatusEvent>('status_update', opts, 'ASC', 10_000);
  }

  /** Per-service figures over `[since, until]`; definitions in availability.ts. */
  serviceStats(service: string, opts: { since: number; until: number }): ServiceStats {
    const since = opts.since;
    const until = Math.min(opts.until, this.clock.wallNow());
    if (!Number.isFinite(since) || !Number.isFinite(opts.until) || opts.until < since) {
      throw new VigilError(
        'BAD_REQUEST',
        `invalid time range: since ${since}, until ${opts.until}`,
        {
          field: 'since',
        },
      );
    }
    this.flush();
    const timeline = this.timeline(service, since, until);
    const a = availabilityStats(timeline, since, until);
    const actionCounts = this.query(
      'SELECT action, count(*) AS n FROM events WHERE service = ? AND ts >= ? AND ts <= ? ' +
        "AND type = 'healing_event' GROUP BY action",
      (s) => s.all(service, since, opts.until) as { action: string; n: number }[],
    );
    const count = (actions: readonly string[]): number =>
      actionCounts.filter((r) => actions.includes(r.action)).reduce((sum, r) => sum + r.n, 0);
    const probes = this.probeCounts(service, since, opts.until);
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

  /**
   * Deletes events, probes and samples older than `retentionMs`, and minute rollups older than 4×
   * that. Runs are kept. Probe rows are already in the rollups (written with them).
   */
  prune(now: number, retentionMs: number): { deleted: number } {
    if (!Number.isFinite(retentionMs) || retentionMs <= 0) {
      throw new VigilError('BAD_REQUEST', `retention must be positive, got ${retentionMs}`);
    }
    this.assertOpen();
    this.flush();
    const cutoff = floorToMinute(now - retentionMs);
    const rollupCutoff = floorToMinute(now - 4 * retentionMs);
    const rawFrom = this.rawProbesFrom();
    const deleted = this.withDb(() => {
      const db = this.db;
      let n = 0;
      const probes = db.prepare('DELETE FROM probes WHERE service_id = ? AND ts < ?');
      const samples = db.prepare('DELETE FROM samples WHERE service_id = ? AND ts < ?');
      const rollups = db.prepare('DELETE FROM probe_rollups WHERE service_id = ? AND minute < ?');
      const events = db.prepare('DELETE FROM events WHERE type = ? AND ts < ?');
      const ids = (db.prepare('SELECT id FROM services').all() as { id: number }[]).map(
        (r) => r.id,
      );
      db.transaction(() => {
        // Per service and per type, so that each delete walks an index.
        for (const id of ids) {
          n += probes.run(id, cutoff).changes;
          n += samples.run(id, cutoff).changes;
          n += rollups.run(id, rollupCutoff).changes;
        }
        for (const type of EVENT_TYPES_STORED) n += events.run(type, cutoff).changes;
        if (cutoff > rawFrom) {
          db.prepare(SQL.setMeta).run(RAW_PROBES_FROM, String(cutoff));
        }
      })();
      return n;
    });
    if (deleted > 0) {
      try {
        this.db.pragma('incremental_vacuum');
      } catch (err) {
        this.logger.debug(`history store: incremental vacuum: ${errorMessage(err)}`);
      }
    }
    return { deleted };
  }

  // ---------------------------------------------------------------------------------- internals

  private enqueue(item: Pending): void {
    this.queue.push(item);
    if (this.writeProblem === null && this.queue.length >= this.maxBatch) this.flush();
    else this.scheduleFlush(this.flushIntervalMs);
  }

  /**
   * Writes run changes and records in one transaction. `tolerant` skips (and counts) the records
   * that fail on their own instead of failing the whole batch.
   */
  private write(ops: readonly RunOp[], items: readonly Pending[], tolerant = false): number {
    const w = this.writers;
    let skipped = 0;
    const added: string[] = [];
    const serviceId = (name: string): number => {
      let id = this.serviceIds.get(name);
      if (id === undefined) {
        if (typeof name !== 'string')
          throw new TypeError(`service name must be a string, got ${name}`);
        id = Number(w.insertService.run(name).lastInsertRowid);
        this.serviceIds.set(name, id);
        added.push(name);
      }
      return id;
    };
    try {
      this.writeTx(w, ops, items, tolerant, serviceId, () => (skipped += 1));
    } catch (err) {
      // Rolled back: the numbers given to new services in it do not exist.
      for (const name of added) this.serviceIds.delete(name);
      throw err;
    }
    return skipped;
  }

  private writeTx(
    w: Writers,
    ops: readonly RunOp[],
    items: readonly Pending[],
    tolerant: boolean,
    serviceId: (name: string) => number,
    skip: () => void,
  ): void {
    this.db.transaction(() => {
      for (const op of ops) {
        try {
          if (op.k === 'begin') w.insertRun.run(op.id, op.stackName, op.stackFile, op.startedAt);
          else w.endRun.run(op.endedAt, op.how, op.id);
        } catch (err) {
          if (!tolerant || isStorageError(err) || isCorruptError(err)) throw err;
          skip();
        }
      }
      const rollups: RollupAccs = new Map();
      const lastSeen = new Map<number, number>();
      for (const it of items) {
        try {
          const ts = writeItem(w, it, rollups, serviceId);
          if (ts > (lastSeen.get(it.runId) ?? Number.NEGATIVE_INFINITY)) lastSeen.set(it.runId, ts);
        } catch (err) {
          if (!tolerant || isStorageError(err) || isCorruptError(err)) throw err;
          skip();
        }
      }
      for (const a of rollups.values()) {
        w.upsertRollup.run(
          a.serviceId,
          a.minute,
          a.count,
          a.ok,
          a.failed,
          a.timedOut,
          a.latencySum,
          a.latencyMax,
        );
      }
      for (const [runId, ts] of lastSeen) w.touchRun.run(ts, runId);
    })();
  }

  private onWriteError(err: unknown, ops: number, items: number): void {
    if (isCorruptError(err)) {
      this.recoverFromCorruption(err);
      this.scheduleFlush(0);
      return;
    }
    if (isStorageError(err)) {
      this.failures += 1;
      const first = this.writeProblem === null;
      this.writeProblem = describeStorageError(err);
      if (first) this.logger.error(this.degraded ?? this.writeProblem);
      const delay = Math.min(
        MAX_RETRY_DELAY_MS,
        this.flushIntervalMs * 2 ** Math.min(10, this.failures),
      );
      this.scheduleFlush(delay);
      this.queueStatusCheck();
      return;
    }
    // Not the disk: some record cannot be written. Write the others, skipping the bad ones;
    // retrying the same batch would fail the same way forever.
    let skipped = items + ops;
    try {
      skipped = this.write(this.runOps.slice(0, ops), this.queue.toArray(), true);
    } catch (again) {
      if (isStorageError(again) || isCorruptError(again)) {
        this.onWriteError(again, ops, items);
        return;
      }
    }
    this.lost += skipped;
    this.queue.clear();
    this.runOps.splice(0, ops);
    this.logger.error(
      `history store: ${skipped} of ${items + ops} records could not be written and were dropped: ${errorMessage(err)}`,
    );
  }

  private recoverFromCorruption(err: unknown): void {
    this.recoveries += 1;
    this.logger.error(
      `history database ${this.file} is corrupt (${errorMessage(err)}): moving it aside and starting a new one`,
    );
    try {
      this.db.close();
    } catch {
      // already unusable
    }
    this.readers.clear();
    const opened: OpenedDb =
      this.recoveries > 3 || !this.dataDir
        ? {
            db: openMemoryDb(),
            persistent: false,
            problem: `history is not being saved (kept in memory until Vigil exits): ${this.file} keeps getting corrupted`,
            movedAside: null,
          }
        : openHistoryDb(this.dataDir, this.file, {
            logger: this.logger,
            now: () => this.clock.wallNow(),
            discardExisting: true,
          });
    if (opened.movedAside)
      this.logger.error(`history store: the corrupt file is now ${opened.movedAside}`);
    this.db = opened.db;
    this.openProblem = opened.problem;
    this.persistent = opened.persistent;
    if (opened.movedAside) this.movedAside = opened.movedAside;
    this.writers = prepareWriters(this.db);
    this.serviceIds = new Map();
    this.queueStatusCheck();
    // The live runs' rows were in the old file.
    const pending = new Set(this.runOps.filter((o) => o.k === 'begin').map((o) => o.id));
    for (const run of this.openRuns.values()) if (!pending.has(run.id)) this.runOps.unshift(run);
  }

  /** What a change of status is: the state and its cause, not the counts in the message. */
  private statusKey(): string {
    const s = this.status();
    const cause =
      s.state === 'degraded'
        ? this.writeProblem
        : s.state === 'recovered'
          ? this.movedAside
          : s.message;
    return `${s.state}\n${cause ?? ''}`;
  }

  /**
   * Tells the listeners about a change of status, once the current operation is over (a listener
   * may record an event, which must not run inside a flush or a recovery).
   */
  private queueStatusCheck(): void {
    if (this.statusCheckQueued) return;
    this.statusCheckQueued = true;
    queueMicrotask(() => {
      this.statusCheckQueued = false;
      const key = this.statusKey();
      if (key === this.lastStatusKey) return;
      this.lastStatusKey = key;
      const status = this.status();
      for (const fn of this.statusListeners) {
        try {
          fn(status);
        } catch (err) {
          this.logger.error(`history store: a status listener failed: ${errorMessage(err)}`);
        }
      }
    });
  }

  private scheduleFlush(delay: number): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, delay);
  }

  private cancelFlushTimer(): void {
    this.flushTimer?.cancel();
    this.flushTimer = null;
  }

  private schedulePrune(delay: number): void {
    this.pruneTimer = this.clock.setTimeout(() => {
      this.pruneTimer = null;
      if (this.closed) return;
      try {
        const { deleted } = this.prune(this.clock.wallNow(), this.retentionMs);
        if (deleted > 0) this.logger.debug(`history store: pruned ${deleted} old rows`);
      } catch (err) {
        this.logger.warn(`history store: pruning old history failed: ${errorMessage(err)}`);
      }
      if (!this.closed) this.schedulePrune(this.pruneIntervalMs);
    }, delay);
  }

  private assertOpen(): void {
    if (this.closed) throw new VigilError('INTERNAL', 'the history store is closed');
  }

  /** Runs `fn` on the database; corruption found on the way is recovered from, then retried. */
  private withDb<T>(fn: () => T): T {
    this.assertOpen();
    try {
      return fn();
    } catch (err) {
      if (!isCorruptError(err)) throw err;
      this.recoverFromCorruption(err);
      return fn();
    }
  }

  /** Flushes, then runs a cached read statement. */
  private query<T>(sql: string, run: (s: Database.Statement) => T): T {
    this.assertOpen();
    this.flush();
    return this.withDb(() => {
      let stmt = this.readers.get(sql);
      if (!stmt) {
        stmt = this.db.prepare(sql);
        this.readers.set(sql, stmt);
      }
      return run(stmt);
    });
  }

  private maxRunId(): number {
    const row = this.db.prepare('SELECT max(id) AS id FROM runs').get() as { id: number | null };
    return row.id ?? 0;
  }

  private rawProbesFrom(): number {
    const row = this.query(
      SQL.getMeta,
      (s) => s.get(RAW_PROBES_FROM) as { value: string } | undefined,
    );
    return row ? Number(row.value) : Number.NEGATIVE_INFINITY;
  }

  /** Minute rollups with a start in `[from, to)`. */
  private rollups(sid: number, from: number, to: number): (HealthAcc & { minute: number })[] {
    if (!(to > from)) return [];
    return this.query(
      'SELECT minute, count, ok, failed, timed_out AS timedOut, latency_sum AS latencySum, ' +
        'latency_max AS latencyMax FROM probe_rollups WHERE service_id = ? AND minute >= ? AND minute < ?',
      (s) => s.all(sid, from, to) as (HealthAcc & { minute: number })[],
    );
  }

  private loadServiceIds(): void {
    const rows = this.withDb(
      () =>
        this.db.prepare('SELECT id, name FROM services').all() as { id: number; name: string }[],
    );
    this.serviceIds = new Map(rows.map((r) => [r.name, r.id]));
  }

  /** The service's number, or null when nothing was ever written for it. Flushes first. */
  private lookupService(name: string): number | null {
    this.assertOpen();
    this.flush();
    return this.serviceIds.get(name) ?? null;
  }

  private probeCounts(
    service: string,
    since: number,
    until: number,
  ): { count: number; failed: number } {
    const sid = this.lookupService(service);
    if (sid === null) return { count: 0, failed: 0 };
    const rawFrom = this.rawProbesFrom();
    const raw = this.query(
      'SELECT count(*) AS count, coalesce(sum(ok), 0) AS ok FROM probes ' +
        'WHERE service_id = ? AND ts >= ? AND ts <= ?',
      (s) => s.get(sid, Math.max(since, rawFrom), until) as { count: number; ok: number },
    );
    let count = raw.count;
    let failed = raw.count - raw.ok;
    for (const r of this.rollups(sid, since, Math.min(until, rawFrom))) {
      count += r.count;
      failed += r.failed;
    }
    return { count, failed };
  }

  private events<T extends Recorded>(
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
    const rows = this.query(sql, (s) => s.all(...args) as { payload: string }[]);
    return rows.map((r) => JSON.parse(r.payload) as T);
  }

  /**
   * The service's lifecycle and health changes plus run starts and ends, from the start of the
   * run that contains `since` (so the state at `since` is known) to `until`.
   */
  private timeline(service: string, since: number, until: number): TimelineItem[] {
    const start = this.query(
      'SELECT max(started_at) AS t FROM runs WHERE started_at <= ?',
      (s) => (s.get(since) as { t: number | null }).t,
    );
    const from = start ?? since;
    const items: { item: TimelineItem; order: number; seq: number }[] = [];
    const runs = this.query(
      'SELECT started_at, ended_at FROM runs WHERE started_at <= ? AND (ended_at IS NULL OR ended_at >= ?)',
      (s) => s.all(until, from) as { started_at: number; ended_at: number | null }[],
    );
    for (const r of runs) {
      items.push({ item: { kind: 'run_start', ts: r.started_at }, order: 0, seq: 0 });
      if (r.ended_at !== null)
        items.push({ item: { kind: 'run_end', ts: r.ended_at }, order: 2, seq: 0 });
    }
    const rows = this.query(
      'SELECT id, payload FROM events WHERE service = ? AND ts >= ? AND ts <= ? ' +
        "AND type IN ('service_event', 'health_update') ORDER BY ts, id",
      (s) => s.all(service, from, until) as { id: number; payload: string }[],
    );
    for (const row of rows) {
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
      items.push({ item, order: 1, seq: row.id });
    }
    items.sort((a, b) => a.item.ts - b.item.ts || a.order - b.order || a.seq - b.seq);
    return items.map((x) => x.item);
  }
}
