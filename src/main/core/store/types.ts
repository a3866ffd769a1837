/** Rows and results the history store's queries return. */
import type { ProbeType } from '../../../shared/model.js';

export type RunEnd = 'stopped' | 'emergency-shutdown' | 'failed';

export interface RunRow {
  readonly id: number;
  readonly stackName: string;
  readonly stackFile: string;
  readonly startedAt: number;
  /** Null while the run is live. */
  readonly endedAt: number | null;
  /** Null while the run is live; `crashed` when Vigil died without ending it. */
  readonly how: RunEnd | 'crashed' | null;
}

export interface ProbeRow {
  readonly runId: number;
  readonly ts: number;
  readonly service: string;
  readonly generation: number;
  readonly ok: boolean;
  readonly timedOut: boolean;
  readonly latencyMs: number;
  readonly probe: ProbeType;
  readonly detail: string;
}

/**
 * One point of a downsampled health chart: the probes whose time falls in
 * `[ts, ts + bucket width)`. `failed` counts every probe that was not ok (timeouts included);
 * `timedOut` is the part of `failed` that timed out. Latencies are null for an empty bucket.
 */
export interface HealthBucket {
  readonly ts: number;
  readonly count: number;
  readonly ok: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly latencyAvg: number | null;
  readonly latencyMax: number | null;
}

/** One point of a downsampled resource chart; values are null for an empty bucket. */
export interface ResourceBucket {
  readonly ts: number;
  readonly count: number;
  readonly cpuAvg: number | null;
  readonly cpuMax: number | null;
  readonly rssAvg: number | null;
  readonly rssMax: number | null;
}

/** See the definitions at the top of availability.ts. */
export interface ServiceStats {
  readonly uptimePct: number | null;
  readonly restarts: number;
  readonly mttrMs: number | null;
  readonly longestOutageMs: number;
  readonly outages: number;
  readonly quarantines: number;
  readonly breakerTrips: number;
  readonly probes: number;
  readonly probeFailures: number;
}

export interface TimeRange {
  readonly since?: number;
  readonly until?: number;
}

/**
 * Whether history is being saved:
 * - `ok`: written to the database file;
 * - `recovered`: written, to a new file: the previous one was corrupt and was moved aside (the
 *   history before that is in the moved file, not in this one);
 * - `degraded`: writes to the file are failing (disk full, read-only, locked, I/O errors); the
 *   newest records wait in memory and are retried, older ones are dropped and counted;
 * - `memory`: kept in memory only until Vigil exits (the file could not be opened or written).
 */
export type HistoryState = 'ok' | 'recovered' | 'degraded' | 'memory';

export interface HistoryStatus {
  readonly state: HistoryState;
  /** What is wrong or what happened, in a sentence; null when `ok`. */
  readonly message: string | null;
  /** Records lost since the store opened (see `HistoryStore.droppedRecords`). */
  readonly droppedRecords: number;
}
