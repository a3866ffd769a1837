/**
 * The restart ladder and its backoff delays (docs/adr/0003-healing-semantics.md). Pure.
 *
 * - Attempts 1–3: rung 1, `immediate` (kill hard and respawn).
 * - Attempts 4–5: rung 2, `graceful` (check dependencies, SIGTERM the group, wait, restart).
 * - Attempts 6+:  rung 3, `dependencies` (first restart dependencies that fail their own probe).
 *
 * The delay before attempt n is `backoffMs[n-1]` (the last entry repeats), multiplied by a jitter
 * factor in [1, 1 + jitter] drawn from `random()`, and never less than the previous delay of the
 * same streak, so delays are non-decreasing. With jitter 0 the delays are exactly the list.
 */

export type RestartRung = 1 | 2 | 3;
export type RestartMode = 'immediate' | 'graceful' | 'dependencies';

export function rungFor(attempt: number): RestartRung {
  if (attempt <= 3) return 1;
  if (attempt <= 5) return 2;
  return 3;
}

export function modeFor(rung: RestartRung): RestartMode {
  switch (rung) {
    case 1:
      return 'immediate';
    case 2:
      return 'graceful';
    case 3:
      return 'dependencies';
  }
}

/** The configured delay before `attempt` (1-based), before jitter. */
export function baseDelay(backoffMs: readonly number[], attempt: number): number {
  if (backoffMs.length === 0) return 0;
  const index = Math.min(Math.max(1, Math.floor(attempt)), backoffMs.length) - 1;
  const ms = backoffMs[index] ?? 0;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/**
 * The delay before `attempt`: the base delay times a factor in [1, 1 + jitter], rounded to whole
 * milliseconds, and at least `previousMs`. `random` should return a number in [0, 1); anything
 * else is clamped.
 */
export function backoffDelay(
  backoffMs: readonly number[],
  jitter: number,
  attempt: number,
  previousMs: number,
  random: () => number,
): number {
  const base = baseDelay(backoffMs, attempt);
  const j = Number.isFinite(jitter) ? Math.min(1, Math.max(0, jitter)) : 0;
  let factor = 1;
  if (j > 0 && base > 0) {
    const r = random();
    factor = 1 + j * (Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0);
  }
  const previous = Number.isFinite(previousMs) && previousMs > 0 ? previousMs : 0;
  return Math.max(Math.round(base * factor), previous);
}
