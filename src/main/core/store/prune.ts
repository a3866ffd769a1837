/**
 * Pruning: deletes events, probes and samples older than the retention, and minute rollups older
 * than 4× that, in one transaction. Runs are kept. Probe rows are already in the rollups (written
 * with them), so charts of old ranges keep working from the rollups.
 */
import type Database from 'better-sqlite3';
import { floorToMinute } from './buckets.js';
import { RAW_PROBES_FROM } from './queries.js';
import { SQL } from './schema.js';

const EVENT_TYPES_STORED = [
  'service_event',
  'health_update',
  'healing_event',
  'status_update',
] as const;

/** Deletes what is older than `retentionMs` before `now`; returns the number of rows deleted. */
export function pruneRows(
  db: Database.Database,
  now: number,
  retentionMs: number,
  rawProbesFrom: number,
): number {
  const cutoff = floorToMinute(now - retentionMs);
  const rollupCutoff = floorToMinute(now - 4 * retentionMs);
  let n = 0;
  const probes = db.prepare('DELETE FROM probes WHERE service_id = ? AND ts < ?');
  const samples = db.prepare('DELETE FROM samples WHERE service_id = ? AND ts < ?');
  const rollups = db.prepare('DELETE FROM probe_rollups WHERE service_id = ? AND minute < ?');
  const events = db.prepare('DELETE FROM events WHERE type = ? AND ts < ?');
  const ids = (db.prepare('SELECT id FROM services').all() as { id: number }[]).map((r) => r.id);
  db.transaction(() => {
    // Per service and per type, so that each delete walks an index.
    for (const id of ids) {
      n += probes.run(id, cutoff).changes;
      n += samples.run(id, cutoff).changes;
      n += rollups.run(id, rollupCutoff).changes;
    }
    for (const type of EVENT_TYPES_STORED) n += events.run(type, cutoff).changes;
    if (cutoff > rawProbesFrom) {
      db.prepare(SQL.setMeta).run(RAW_PROBES_FROM, String(cutoff));
    }
  })();
  return n;
}
