/**
 * The write side of the history store: what is queued (`Pending`, `RunOp`), the prepared insert
 * statements, and one batch written in one transaction (records, minute rollups of probe results,
 * the runs' last-seen times). The queue, the flush timer
 * and the retries are `WritePipeline`; the store (history-store.ts) gives it `writeBatch` to call.
 */
import type Database from 'better-sqlite3';
import type {
  HealingEvent,
  HealthEvent,
  ServiceEvent,
  StatusEvent,
} from '../../../shared/events.js';
import { floorToMinute, type HealthAcc } from './buckets.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { describeStorageError, errorMessage, isCorruptError, isStorageError } from './open.js';
import { BoundedQueue } from './queue.js';
import { SQL } from './schema.js';
import type { RunEnd } from './types.js';

/** Longer probe details are cut to this many characters. */
export const MAX_DETAIL_CHARS = 2_000;

export type Recorded = ServiceEvent | HealthEvent | HealingEvent | StatusEvent;

export type Pending =
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

export type RunOp =
  | {
      readonly k: 'begin';
      readonly id: number;
      readonly stackName: string;
      readonly stackFile: string;
      readonly startedAt: number;
    }
  | { readonly k: 'end'; readonly id: number; readonly endedAt: number; readonly how: RunEnd };

export interface Writers {
  readonly insertRun: Database.Statement;
  readonly endRun: Database.Statement;
  readonly touchRun: Database.Statement;
  readonly insertEvent: Database.Statement;
  readonly insertProbe: Database.Statement;
  readonly insertSample: Database.Statement;
  readonly upsertRollup: Database.Statement;
  readonly insertService: Database.Statement;
}

