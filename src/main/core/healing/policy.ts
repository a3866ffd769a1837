/**
 * The healing policy of one service: everything the healing decisions need from the stack file,
 * flattened from the service's `restart`, `recovery`, `reset`, `oneshot`, `required` keys and the
 * stack-wide `settings` (circuit breaker unless the service has its own, stable_after). Pure.
 */
import {
  DEFAULT_BACKOFF_MS,
  type RecoveryStrategy,
  type RestartPolicy,
  type ServiceSpec,
  type StackSettings,
} from '../../../shared/model.js';

export interface HealingPolicy {
  readonly restartPolicy: RestartPolicy;
  /** Delay before restart attempt 1..N in ms; the last entry repeats for later attempts. */
  readonly backoffMs: readonly number[];
  /** 0..1: each delay is multiplied by a factor in [1, 1 + jitter]. */
  readonly jitter: number;
  /** Restart attempts allowed before the next failure quarantines (or gives up). */
  readonly maxAttempts: number;
  /** `threshold` consecutive failures open the breaker; below 1 the breaker is disabled. */
  readonly breaker: { readonly threshold: number; readonly resetAfterMs: number };
  /** Healthy this long without interruption => restart counter, backoff and breaker reset. */
  readonly stableAfterMs: number;
  readonly recovery: RecoveryStrategy;
  readonly oneshot: boolean;
  readonly required: boolean;
  /** The service has a `reset` command (used by `restart_with_reset`). */
  readonly hasReset: boolean;
}

function nonNegative(n: number, fallback: number): number {
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export function policyFor(spec: ServiceSpec, settings: StackSettings): HealingPolicy {
  const breaker = spec.restart.circuitBreaker ?? settings.circuitBreaker;
  const backoff = spec.restart.backoffMs.filter((ms) => Number.isFinite(ms) && ms >= 0);
  return {
    restartPolicy: spec.restart.policy,
    backoffMs: backoff.length > 0 ? backoff : DEFAULT_BACKOFF_MS,
    jitter: Math.min(1, nonNegative(spec.restart.jitter, 0)),
    maxAttempts: Math.floor(
      nonNegative(spec.maxRestartAttempts, nonNegative(settings.maxRestartAttempts, 0)),
    ),
    breaker: {
      threshold: Math.floor(nonNegative(breaker.threshold, 0)),
      resetAfterMs: nonNegative(breaker.resetAfterMs, 0),
    },
    stableAfterMs: nonNegative(settings.stableAfterMs, 0),
    recovery: spec.recovery,
    oneshot: spec.oneshot,
    required: spec.required,
    hasReset: spec.reset !== undefined,
  };
}
