/**
 * Availability of one service over time, derived from its recorded events. Pure. Reports rely on
 * these definitions; change them only with the reports.
 *
 * At every moment a service is `up`, `down` or `off`:
 * - `up`: lifecycle `running` with health `healthy`, or lifecycle `completed` (a oneshot that
 *   exited 0).
 * - `down` starts at the first event that makes the service not healthy: a lifecycle change to
 *   `backoff`, `failed` or `quarantined`; a lifecycle change caused by a failure (reason `exit`
 *   with a non-zero or unknown code, `signal`, `probe`, `memory_limit`, `startup_timeout`,
 *   `spawn_error`, `port_in_use`); a health change to `unhealthy` or `timeout` (except while
 *   `starting`: a boot's failed checks are not an outage by themselves); or any lifecycle
 *   change away from `running` of an `up` service that is not a deliberate stop (e.g. `waiting`
 *   because a dependency fell). It lasts through restarts (`starting`, `running` with an unknown
 *   health) and ends at the next `up`.
 * - `off`: neither up nor down, and excluded from the uptime denominator: before a launched
 *   service first becomes healthy, after a deliberate stop (`stopping`/`stopped`/`pending` for a
 *   reason that is not a failure: manual stop, shutdown, config change, stack restart), and
 *   outside runs of Vigil (a run's start and end reset every service to `off`).
 * - Health `degraded` (failing, below the threshold) and `unknown` change nothing by themselves.
 *   Health belongs to one generation of the process: a lifecycle change out of `running` resets it
 *   to `unknown`, and health changes of an older generation are ignored.
 *
 * Over a window `[since, until]`:
 * - `uptimePct` = up time / (up time + down time) × 100, both clipped to the window; null when the
 *   service was neither up nor down in the window. The state at `since` is replayed from the
 *   events before it (from the start of the run that contains `since`).
 * - An outage is one continuous `down` stretch. `outages` counts those that started in the window
 *   or were still going at `since`.
 * - `longestOutageMs`: the longest of those, measured whole (from its real start, possibly before
 *   `since`, to its end, or to the end of the window when still going); 0 when there are none.
 * - `mttrMs`: mean duration (whole) of the outages that ended with the service `up` again inside
 *   the window; outages cut short by a deliberate stop or the end of a run are not recoveries.
 *   Null when nothing recovered in the window.
 */
import type { Health, Lifecycle, ReasonKind } from '../../../shared/model.js';
import { DOWN_LIFECYCLES, STOP_LIFECYCLES } from '../../../shared/lifecycle.js';

export type Availability = 'up' | 'down' | 'off';

export type TimelineItem =
  | { readonly kind: 'run_start'; readonly ts: number }
  | { readonly kind: 'run_end'; readonly ts: number }
  | {
      readonly kind: 'lifecycle';
      readonly ts: number;
      readonly to: Lifecycle;
      readonly reason: ReasonKind;
      readonly exitCode?: number | null;
      readonly generation: number;
    }
  | {
      readonly kind: 'health';
      readonly ts: number;
      readonly to: Health;
      readonly generation: number;
    };

export interface Outage {
  readonly start: number;
  /** Null while still going at the end of the timeline. */
  readonly end: number | null;
  /** True when it ended with the service up again. */
  readonly recovered: boolean;
}

export interface AvailabilityResult {
  readonly upMs: number;
  readonly downMs: number;
  /** Every outage of the replayed timeline, oldest first. */
  readonly outages: readonly Outage[];
}

export interface AvailabilityStats {
  readonly uptimePct: number | null;
  readonly mttrMs: number | null;
  readonly longestOutageMs: number;
  readonly outages: number;
}

const FAILURE_REASONS: ReadonlySet<ReasonKind> = new Set<ReasonKind>([
  'exit',
  'signal',
  'probe',
  'memory_limit',
  'startup_timeout',
  'spawn_error',
  'port_in_use',
]);

interface State {
  readonly lifecycle: Lifecycle;
  readonly health: Health;
  readonly generation: number;
  readonly availability: Availability;
}

const OFF: State = { lifecycle: 'pending', health: 'unknown', generation: 0, availability: 'off' };