export function prepareWriters(db: Database.Database): Writers {
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

export function eventAction(e: Recorded): string {
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

export type RollupAccs = Map<string, HealthAcc & { serviceId: number; minute: number }>;

/** Writes one record; returns its time. Probe results are also added to the minute rollups. */
export function writeItem(
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

/**
 * Writes run changes and records in one transaction. `tolerant` skips (calling `skip`) the
 * records that fail on their own instead of failing the whole batch; storage and corruption
 * errors always fail it.
 */
export function writeBatch(
  db: Database.Database,
  w: Writers,
  ops: readonly RunOp[],
  items: readonly Pending[],
  tolerant: boolean,
  serviceId: (name: string) => number,
  skip: () => void,
): void {
  db.transaction(() => {
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

/** What the pipeline needs of the store it writes to. */
export interface PipelineTarget {
  readonly file: string;
  /** Writes one batch (see `writeBatch`); returns the records skipped when `tolerant`. */
  write(ops: readonly RunOp[], items: readonly Pending[], tolerant: boolean): number;
  /** The file is corrupt: replace it. The pipeline writes again at once. */
  recover(err: unknown): void;
  /** The store's status may have changed (a write failing, writes resuming). */
  statusChanged(): void;
  /** The sentence to log when writes start failing. */
  degraded(): string | null;
}

export interface PipelineOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly flushIntervalMs: number;
  readonly maxBatch: number;
  readonly maxQueue: number;
  readonly faults?: StoreFaults | undefined;
}

/** Test seam: lets a test make the disk fail. */
export interface StoreFaults {
  /** Called inside every flush before anything is written; throw to fail the flush. */
  beforeFlush?(): void;
}

const MAX_RETRY_DELAY_MS = 5_000;

type BeginOp = Extract<RunOp, { k: 'begin' }>;

/**
 * The write pipeline: records and run changes wait in a bounded queue and are written in one
 * transaction every `flushIntervalMs`, or at once when `maxBatch` records wait. A failing disk
 * keeps the newest records (dropping and counting the oldest) and retries with backoff; a record
 * that cannot be written on its own is skipped and counted; corruption is handed to the store.
 */
export class WritePipeline {
  private readonly queue: BoundedQueue<Pending>;
  private readonly runOps: RunOp[] = [];
  private readonly openRuns = new Map<number, BeginOp>();
  private problem: string | null = null;
  private failures = 0;
  private lost = 0;
  private flushTimer: { cancel(): void } | null = null;
  private closed = false;

  constructor(
    private readonly target: PipelineTarget,
    private readonly opts: PipelineOptions,
  ) {
    this.queue = new BoundedQueue(Math.max(opts.maxBatch, opts.maxQueue));
  }

  /** The disk error writes currently fail with, or null. */
  get writeProblem(): string | null {
    return this.problem;
  }

  /** Records lost: dropped from a full queue, or in a batch that could not be written at all. */
  get droppedRecords(): number {
    return this.queue.dropped + this.lost;
  }

  /** Records waiting for the next flush. */
  get pendingRecords(): number {
    return this.queue.length;
  }

  beginRun(op: BeginOp): void {
    this.openRuns.set(op.id, op);
    this.runOps.push(op);
    this.flush();
  }

  endRun(runId: number, endedAt: number, how: RunEnd): void {
    this.openRuns.delete(runId);
    this.runOps.push({ k: 'end', id: runId, endedAt, how });
    this.flush();
  }

  enqueue(item: Pending): void {
    if (this.closed) return;
    this.queue.push(item);
    if (this.problem === null && this.queue.length >= this.opts.maxBatch) this.flush();
    else this.scheduleFlush(this.opts.flushIntervalMs);
  }

  /** Writes everything queued now, in one transaction. Never throws. */
  flush(): void {
    if (this.closed) return;
    this.cancelFlushTimer();
    if (this.queue.length === 0 && this.runOps.length === 0) return;
    const items = this.queue.toArray();
    const ops = this.runOps.slice();
    try {
      this.opts.faults?.beforeFlush?.();
      this.target.write(ops, items, false);
    } catch (err) {
      this.onWriteError(err, ops.length, items.length);
      return;
    }
    this.queue.clear();
    this.runOps.splice(0, ops.length);
    if (this.problem) {
      this.opts.logger.info(
        `history store: writing to ${this.target.file} again (${this.droppedRecords} records were dropped)`,
      );
      this.problem = null;
      this.failures = 0;
      this.target.statusChanged();
    }
  }

  /**
   * Flushes a last time and stops; later records are ignored. Returns the records that could not
   * be written, or null when everything was.
   */
  close(): number | null {
    if (this.closed) return null;
    this.flush();
    const left = this.queue.length > 0 || this.runOps.length > 0 ? this.queue.length : null;
    this.closed = true;
    this.cancelFlushTimer();
    return left;
  }

  /** After the file was replaced: the live runs' rows were in the old one, write them again. */
  rewriteOpenRuns(): void {
    const pending = new Set(this.runOps.filter((o) => o.k === 'begin').map((o) => o.id));
    for (const run of this.openRuns.values()) if (!pending.has(run.id)) this.runOps.unshift(run);
  }

  private onWriteError(err: unknown, ops: number, items: number): void {
    if (isCorruptError(err)) {
      this.target.recover(err);
      this.scheduleFlush(0);
      return;
    }
    if (isStorageError(err)) {
      this.failures += 1;
      const first = this.problem === null;
      this.problem = describeStorageError(err);
      if (first) this.opts.logger.error(this.target.degraded() ?? this.problem);
      const delay = Math.min(
        MAX_RETRY_DELAY_MS,
        this.opts.flushIntervalMs * 2 ** Math.min(10, this.failures),
      );
      this.scheduleFlush(delay);
      this.target.statusChanged();
      return;
    }
    // Not the disk: some record cannot be written. Write the others, skipping the bad ones;
    // retrying the same batch would fail the same way forever.
    let skipped = items + ops;
    try {
      skipped = this.target.write(this.runOps.slice(0, ops), this.queue.toArray(), true);
    } catch (again) {
      if (isStorageError(again) || isCorruptError(again)) {
        this.onWriteError(again, ops, items);
        return;
      }
    }
    this.lost += skipped;
    this.queue.clear();
    this.runOps.splice(0, ops);
    this.opts.logger.error(
      `history store: ${skipped} of ${items + ops} records could not be written and were dropped: ${errorMessage(err)}`,
    );
  }

  private scheduleFlush(delay: number): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = this.opts.clock.setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, delay);
  }

  private cancelFlushTimer(): void {
    this.flushTimer?.cancel();
    this.flushTimer = null;
  }
}
