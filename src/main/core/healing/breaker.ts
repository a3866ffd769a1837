/**
 * The per-service circuit breaker (docs/adr/0003-healing-semantics.md). Pure transitions on a small record.
 *
 * closed --(threshold consecutive failures)--> open --(trial started)--> half-open
 * half-open --(healthy)--> closed          half-open --(failure)--> open again
 *
 * "Consecutive" means without a stable period in between: a failure count is cleared only by a
 * stable reset, a successful trial, a release or a manual restart, not by a single healthy probe
 * (otherwise a service that crashes a few seconds after each healthy start would never trip it).
 * While open, an automatic restart is allowed only at `nextTrialAt`; that restart is the trial.
 * A threshold below 1 disables the breaker (it never opens).
 */
import type { BreakerState, BreakerView } from '../../../shared/model.js';
import { formatDuration } from '../../../shared/duration.js';
import type { HealingNote } from './notes.js';

export interface BreakerModel {
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  /** Monotonic time the breaker last opened. */
  readonly openedAt: number | null;
  /** Monotonic time of the next half-open trial, while open. */
  readonly nextTrialAt: number | null;
  /** How many times the breaker has opened (re-opening after a failed trial counts). */
  readonly trips: number;
  /** Why it opened: the message of the failure that tripped it. */
  readonly reason: string | null;
}

export const closedBreaker: BreakerModel = {
  state: 'closed',
  consecutiveFailures: 0,
  openedAt: null,
  nextTrialAt: null,
  trips: 0,
  reason: null,
};

export interface BreakerConfig {
  readonly threshold: number;
  readonly resetAfterMs: number;
}

export interface BreakerStep {
  readonly breaker: BreakerModel;
  readonly notes: readonly HealingNote[];
}

function open(b: BreakerModel, cfg: BreakerConfig, reason: string, now: number): BreakerModel {
  return {
    state: 'open',
    consecutiveFailures: b.consecutiveFailures,
    openedAt: now,
    nextTrialAt: now + Math.max(0, cfg.resetAfterMs),
    trips: b.trips + 1,
    reason,
  };
}

/**
 * Records one failure: counts it, opens at the threshold, re-opens after a failed trial.
 * `final` says no trial will follow (the service is being quarantined or given up): the
 * transition is the same, the note just does not announce a next trial.
 */
export function breakerOnFailure(
  b: BreakerModel,
  cfg: BreakerConfig,
  reason: string,
  now: number,
  final = false,
): BreakerStep {
  const counted: BreakerModel = { ...b, consecutiveFailures: b.consecutiveFailures + 1 };
  if (cfg.threshold < 1) return { breaker: counted, notes: [] };
  const next = final ? '' : `; next trial in ${formatDuration(Math.max(0, cfg.resetAfterMs))}`;
  switch (b.state) {
    case 'closed': {
      if (counted.consecutiveFailures < cfg.threshold) return { breaker: counted, notes: [] };
      return {
        breaker: open(counted, cfg, reason, now),
        notes: [
          {
            action: 'breaker_open',
            message: `circuit breaker opened after ${counted.consecutiveFailures} consecutive failures (${reason})${next}`,
          },
        ],
      };
    }
    case 'half-open':
      return {
        breaker: open(counted, cfg, reason, now),
        notes: [
          {
            action: 'breaker_open',
            message: `circuit breaker trial failed (${reason}); open again${next}`,
          },
        ],
      };
    case 'open': {
      // A failure while open: the trial was started without being reported. Once the trial time
      // has come, treat it as the failed trial; before that, only count it.
      if (b.nextTrialAt !== null && now < b.nextTrialAt) return { breaker: counted, notes: [] };
      return {
        breaker: open(counted, cfg, reason, now),
        notes: [
          {
            action: 'breaker_open',
            message: `circuit breaker trial failed (${reason}); open again${next}`,
          },
        ],
      };
    }
  }
}

/** The supervisor started the trial restart: open -> half-open. */
export function breakerOnTrialStarted(b: BreakerModel): BreakerStep {
  if (b.state !== 'open') return { breaker: b, notes: [] };
  return {
    breaker: { ...b, state: 'half-open', nextTrialAt: null },
    notes: [
      { action: 'breaker_half_open', message: 'circuit breaker half-open: trial restart started' },
    ],
  };
}

/** The service proved healthy: a half-open (or open) breaker closes and its failures clear. */
export function breakerOnSuccess(b: BreakerModel): BreakerStep {
  if (b.state === 'closed') return { breaker: b, notes: [] };
  return {
    breaker: { ...closedBreaker, trips: b.trips },
    notes: [{ action: 'breaker_closed', message: 'circuit breaker closed: service is healthy' }],
  };
}

/** Closed with no failures, keeping the trip count (stable reset, release, manual restart). */
export function resetBreaker(b: BreakerModel): BreakerModel {
  if (b.state === 'closed' && b.consecutiveFailures === 0 && b.reason === null) return b;
  return { ...closedBreaker, trips: b.trips };
}

/** `trialsPlanned` false (quarantined, given up) hides the next trial time: none will happen. */
export function viewOfBreaker(
  b: BreakerModel,
  monoToWall: (mono: number) => number,
  trialsPlanned = true,
): BreakerView {
  const showTrial = trialsPlanned && b.state === 'open' && b.nextTrialAt !== null;
  return {
    state: b.state,
    failures: b.consecutiveFailures,
    reason: b.reason,
    nextTrialAt: showTrial && b.nextTrialAt !== null ? monoToWall(b.nextTrialAt) : null,
    trips: b.trips,
  };
}
