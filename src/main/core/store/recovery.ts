/**
 * Corruption recovery and status of the history store. A corrupt file is moved aside and a new
 * one started (after the third time in one run, history stays in memory instead); `historyStatus`
 * says which state the store is in and why, from the facts the facade keeps. Pure apart from
 * `reopenAfterCorruption`, which opens the new database.
 */
import path from 'node:path';
import type { Logger } from '../logger.js';
import { errorMessage, openHistoryDb, openMemoryDb, type OpenedDb } from './open.js';
import type { HistoryStatus } from './types.js';

/** Recoveries in one run after which history is kept in memory only. */
const MAX_RECOVERIES = 3;

/** The database to use after `file` was found corrupt (the `recoveries`-th time). */
export function reopenAfterCorruption(o: {
  readonly err: unknown;
  readonly recoveries: number;
  readonly dataDir: string;
  readonly file: string;
  readonly logger: Logger;
  readonly now: () => number;
}): OpenedDb {
  o.logger.error(
    `history database ${o.file} is corrupt (${errorMessage(o.err)}): moving it aside and starting a new one`,
  );
  const opened: OpenedDb =
    o.recoveries > MAX_RECOVERIES || !o.dataDir
      ? {
          db: openMemoryDb(),
          persistent: false,
          problem: `history is not being saved (kept in memory until Vigil exits): ${o.file} keeps getting corrupted`,
          movedAside: null,
        }
      : openHistoryDb(o.dataDir, o.file, {
          logger: o.logger,
          now: o.now,
          discardExisting: true,
        });
  if (opened.movedAside)
    o.logger.error(`history store: the corrupt file is now ${opened.movedAside}`);
  return opened;
}

/** What the facade knows about where history goes. */
export interface StoreFacts {
  readonly file: string;
  readonly persistent: boolean;
  /** Why the file could not be opened (history in memory), or null. */
  readonly openProblem: string | null;
  /** The disk error writes currently fail with, or null. */
  readonly writeProblem: string | null;
  /** Where the last corrupt file was moved, or null. */
  readonly movedAside: string | null;
  readonly queued: number;
  readonly droppedRecords: number;
}

/** Why history is not being persisted, or null when it is. */
export function degradedMessage(f: StoreFacts): string | null {
  if (f.openProblem) return f.openProblem;
  if (f.writeProblem) {
    return (
      `history is not being saved: ${f.writeProblem} writing ${f.file}; keeping the newest ` +
      `${f.queued} records in memory and retrying (${f.droppedRecords} dropped so far)`
    );
  }
  return null;
}

/** Whether history is being saved, and if not why (see HistoryState). */
export function historyStatus(f: StoreFacts): HistoryStatus {
  const droppedRecords = f.droppedRecords;
  if (!f.persistent) {
    return {
      state: 'memory',
      message:
        f.openProblem ??
        'history is kept in memory only (no database file): it is lost when Vigil exits',
      droppedRecords,
    };
  }
  if (f.writeProblem) return { state: 'degraded', message: degradedMessage(f), droppedRecords };
  if (f.movedAside) {
    return {
      state: 'recovered',
      message:
        `the history database was corrupt: it was moved to ${path.basename(f.movedAside)} ` +
        `and a new ${path.basename(f.file)} started (the earlier history is in the moved file)`,
      droppedRecords,
    };
  }
  return { state: 'ok', message: null, droppedRecords };
}

/** What a change of status is: the state and its cause, not the counts in the message. */
export function statusKey(f: StoreFacts): string {
  const s = historyStatus(f);
  const cause =
    s.state === 'degraded' ? f.writeProblem : s.state === 'recovered' ? f.movedAside : s.message;
  return `${s.state}\n${cause ?? ''}`;
}
