/**
 * The decisions of file watching, pure functions of state and (monotonic) time:
 *
 * - a batch collects changed paths until the tree has been quiet for `debounce`, or for at most
 *   `maxWait` since its first change (a change that never stops still restarts now and then);
 * - a restart loop is a service whose own start keeps writing under its watched paths: several
 *   watch restarts in a row, each triggered by changes that began right after the previous one.
 */
import type { ChangedFiles } from '../../../shared/model.js';

/** Paths kept by name in a batch (and in a restart's reason); the rest are counted. */
export const KEEP_PATHS = 5;
/** A burst that goes on longer than this still fires (at least 5 s, or 10 × debounce). */
export function maxWaitMs(debounceMs: number): number {
  return Math.max(5_000, debounceMs * 10);
}

export interface Batch {
  /** The first few distinct paths, in order of arrival. */
  readonly paths: readonly string[];
  /** Distinct paths seen (exact up to `COUNT_EXACT`, then every change counts). */
  readonly count: number;
  readonly firstAtMono: number;
  readonly lastAtMono: number;
  /** Distinct-path tracking, bounded. */
  readonly seen: ReadonlySet<string>;
}

const COUNT_EXACT = 100_000;

export function addChanges(batch: Batch | null, paths: readonly string[], now: number): Batch {
  const seen = new Set(batch?.seen ?? []);
  const kept = [...(batch?.paths ?? [])];
  let count = batch?.count ?? 0;
  for (const p of paths) {
    if (seen.size < COUNT_EXACT) {
      if (seen.has(p)) continue;
      seen.add(p);
    }
    count += 1;
    if (kept.length < KEEP_PATHS) kept.push(p);
  }
  return {
    paths: kept,
    count,
    firstAtMono: batch?.firstAtMono ?? now,
    lastAtMono: now,
    seen,
  };
}

/** When the batch should fire: quiet for `debounce`, or `maxWait` after its first change. */
export function dueAt(batch: Batch, debounceMs: number): number {
  return Math.min(batch.lastAtMono + debounceMs, batch.firstAtMono + maxWaitMs(debounceMs));
}

export function changedFiles(batch: Batch): ChangedFiles {
  return { paths: batch.paths, count: batch.count };
}

/** "src/a.ts", "src/a.ts and src/b.ts", "src/a.ts, src/b.ts and 1 998 more". */
export function describeFiles(files: ChangedFiles): string {
  const shown = files.paths.slice(0, 3);
  const more = files.count - shown.length;
  if (more <= 0) {
    return shown.length <= 1
      ? (shown[0] ?? 'a file')
      : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
  }
  return `${shown.join(', ')} and ${more} more`;
}

// ─── loop detection ──────────────────────────────────────────────────────────────────────────

/** A watch restart whose changes began within this long after the previous one's start... */
export const LOOP_QUICK_MS = 2_000;
/** ...this many times in a row... */
export const LOOP_RESTARTS = 4;
/** ...all within this window, is a loop: the watch pauses for that service. */
export const LOOP_WINDOW_MS = 60_000;

export interface TriggerRecord {
  /** When the batch that triggered this restart saw its first change. */
  readonly firstChangeMono: number;
  /** When the restart was asked for (changes after this belong to the next batch). */
  readonly triggeredAtMono: number;
  /** When the restart (the new instance's spawn) finished. */
  readonly restartedAtMono: number;
}

/**
 * True when the last restarts look like the service restarting itself: the batch about to fire
 * and the `LOOP_RESTARTS - 1` before it each began while the previous watch restart was under way
 * or within `LOOP_QUICK_MS` after it, all inside the window.
 */
export function isLoop(
  history: readonly TriggerRecord[],
  nextFirstChangeMono: number,
  now: number,
): boolean {
  const recent = history.filter((h) => now - h.restartedAtMono <= LOOP_WINDOW_MS);
  if (recent.length < LOOP_RESTARTS) return false;
  const tail = recent.slice(-LOOP_RESTARTS);
  const starts = [...tail.map((t) => t.firstChangeMono).slice(1), nextFirstChangeMono];
  return tail.every((t, i) => {
    const began = starts[i]!;
    return began >= t.triggeredAtMono && began - t.restartedAtMono <= LOOP_QUICK_MS;
  });
}

/** Keeps the history bounded. */
export function remember(history: readonly TriggerRecord[], rec: TriggerRecord): TriggerRecord[] {
  return [...history, rec].slice(-(LOOP_RESTARTS + 1));
}
