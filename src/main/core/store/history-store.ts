/**
 * Over 500 lines: the facade documents and delegates every public method of the store; the work is
 * in write-pipeline.ts, queries.ts, prune.ts, recovery.ts and timeline-cache.ts.
 *
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
 *
 * This file is the facade: it holds the database handle and wires the parts together:
 * write-pipeline.ts (the queue, flushes and retries, one batch in one transaction), queries.ts (every read),
 * timeline-cache.ts (the uptime figures of a snapshot without a query per service), prune.ts
 * (retention), recovery.ts (corruption recovery and the status it leads to).
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
import { RESTART_ACTIONS } from '../../../shared/lifecycle.js';
import { DEFAULT_SETTINGS } from '../../../shared/model.js';
import type { Clock } from '../clock.js';
import { silentLogger, type Logger } from '../logger.js';
import { availabilityStats } from './availability.js';
import {
  errorMessage,
  isCorruptError,
  openHistoryDb,
  openMemoryDb,
  type OpenedDb,
} from './open.js';
import { pruneRows } from './prune.js';
import * as Q from './queries.js';

/** Health-check results and failures over a range. */
export interface ProbeCounts {
  readonly count: number;
  readonly failed: number;
}
import {
  degradedMessage,
  historyStatus,
  reopenAfterCorruption,
  statusKey,
  type StoreFacts,
} from './recovery.js';
import { TimelineCache } from './timeline-cache.js';
import type {
  HealthBucket,
  HistoryStatus,
  ProbeRow,
  ResourceBucket,
  RunRow,
  ServiceStats,
  TimeRange,
} from './types.js';
import {
  MAX_DETAIL_CHARS,
  prepareWriters,
  writeBatch,
  WritePipeline,
  type Pending,
  type RunOp,
  type StoreFaults,
  type Writers,
} from './write-pipeline.js';

export const DB_FILE = 'vigil.db';
export { RESTART_ACTIONS };
export { MAX_DETAIL_CHARS };
const FIRST_PRUNE_DELAY_MS = 60_000;
export type { StoreFaults };

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

const backgroundClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export class HistoryStore {
  readonly file: string;
  private db: Database.Database;
  private writers: Writers;
  private readonly readers = new Map<string, Database.Statement>();
  private readonly timelines = new TimelineCache();
  /** Service name -> number in the `services` table (committed rows only). */
  private serviceIds = new Map<string, number>();
  private nextRunId: number;
  private openProblem: string | null;
  private persistent: boolean;
  /** Where the last corrupt file was moved, if one was. */
  private movedAside: string | null;
  private readonly statusListeners = new Set<(s: HistoryStatus) => void>();
  private lastStatusKey: string;
  private statusCheckQueued = false;
  private recoveries = 0;
  private pruneTimer: { cancel(): void } | null = null;
  private closed = false;
  private readonly pipeline: WritePipeline;
  private retentionMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly pruneIntervalMs: number;
  private readonly dataDir: string;

  private constructor(dataDir: string, file: string, opened: OpenedDb, opts: HistoryStoreOptions) {
    this.dataDir = dataDir;
    this.file = file;
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? backgroundClock;
    const maxBatch = Math.max(1, opts.maxBatch ?? 5_000);
    this.pipeline = new WritePipeline(
      {
        file,
        write: (ops, items, tolerant) => this.write(ops, items, tolerant),
        recover: (err) => this.recoverFromCorruption(err),
        statusChanged: () => this.queueStatusCheck(),
        degraded: () => this.degraded,
      },
      {
        clock: this.clock,
        logger: this.logger,
        flushIntervalMs: Math.max(1, opts.flushIntervalMs ?? 200),
        maxBatch,
        maxQueue: opts.maxQueue ?? maxBatch * 10,
        faults: opts.faults,
      },
    );
    this.retentionMs = opts.retentionMs ?? DEFAULT_SETTINGS.retentionMs;
    this.pruneIntervalMs = Math.max(1_000, opts.pruneIntervalMs ?? 3_600_000);
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
    return degradedMessage(this.facts());
  }

  /** Whether history is being saved, and if not why (see HistoryState). Cheap: no I/O. */
  status(): HistoryStatus {
    return historyStatus(this.facts());
  }

  /** Uptime cache hits and misses (see timeline-cache.ts). */
  get timelineCacheStats(): { readonly hits: number; readonly misses: number } {
    return this.timelines.stats;
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
    return this.pipeline.droppedRecords;
  }

  /** Records waiting for the next flush. */
  get pendingRecords(): number {
    return this.pipeline.pendingRecords;
  }

  /** Retention for the hourly prune (the stack's `retention`). */
  setRetention(ms: number): void {
    if (Number.isFinite(ms) && ms > 0) this.retentionMs = ms;
  }

  beginRun(info: { stackName: string; stackFile: string; startedAt: number }): number {
    this.assertOpen();
    const op = { k: 'begin', id: this.nextRunId++, ...info } as const;
    this.pipeline.beginRun(op);
    return op.id;
  }

  endRun(
    runId: number,
    info: { endedAt: number; how: 'stopped' | 'emergency-shutdown' | 'failed' },
  ): void {
    this.assertOpen();
    this.pipeline.endRun(runId, info.endedAt, info.how);
  }

  /** Queues an event; log lines are not stored here (they live in log files). */
  record(runId: number, event: VigilEvent): void {
    if (this.closed) return;
    switch (event.type) {
      case 'log':
        return;
      case 'health_update':
        this.pipeline.enqueue({ k: 'probe', runId, e: event });
        if (event.from !== event.to) this.pipeline.enqueue({ k: 'event', runId, e: event });
        return;
      case 'service_event':
      case 'healing_event':
      case 'status_update':
        this.pipeline.enqueue({ k: 'event', runId, e: event });
        return;
    }
  }

  recordSample(
    runId: number,
    s: { service: string; ts: number; cpuPercent: number; rssBytes: number },
  ): void {
    if (this.closed) return;
    this.pipeline.enqueue({
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
    this.pipeline.flush();
  }

  /** Flushes and closes. Later records are ignored; queries throw. */
  close(): void {
    if (this.closed) return;
    const left = this.pipeline.close();
    if (left !== null) {
      this.logger.error(
        `history store: ${left} records could not be written to ${this.file} and are lost`,
      );
    }
    this.closed = true;
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
    return Q.runs(this.reader, limit);
  }

  /** Health-check results of one service, newest first (1 000 by default). */
  probes(service: string, opts: { limit?: number } & TimeRange = {}): ProbeRow[] {
    return Q.probes(this.reader, service, opts);
  }

  /** Downsampled health results; data older than the raw retention comes from minute rollups. */
  healthSeries(
    service: string,
    opts: { since: number; until: number; points: number },
  ): HealthBucket[] {
    return Q.healthSeries(this.reader, service, opts);
  }

  /** Downsampled CPU and memory samples. */
  resourceSeries(
    service: string,
    opts: { since: number; until: number; points: number },
  ): ResourceBucket[] {
    return Q.resourceSeries(this.reader, service, opts);
  }

  /** Healing events, newest first (1 000 by default). */
  healing(opts: { limit?: number; service?: string } & TimeRange = {}): HealingEvent[] {
    return Q.events<HealingEvent>(this.reader, 'healing_event', opts, 'DESC', 1_000);
  }

  /** Lifecycle changes, oldest first (10 000 by default). */
  serviceEvents(opts: { service?: string; limit?: number } & TimeRange = {}): ServiceEvent[] {
    return Q.events<ServiceEvent>(this.reader, 'service_event', opts, 'ASC', 10_000);
  }

  /** Health changes (the results where the health changed), oldest first (10 000 by default). */
  healthChanges(opts: { service?: string; limit?: number } & TimeRange = {}): HealthEvent[] {
    return Q.events<HealthEvent>(this.reader, 'health_update', opts, 'ASC', 10_000);
  }

  /** System status updates, oldest first (10 000 by default). */
  statusEvents(opts: { limit?: number } & TimeRange = {}): StatusEvent[] {
    return Q.events<StatusEvent>(this.reader, 'status_update', opts, 'ASC', 10_000);
  }

  /** Per-service figures over `[since, until]`; definitions in availability.ts. */
  serviceStats(service: string, opts: { since: number; until: number }): ServiceStats {
    this.flush();
    return Q.serviceStats(this.reader, service, opts, this.clock.wallNow(), this.cachedTimeline);
  }

  /** Health-check results and failures of one service over `[since, until]`. */
  probeCounts(service: string, opts: { since: number; until: number }): ProbeCounts {
    return Q.probeCounts(this.reader, service, opts.since, opts.until);
  }

  /** `probeCounts` of every service over `[since, until]` in two queries (for snapshots). */
  probeCountsAll(opts: { since: number; until: number }): Map<string, ProbeCounts> {
    this.assertOpen();
    this.flush();
    return Q.probeCountsAll(this.reader, opts.since, opts.until);
  }

  /**
   * Only the uptime percentage of `serviceStats` over `[since, until]`, from the cached timeline:
   * a snapshot asks it for every service, and a cache hit runs no query.
   */
  uptimePct(service: string, opts: { since: number; until: number }): number | null {
    const since = opts.since;
    if (!Number.isFinite(since) || !Number.isFinite(opts.until) || opts.until < since) {
      throw new VigilError(
        'BAD_REQUEST',
        `invalid time range: since ${since}, until ${opts.until}`,
        { field: 'since' },
      );
    }
    this.assertOpen();
    this.flush();
    const until = Math.min(opts.until, this.clock.wallNow());
    return availabilityStats(this.cachedTimeline(this.reader, service, since, until), since, until)
      .uptimePct;
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
    const rawFrom = Q.rawProbesFrom(this.reader);
    const deleted = this.withDb(() => pruneRows(this.db, now, retentionMs, rawFrom));
    this.timelines.invalidateAll();
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
    // What the timeline cache holds may change with this batch (even if it fails: no harm).
    if (ops.length > 0) this.timelines.invalidateAll();
    for (const it of items) {
      if (it.k === 'event' && (it.e.type === 'service_event' || it.e.type === 'health_update'))
        this.timelines.invalidateService(it.e.service);
    }
    try {
      writeBatch(this.db, w, ops, items, tolerant, serviceId, () => (skipped += 1));
    } catch (err) {
      // Rolled back: the numbers given to new services in it do not exist.
      for (const name of added) this.serviceIds.delete(name);
      throw err;
    }
    return skipped;
  }

  private recoverFromCorruption(err: unknown): void {
    this.recoveries += 1;
    try {
      this.db.close();
    } catch {
      // already unusable
    }
    this.readers.clear();
    this.timelines.invalidateAll();
    const opened = reopenAfterCorruption({
      err,
      recoveries: this.recoveries,
      dataDir: this.dataDir,
      file: this.file,
      logger: this.logger,
      now: () => this.clock.wallNow(),
    });
    this.db = opened.db;
    this.openProblem = opened.problem;
    this.persistent = opened.persistent;
    if (opened.movedAside) this.movedAside = opened.movedAside;
    this.writers = prepareWriters(this.db);
    this.serviceIds = new Map();
    this.queueStatusCheck();
    this.pipeline.rewriteOpenRuns();
  }

  private facts(): StoreFacts {
    return {
      file: this.file,
      persistent: this.persistent,
      openProblem: this.openProblem,
      writeProblem: this.pipeline.writeProblem,
      movedAside: this.movedAside,
      queued: this.pipeline.pendingRecords,
      droppedRecords: this.droppedRecords,
    };
  }

  private statusKey(): string {
    return statusKey(this.facts());
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

  /** What the queries need: flushed, corruption-recovering reads. */
  private readonly reader: Q.HistoryReader = {
    query: (sql, run) => this.query(sql, run),
    lookupService: (name) => this.lookupService(name),
  };

  private readonly cachedTimeline: Q.TimelineSource = (r, service, since, until) =>
    this.timelines.timeline(r, service, since, until);
}
