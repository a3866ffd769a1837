/**
 * The healing engine's decisions (docs/adr/0003-healing-semantics.md): a pure function of policy, state, event and monotonic
 * time. No timers, no I/O: the supervisor calls these functions, stores the returned state, and
 * carries out the decision (schedule the restart, run the reset, quarantine, ...). The notes are
 * side transitions (breaker opened, counter reset) for it to record as healing events.
 *
 * Rules
 * - What counts as a failure: restart policy `never` restarts nothing (`none`); `on-failure`
 *   ignores a clean exit (code 0) and restarts on a non-zero code, a signal, a failed start or
 *   unhealthy health; `always` restarts after any exit, a clean one included (it then counts as a
 *   failure for the counter and the breaker, so a process that keeps exiting still backs off).
 *   A oneshot that exits 0 is `complete` (and its counters reset); a non-zero exit is a failure.
 * - Ladder: restart attempt n uses rung 1 `immediate` for n = 1–3, rung 2 `graceful` for 4–5,
 *   rung 3 `dependencies` for 6+. After `maxAttempts` restart attempts, the next failure
 *   quarantines the service (recovery `restart`, `restart_with_reset`, `stack_restart`) or gives
 *   up (`degraded`: it stays down and the stack runs degraded).
 * - Backoff: delay before attempt n = backoffMs[n-1] (the last entry repeats) times a factor in
 *   [1, 1 + jitter], never less than the previous delay of the streak (see ladder.ts).
 * - Circuit breaker: every failure counts; at `threshold` consecutive failures it opens until
 *   now + resetAfterMs. While open, the restart waits for the trial time: delayMs =
 *   max(backoff delay, nextTrialAt - now) and the decision is marked `breakerTrial`. The supervisor
 *   calls `onTrialStarted` when it starts that restart (half-open); the trial's failure re-opens
 *   the breaker for another resetAfterMs, its first healthy probe (`onHealthy`) closes it.
 *   The backoff streak (`lastDelayMs`) tracks backoff delays only, not breaker waits.
 * - Recovery: `restart_with_reset` sets runReset on every restart when a reset command exists;
 *   `stack_restart` answers `stack_restart` with the same counting, delays and breaker gate.
 * - Stable reset: healthy without interruption for stableAfterMs => attempts, backoff and breaker
 *   failures go back to 0 (`onTick`; `nextStableResetAt` says when to call it). A failure or a
 *   health that leaves `healthy` (`onNotHealthy`) ends the healthy period, so a flapping service
 *   keeps climbing the ladder.
 * - Quarantine and give-up are sticky: further failures answer `none`. `release`, or a manual
 *   restart with `force`, clears them and resets the counters; a manual restart without force is
 *   refused while quarantined.
 * - Every function is total; calling it twice with the same input gives the same answer, and
 *   repeated healthy probes, ticks, releases or trial reports change nothing more.
 */
import type { BreakerView, Reason } from '../../../shared/model.js';
import { formatDuration } from '../../../shared/duration.js';
import {
  breakerOnFailure,
  breakerOnSuccess,
  breakerOnTrialStarted,
  closedBreaker,
  resetBreaker,
  viewOfBreaker,
  type BreakerModel,
} from './breaker.js';
import { backoffDelay, modeFor, rungFor, type RestartMode, type RestartRung } from './ladder.js';
import type { HealingNote } from './notes.js';
import type { HealingPolicy } from './policy.js';
import { refusesRestart } from '../../../shared/lifecycle.js';

export interface HealingState {
  /** Restart attempts since the last reset (stable run, release, manual restart). */
  readonly attempts: number;
  readonly breaker: BreakerModel;
  /** Set while quarantined; `at` is monotonic. */
  readonly quarantine: { readonly reason: string; readonly at: number } | null;
  /** Monotonic start of the current continuous healthy period. */
  readonly healthySince: number | null;
  /** The last backoff delay of the streak, to keep delays non-decreasing under jitter. */
  readonly lastDelayMs: number;
  /** Recovery `degraded` gave up: the service stays down. */
  readonly gaveUp: boolean;
}

export const initialHealingState: HealingState = {
  attempts: 0,
  breaker: closedBreaker,
  quarantine: null,
  healthySince: null,
  lastDelayMs: 0,
  gaveUp: false,
};

