/**
 * The history database's schema, as an ordered list of migrations kept in code. The database's
 * `PRAGMA user_version` is the number of migrations applied; opening a database applies the missing
 * ones, each in its own transaction (the version bump commits with the DDL or not at all).
 *
 * Tables:
 * - `runs`: one row per `vigil up` of a stack. `how` is NULL while the run is live, then
 *   `stopped`, `emergency-shutdown`, `failed`, or `crashed` (set on the next open when a run never
 *   ended: Vigil was killed; its end is then `last_seen`, the newest time a flush wrote for it).
 * - `events`: lifecycle changes, health transitions (only those where the health changed),
 *   healing actions and system status updates: the event as JSON, plus indexed columns.
 *   `action` is the lifecycle `to` (service_event), the health `to` (health_update), the healing
 *   action (healing_event), or the system event name else the system state (status_update).
 * - `services`: a number for each service name, so the high-volume tables and their single
 *   (service, time) index stay small: one index per high-volume table keeps inserts fast.
 * - `probes`: every health-check result.
 * - `samples`: per-service CPU and memory samples.
 * - `probe_rollups`: per service per minute, kept up to date in the same transaction as the raw
 *   probe rows, so the raw rows can be deleted at retention while charts keep their shape.
 * - `meta`: key/value (`raw_probes_from`: the time before which raw probe rows were pruned).
 *
 * Times are epoch milliseconds. This module has no side effects other than on the database that
 * it is handed, and no dependency other than the better-sqlite3 type.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, events, probes, samples, probe rollups, meta',
    sql: `
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        stack_name TEXT NOT NULL,
        stack_file TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        how TEXT,
        last_seen INTEGER
      );
      CREATE INDEX runs_started_at ON runs(started_at);

      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        type TEXT NOT NULL,
        service TEXT,
        action TEXT,
        payload TEXT NOT NULL
      );
      CREATE INDEX events_service_type_ts ON events(service, type, ts);
      CREATE INDEX events_type_ts ON events(type, ts);

      CREATE TABLE services (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );

      CREATE TABLE probes (
        run_id INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        service_id INTEGER NOT NULL,
        generation INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        timed_out INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        probe TEXT NOT NULL,
        detail TEXT NOT NULL
      );
      CREATE INDEX probes_service_ts ON probes(service_id, ts);

      CREATE TABLE samples (
        run_id INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        service_id INTEGER NOT NULL,
        cpu REAL NOT NULL,
        rss INTEGER NOT NULL
      );
      CREATE INDEX samples_service_ts ON samples(service_id, ts);

      CREATE TABLE probe_rollups (
        service_id INTEGER NOT NULL,
        minute INTEGER NOT NULL,
        count INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        timed_out INTEGER NOT NULL,
        latency_sum REAL NOT NULL,
        latency_max REAL NOT NULL,
        PRIMARY KEY (service_id, minute)
      ) WITHOUT ROWID;

      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];

export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** Thrown when the database was written by a newer Vigil whose schema this one does not know. */
export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `the history database has schema version ${found}, this Vigil knows up to ${known}: ` +
        `it was written by a newer Vigil`,
    );
    this.name = 'SchemaTooNewError';
  }
}

/** Applies the missing migrations; returns the versions applied. */
export function migrate(db: Database.Database): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) throw new SchemaTooNewError(current, SCHEMA_VERSION);
  const applied: number[] = [];
  if (current === 0) {
    // Only takes effect on a database with no tables yet: lets prune() give pages back.
    db.pragma('auto_vacuum = INCREMENTAL');
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}

/** The statements the writer uses, exported so tools can write the same rows. */
export const SQL = {
  insertRun:
    'INSERT INTO runs (id, stack_name, stack_file, started_at, ended_at, how) VALUES (?, ?, ?, ?, NULL, NULL)',
  endRun: 'UPDATE runs SET ended_at = ?, how = ? WHERE id = ?',
  touchRun: 'UPDATE runs SET last_seen = max(coalesce(last_seen, 0), ?) WHERE id = ?',
  markCrashed:
    "UPDATE runs SET how = 'crashed', ended_at = coalesce(last_seen, started_at) WHERE ended_at IS NULL",
  insertEvent:
    'INSERT INTO events (run_id, ts, type, service, action, payload) VALUES (?, ?, ?, ?, ?, ?)',
  insertProbe:
    'INSERT INTO probes (run_id, ts, service_id, generation, ok, timed_out, latency_ms, probe, detail) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  insertSample: 'INSERT INTO samples (run_id, ts, service_id, cpu, rss) VALUES (?, ?, ?, ?, ?)',
  insertService: 'INSERT INTO services (name) VALUES (?)',
  upsertRollup:
    'INSERT INTO probe_rollups (service_id, minute, count, ok, failed, timed_out, latency_sum, latency_max) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (service_id, minute) DO UPDATE SET ' +
    'count = count + excluded.count, ok = ok + excluded.ok, failed = failed + excluded.failed, ' +
    'timed_out = timed_out + excluded.timed_out, latency_sum = latency_sum + excluded.latency_sum, ' +
    'latency_max = max(latency_max, excluded.latency_max)',
  setMeta:
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  getMeta: 'SELECT value FROM meta WHERE key = ?',
} as const;
