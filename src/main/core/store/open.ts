/**
 * Opening the history database so that Vigil always gets one:
 * - a healthy file: WAL, `synchronous=NORMAL`, migrations applied;
 * - a corrupt file (garbage, truncated, failing `quick_check`): moved aside with its -wal/-shm to
 *   `vigil.db.corrupt-<timestamp>`, an error logged, a fresh database created;
 * - a file or directory that cannot be opened or written (read-only, not a directory, written by a
 *   newer Vigil): an in-memory database, and a `problem` sentence saying why history is not saved.
 * Never throws.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { databaseOptions } from './binding.js';
import type { Logger } from '../logger.js';
import { migrate, SchemaTooNewError, SQL } from './schema.js';

/** Files up to this size get a full `quick_check` when opened; larger ones are checked lazily. */
const QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024;

export interface OpenedDb {
  readonly db: Database.Database;
  /** False for the in-memory fallback. */
  readonly persistent: boolean;
  /** Why history is not being saved to the file, or null. */
  readonly problem: string | null;
  /** Where a corrupt file was moved, if one was. */
  readonly movedAside: string | null;
}

class CorruptDatabaseError extends Error {
  readonly code = 'SQLITE_CORRUPT';
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isCorruptError(err: unknown): boolean {
  const code = errorCode(err);
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}

/** Errors of the storage itself (full, read-only, I/O, busy): worth retrying later. */
export function isStorageError(err: unknown): boolean {
  const code = errorCode(err);
  return (
    code === 'SQLITE_FULL' ||
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_BUSY') ||
    code.startsWith('SQLITE_LOCKED') ||
    code === 'SQLITE_PERM' ||
    code === 'ENOSPC' ||
    code === 'EROFS' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EIO'
  );
}

/** A sentence for a storage error: "the disk is full (SQLITE_FULL)". */
export function describeStorageError(err: unknown): string {
  const code = errorCode(err);
  const what =
    code === 'SQLITE_FULL' || code === 'ENOSPC'
      ? 'the disk is full'
      : code.startsWith('SQLITE_READONLY') || code === 'EROFS'
        ? 'the database became read-only'
        : code.startsWith('SQLITE_IOERR') || code === 'EIO'
          ? 'a disk I/O error occurred'
          : code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
            ? 'the database is locked by another process'
            : errorMessage(err);
  return code ? `${what} (${code})` : what;
}

function configure(db: Database.Database, logger: Logger, file: string): void {
  db.pragma('busy_timeout = 5000');
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal' && mode !== 'memory') {
    logger.warn(
      `history database ${file}: WAL is not available here (journal mode ${String(mode)})`,
    );
  }
  db.pragma('synchronous = NORMAL');
}

function check(db: Database.Database, file: string): void {
  let size = 0;
  try {
    size = fs.statSync(file).size;
  } catch {
    // a new file
  }
  if (size <= QUICK_CHECK_MAX_BYTES) {
    const result = db.pragma('quick_check(1)', { simple: true });
    if (result !== 'ok') throw new CorruptDatabaseError(`quick_check: ${String(result)}`);
  } else {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  }
}

function openFile(file: string, logger: Logger): Database.Database {
  const db = new Database(file, databaseOptions());
  try {
    configure(db, logger, file);
    check(db, file);
    migrate(db);
    db.prepare(SQL.markCrashed).run();
    return db;
  } catch (err) {
    try {
      db.close();
    } catch {
      // already unusable
    }
    throw err;
  }
}

export function openMemoryDb(): Database.Database {
  const db = new Database(':memory:', databaseOptions());
  migrate(db);
  return db;
}

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[:.]/g, '-');
}

/** Renames the file and its -wal/-shm to `<file>.corrupt-<timestamp>`; returns the new name. */
export function moveAside(file: string, now: number): string {
  let target = `${file}.corrupt-${stamp(now)}`;
  for (let i = 1; fs.existsSync(target) && i < 100; i++)
    target = `${file}.corrupt-${stamp(now)}-${i}`;
  for (const suffix of ['-wal', '-shm', '']) {
    if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, target + suffix);
  }
  return target;
}

function memoryFallback(problem: string, logger: Logger, movedAside: string | null): OpenedDb {
  logger.error(problem);
  return { db: openMemoryDb(), persistent: false, problem, movedAside };
}

export interface OpenOptions {
  readonly logger: Logger;
  readonly now: () => number;
  /** Move the existing file aside first (it was found corrupt while in use). */
  readonly discardExisting?: boolean;
}

/** Opens `<dataDir>/vigil.db` (see the file header). */
export function openHistoryDb(dataDir: string, file: string, opts: OpenOptions): OpenedDb {
  const { logger } = opts;
  const inMemory = (why: string, movedAside: string | null = null): OpenedDb =>
    memoryFallback(
      `history is not being saved (kept in memory until Vigil exits): ${why}. ` +
        `Fix the permissions or free space, or choose another directory with --data-dir.`,
      logger,
      movedAside,
    );

  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    return inMemory(`cannot create the data directory ${dataDir}: ${errorMessage(err)}`);
  }
  if (!fs.statSync(dataDir, { throwIfNoEntry: false })?.isDirectory()) {
    return inMemory(`the data directory ${dataDir} is not a directory`);
  }

  let movedAside: string | null = null;
  if (opts.discardExisting) {
    try {
      movedAside = moveAside(file, opts.now());
    } catch (err) {
      return inMemory(`cannot move the corrupt database ${file} aside: ${errorMessage(err)}`);
    }
  }

  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return { db: openFile(file, logger), persistent: true, problem: null, movedAside };
    } catch (err) {
      if (err instanceof SchemaTooNewError) {
        return inMemory(`${file}: ${err.message}; use that Vigil or another --data-dir`);
      }
      if (isCorruptError(err) && attempt === 0) {
        try {
          movedAside = moveAside(file, opts.now());
        } catch (moveErr) {
          return inMemory(
            `${file} is corrupt (${errorMessage(err)}) and cannot be moved aside: ${errorMessage(moveErr)}`,
          );
        }
        logger.error(
          `history database ${file} is corrupt (${errorMessage(err)}): moved it to ` +
            `${path.basename(movedAside)} and started a new one`,
        );
        continue;
      }
      return inMemory(`cannot open ${file}: ${errorMessage(err)}`, movedAside);
    }
  }
  return inMemory(`cannot open ${file}`, movedAside);
}