function isFailure(item: TimelineItem): boolean {
  switch (item.kind) {
    case 'lifecycle':
      if (DOWN_LIFECYCLES.has(item.to)) return true;
      if (!FAILURE_REASONS.has(item.reason)) return false;
      return !(item.reason === 'exit' && item.exitCode === 0);
    case 'health':
      return item.to === 'unhealthy' || item.to === 'timeout';
    case 'run_start':
    case 'run_end':
      return false;
  }
}

/** The state after one timeline item. */
export function step(prev: State, item: TimelineItem): State {
  switch (item.kind) {
    case 'run_start':
    case 'run_end':
      return OFF;
    case 'health': {
      if (item.generation < prev.generation) return prev;
      const health = item.to;
      const lifecycle = prev.lifecycle;
      return {
        lifecycle,
        health,
        generation: item.generation,
        availability:
          lifecycle === 'completed' || (lifecycle === 'running' && health === 'healthy')
            ? 'up'
            : isFailure(item) && lifecycle !== 'starting'
              ? 'down'
              : prev.availability,
      };
    }
    case 'lifecycle': {
      const lifecycle = item.to;
      const health = lifecycle === 'running' ? prev.health : 'unknown';
      const generation = Math.max(prev.generation, item.generation);
      const availability: Availability =
        lifecycle === 'completed' || (lifecycle === 'running' && health === 'healthy')
          ? 'up'
          : isFailure(item)
            ? 'down'
            : STOP_LIFECYCLES.has(lifecycle)
              ? 'off'
              : prev.availability === 'up' && lifecycle !== 'running'
                ? 'down'
                : prev.availability;
      return { lifecycle, health, generation, availability };
    }
  }
}

export const initialAvailabilityState: State = OFF;

/**
 * Replays a timeline (sorted by time; items before `since` only set the starting state) and
 * measures up and down time inside `[since, until]`.
 */
export function replayAvailability(
  timeline: readonly TimelineItem[],
  since: number,
  until: number,
): AvailabilityResult {
  let state = OFF;
  let t = Number.NEGATIVE_INFINITY;
  let upMs = 0;
  let downMs = 0;
  const outages: Outage[] = [];
  let openOutage: number | null = null;

  const account = (from: number, to: number, a: Availability): void => {
    const lo = Math.max(from, since);
    const hi = Math.min(to, until);
    if (hi <= lo) return;
    if (a === 'up') upMs += hi - lo;
    else if (a === 'down') downMs += hi - lo;
  };

  for (const item of timeline) {
    if (item.ts > until) break;
    account(t, item.ts, state.availability);
    const next = step(state, item);
    if (state.availability !== 'down' && next.availability === 'down') openOutage = item.ts;
    if (state.availability === 'down' && next.availability !== 'down' && openOutage !== null) {
      outages.push({ start: openOutage, end: item.ts, recovered: next.availability === 'up' });
      openOutage = null;
    }
    state = next;
    t = item.ts;
  }
  account(t, until, state.availability);
  if (openOutage !== null) outages.push({ start: openOutage, end: null, recovered: false });
  return { upMs, downMs, outages };
}

/** The window's figures, from a replay (see the definitions at the top of this file). */
export function availabilityStats(
  timeline: readonly TimelineItem[],
  since: number,
  until: number,
): AvailabilityStats {
  const { upMs, downMs, outages } = replayAvailability(timeline, since, until);
  const inWindow = outages.filter(
    (o) => (o.start >= since && o.start <= until) || (o.start < since && (o.end ?? until) > since),
  );
  const recovered = outages.filter(
    (o) => o.recovered && o.end !== null && o.end >= since && o.end <= until,
  );
  const lengths = inWindow.map((o) => (o.end ?? until) - o.start);
  return {
    uptimePct: upMs + downMs > 0 ? (upMs / (upMs + downMs)) * 100 : null,
    mttrMs:
      recovered.length > 0
        ? recovered.reduce((sum, o) => sum + (o.end! - o.start), 0) / recovered.length
        : null,
    longestOutageMs: lengths.reduce((max, l) => Math.max(max, l), 0),
    outages: inWindow.length,
  };
}
