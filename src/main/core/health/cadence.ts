/**
 * Probe timers that wake the supervisor together.
 *
 * A hundred services checked every 5 s are twenty checks a second; scheduled each on its own, each
 * check wakes the process on its own, and on a small machine the wake-ups (timer, event loop turn,
 * the check's socket events, the result's handling) cost more than the checks. The cadence moves
 * each long delay to the nearest point of a shared grid, so that the checks due within the same
 * slot run in one wake-up: at 5 s, a slot of 1 s turns twenty wake-ups a second into one.
 *
 * - Only delays of at least `MIN_COALESCED_MS` move: the fast cadence of a starting service (the
 *   `start_interval`) and retries stay exact, so recovery is seen as soon as before.
 * - The slot is a fifth of the delay, rounded down to a step of `SLOT_STEPS_MS` (at most 1 s), and
 *   the delay moves by at most half a slot either way: on average the interval is unchanged, and
 *   no delay is shortened or lengthened by more than a tenth.
 * - Every slot size divides 1 s, so checks of different intervals share wake-ups too.
 */
import type { Clock, TimerHandle } from '../clock.js';

/** Delays shorter than this run exactly as asked. */
export const MIN_COALESCED_MS = 1000;

/** Slot sizes, largest first; each divides 1 000 ms, so the grids of different slots line up. */
const SLOT_STEPS_MS = [1000, 500, 250, 200, 100] as const;

/** The slot a delay of `ms` is moved onto, or 0 when it is kept exact. */
export function slotFor(ms: number): number {
  if (!(ms >= MIN_COALESCED_MS)) return 0;
  const wanted = ms / 5;
  for (const step of SLOT_STEPS_MS) if (step <= wanted) return step;
  return 0;
}

interface Bucket {
  readonly handle: TimerHandle;
  readonly fns: Set<() => void>;
}

export class Cadence {
  private readonly buckets = new Map<number, Bucket>();

  constructor(private readonly clock: Clock) {}

  /** Number of shared wake-ups pending (for tests and diagnostics). */
  get pendingSlots(): number {
    return this.buckets.size;
  }

  /** Runs `fn` after about `ms` (see the module comment for how far about). */
  after(ms: number, fn: () => void): TimerHandle {
    const slot = slotFor(ms);
    if (slot === 0) return this.clock.setTimeout(fn, ms);
    const now = this.clock.now();
    let at = Math.round((now + ms) / slot) * slot;
    if (at <= now) at += slot;
    let bucket = this.buckets.get(at);
    if (!bucket) {
      const fns = new Set<() => void>();
      const handle = this.clock.setTimeout(() => this.fire(at), at - now);
      bucket = { handle, fns };
      this.buckets.set(at, bucket);
    }
    // A wrapper of its own, so that the same function scheduled twice is two timers.
    const entry = (): void => fn();
    const fns = bucket.fns;
    fns.add(entry);
    return {
      cancel: () => {
        if (!fns.delete(entry) || fns.size > 0) return;
        const current = this.buckets.get(at);
        if (current?.fns === fns) {
          current.handle.cancel();
          this.buckets.delete(at);
        }
      },
    };
  }

  private fire(at: number): void {
    const bucket = this.buckets.get(at);
    if (!bucket) return;
    this.buckets.delete(at);
    let failure: { err: unknown } | null = null;
    // Each in turn; one that throws does not keep the others from running.
    for (const fn of bucket.fns) {
      try {
        fn();
      } catch (err) {
        failure ??= { err };
      }
    }
    bucket.fns.clear();
    if (failure) throw failure.err;
  }
}