export type Failure =
  /** The process exited (any code). */
  | {
      readonly kind: 'exit';
      readonly code: number | null;
      readonly signal: string | null;
      readonly reason: Reason;
    }
  /** Spawn error, startup timeout, port in use. */
  | { readonly kind: 'start_failed'; readonly reason: Reason }
  /** Health became unhealthy or timed out. */
  | { readonly kind: 'unhealthy'; readonly reason: Reason };

export type Decision =
  | { readonly do: 'none'; readonly why: string }
  | { readonly do: 'complete' }
  | {
      readonly do: 'restart';
      readonly attempt: number;
      readonly maxAttempts: number;
      readonly rung: RestartRung;
      readonly delayMs: number;
      readonly mode: RestartMode;
      readonly runReset: boolean;
      readonly breakerTrial: boolean;
    }
  | { readonly do: 'quarantine'; readonly reason: string }
  | { readonly do: 'give_up'; readonly reason: string }
  | {
      readonly do: 'stack_restart';
      readonly attempt: number;
      readonly maxAttempts: number;
      readonly delayMs: number;
      readonly breakerTrial: boolean;
    };

export interface FailureOutcome {
  readonly state: HealingState;
  readonly decision: Decision;
  readonly notes: readonly HealingNote[];
}

export interface HealingStep {
  readonly state: HealingState;
  readonly notes: readonly HealingNote[];
}

function isCleanExit(f: Failure): boolean {
  return f.kind === 'exit' && f.code === 0 && f.signal === null;
}

/** attempts, backoff and breaker failures back to zero; quarantine and give-up cleared. */
function resetCounters(s: HealingState): HealingState {
  return {
    ...s,
    attempts: 0,
    lastDelayMs: 0,
    breaker: resetBreaker(s.breaker),
    quarantine: null,
    gaveUp: false,
  };
}

function isDirty(s: HealingState): boolean {
  return (
    s.attempts > 0 ||
    s.lastDelayMs > 0 ||
    s.breaker.consecutiveFailures > 0 ||
    s.breaker.state !== 'closed'
  );
}

/** Decides what to do about a failure of the current instance. */
export function onFailure(
  p: HealingPolicy,
  s: HealingState,
  f: Failure,
  now: number,
  random: () => number,
): FailureOutcome {
  const ended: HealingState = s.healthySince === null ? s : { ...s, healthySince: null };
  if (s.quarantine !== null) {
    return {
      state: ended,
      decision: { do: 'none', why: `quarantined (${s.quarantine.reason}): no automatic restart` },
      notes: [],
    };
  }
  if (s.gaveUp) {
    return {
      state: ended,
      decision: { do: 'none', why: 'recovery gave up: the service stays down' },
      notes: [],
    };
  }
  if (p.oneshot && isCleanExit(f)) {
    const success = breakerOnSuccess(s.breaker);
    return {
      state: resetCounters({ ...ended, breaker: success.breaker }),
      decision: { do: 'complete' },
      notes: success.notes,
    };
  }
  if (p.restartPolicy === 'never') {
    return {
      state: ended,
      decision: { do: 'none', why: `restart policy is never (${f.reason.message})` },
      notes: [],
    };
  }
  if (p.restartPolicy === 'on-failure' && isCleanExit(f)) {
    return {
      state: ended,
      decision: { do: 'none', why: 'exited with code 0 and restart policy is on-failure' },
      notes: [],
    };
  }

  const message = f.reason.message;
  const exhausted = s.attempts >= p.maxAttempts;
  const step = breakerOnFailure(s.breaker, p.breaker, message, now, exhausted);
  const counted: HealingState = { ...ended, breaker: step.breaker };

  if (exhausted) {
    const reason = `gave up after ${s.attempts} restart attempt${s.attempts === 1 ? '' : 's'}; last failure: ${message}`;
    if (p.recovery === 'degraded') {
      return {
        state: { ...counted, gaveUp: true },
        decision: { do: 'give_up', reason },
        notes: step.notes,
      };
    }
    return {
      state: { ...counted, quarantine: { reason, at: now } },
      decision: { do: 'quarantine', reason },
      notes: step.notes,
    };
  }

  const attempt = s.attempts + 1;
  const backoff = backoffDelay(p.backoffMs, p.jitter, attempt, s.lastDelayMs, random);
  const b = step.breaker;
  const breakerTrial = b.state === 'open';
  const gate = breakerTrial && b.nextTrialAt !== null ? Math.max(0, b.nextTrialAt - now) : 0;
  const delayMs = Math.max(backoff, gate);
  const state: HealingState = { ...counted, attempts: attempt, lastDelayMs: backoff };

  if (p.recovery === 'stack_restart') {
    return {
      state,
      decision: {
        do: 'stack_restart',
        attempt,
        maxAttempts: p.maxAttempts,
        delayMs,
        breakerTrial,
      },
      notes: step.notes,
    };
  }
  const rung = rungFor(attempt);
  return {
    state,
    decision: {
      do: 'restart',
      attempt,
      maxAttempts: p.maxAttempts,
      rung,
      delayMs,
      mode: modeFor(rung),
      runReset: p.recovery === 'restart_with_reset' && p.hasReset,
      breakerTrial,
    },
    notes: step.notes,
  };
}

