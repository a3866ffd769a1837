/**
 * The write side of the history store: what is queued (`Pending`, `RunOp`), the prepared insert
 * statements, and one batch written in one transaction (records, minute rollups of probe results,
 * the runs' last-seen times). The queue, the flush timer and the retries live in the facade
 * (history-store.ts), which calls `writeBatch` for each flush.
 */
import type Database from 'better-sqlite3';
import type {
  HealingEvent,
  HealthEvent,
  ServiceEvent,
  StatusEvent,
} from '../../../shared/events.js';
import { floorToMinute, type HealthAcc } from './buckets.js';
import { isCorruptError, isStorageError } from './open.js';
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