/** Call on every healthy probe result: starts the healthy period, closes a breaker on trial. */
export function onHealthy(_p: HealingPolicy, s: HealingState, now: number): HealingStep {
  if (s.quarantine !== null || s.gaveUp) return { state: s, notes: [] };
  const success = breakerOnSuccess(s.breaker);
  if (s.healthySince !== null && success.breaker === s.breaker) return { state: s, notes: [] };
  return {
    state: { ...s, healthySince: s.healthySince ?? now, breaker: success.breaker },
    notes: success.notes,
  };
}

/** Health left `healthy` (degraded, unhealthy, timeout, unknown): the healthy period ends. */
export function onNotHealthy(_p: HealingPolicy, s: HealingState, _now: number): HealingState {
  return s.healthySince === null ? s : { ...s, healthySince: null };
}

/** When the supervisor should call `onTick` next (monotonic), or null when nothing is due. */
export function nextStableResetAt(p: HealingPolicy, s: HealingState): number | null {
  if (s.healthySince === null || s.quarantine !== null || s.gaveUp || !isDirty(s)) return null;
  return s.healthySince + p.stableAfterMs;
}

/** Stable reset: healthy continuously for stableAfterMs => counters and backoff back to zero. */
export function onTick(p: HealingPolicy, s: HealingState, now: number): HealingStep {
  const due = nextStableResetAt(p, s);
  if (due === null || now < due) return { state: s, notes: [] };
  const success = breakerOnSuccess(s.breaker);
  const notes: HealingNote[] = [...success.notes];
  notes.push({
    action: 'counter_reset',
    message: `healthy for ${formatDuration(p.stableAfterMs)}: restart counter and backoff reset (after ${s.attempts} attempt${s.attempts === 1 ? '' : 's'})`,
  });
  return { state: resetCounters({ ...s, breaker: success.breaker }), notes };
}

/** The supervisor started the breaker's trial restart: the breaker becomes half-open. */
export function onTrialStarted(s: HealingState, _now: number): HealingStep {
  const step = breakerOnTrialStarted(s.breaker);
  if (step.breaker === s.breaker) return { state: s, notes: [] };
  return { state: { ...s, breaker: step.breaker }, notes: step.notes };
}

export interface ManualRestartOutcome {
  readonly state: HealingState;
  readonly allowed: boolean;
  readonly why?: string;
}

/**
 * A manual restart (UI, CLI, API) resets the counter and the breaker. It is refused on a
 * quarantined service unless `force`, which also clears the quarantine.
 */
export function manualRestart(s: HealingState, force: boolean): ManualRestartOutcome {
  if (refusesRestart(s.quarantine !== null, force)) {
    return {
      state: s,
      allowed: false,
      why: `service is quarantined (${s.quarantine?.reason ?? 'manual'}); release it or restart with force`,
    };
  }
  return { state: { ...resetCounters(s), healthySince: null }, allowed: true };
}

/** Manual release: clears quarantine (and a degraded give-up), resets counters and the breaker. */
export function release(s: HealingState): HealingState {
  return resetCounters(s);
}

/** Manual quarantine: no automatic restarts until released. The first reason is kept. */
export function quarantine(s: HealingState, reason: string, now: number): HealingState {
  if (s.quarantine !== null) return s;
  return { ...s, quarantine: { reason, at: now }, healthySince: null };
}

/** The breaker as the API shows it; no next trial time while quarantined or given up. */
export function breakerView(s: HealingState, monoToWall: (mono: number) => number): BreakerView {
  return viewOfBreaker(s.breaker, monoToWall, s.quarantine === null && !s.gaveUp);
}
