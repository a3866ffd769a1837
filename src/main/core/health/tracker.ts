/**
 * Health tracking: how one probe result moves a service's health. Pure; the monitor feeds it.
 *
 * Counters belong to one run of the service (a restart starts again from `initialCounters`).
 *
 * On a success (`result.ok`):
 * - consecutive failures reset to 0, consecutive successes count up;
 * - `unknown` or `degraded` -> `healthy` at once (the first success of a run is readiness; a blip
 *   below the failure threshold is forgiven by one success);
 * - `healthy` stays `healthy`;
 * - `unhealthy` / `timeout` -> `healthy` only once `recoveryThreshold` consecutive successes have
 *   been seen; until then the health stays as it was. A run that has never been healthy becomes
 *   healthy on its first success whatever its health (readiness).
 *
 * On a failure:
 * - while `inStartPeriod` and the run has never been healthy, the failure does not count towards
 *   the thresholds (both counters reset), but the health says what the probe saw: `timeout` when
 *   it timed out, `unhealthy` otherwise, and `startFailures` counts the failed checks of the boot
 *   (`unknown` is only the health before the first result);
 * - otherwise consecutive successes reset to 0 and consecutive failures count up (from zero when
 *   the start period has just ended: what the boot's failures left is not carried over);
 * - at or past `failureThreshold` the health is `timeout` when this failing result timed out and
 *   `unhealthy` otherwise;
 * - below the threshold the health is `degraded` (from `unknown`, `healthy` or `degraded`): a
 *   service that never became healthy and is past its start period degrades the same way. A
 *   service that is already `unhealthy`/`timeout` (for instance halfway through its recovery)
 *   stays bad, taking the kind of this failure (`timeout` or `unhealthy`).
 *
 * Thresholds below 1 are treated as 1.
 */
import type { Health, HealthSpec, ProbeResult } from '../../../shared/model.js';

export interface HealthCounters {
  readonly health: Health;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  /** Whether this run has been healthy at least once. */
  readonly everHealthy: boolean;
  /** Failed checks of this run before its first success (inside the start period). */
  readonly startFailures: number;
}

export const initialCounters: HealthCounters = Object.freeze({
  health: 'unknown',
  consecutiveFailures: 0,
  consecutiveSuccesses: 0,
  everHealthy: false,
  startFailures: 0,
});

function isBad(health: Health): boolean {
  return health === 'unhealthy' || health === 'timeout';
}

/**
 * The health is bad only from failed checks of the boot (start period): what the probes saw, not
 * a verdict to carry over (the first success is readiness, the first failure after the start
 * period counts from one).
 */
function bootOnly(prev: HealthCounters): boolean {
  return !prev.everHealthy && prev.consecutiveFailures === 0 && prev.startFailures > 0;
}

export function nextHealth(
  prev: HealthCounters,
  result: ProbeResult,
  spec: Pick<HealthSpec, 'failureThreshold' | 'recoveryThreshold'>,
  inStartPeriod: boolean,
): HealthCounters {
  const failureThreshold = Math.max(1, spec.failureThreshold);
  const recoveryThreshold = Math.max(1, spec.recoveryThreshold);

  if (result.ok) {
    const consecutiveSuccesses = prev.consecutiveSuccesses + 1;
    const healthy =
      !isBad(prev.health) || bootOnly(prev) || consecutiveSuccesses >= recoveryThreshold;
    return {
      health: healthy ? 'healthy' : prev.health,
      consecutiveFailures: 0,
      consecutiveSuccesses,
      everHealthy: prev.everHealthy || healthy,
      startFailures: healthy ? 0 : prev.startFailures,
    };
  }

  if (inStartPeriod && !prev.everHealthy) {
    return {
      health: result.timedOut ? 'timeout' : 'unhealthy',
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      everHealthy: false,
      startFailures: prev.startFailures + 1,
    };
  }

  const consecutiveFailures = prev.consecutiveFailures + 1;
  const bad = consecutiveFailures >= failureThreshold || (isBad(prev.health) && !bootOnly(prev));
  return {
    health: !bad ? 'degraded' : result.timedOut ? 'timeout' : 'unhealthy',
    consecutiveFailures,
    consecutiveSuccesses: 0,
    everHealthy: prev.everHealthy,
    startFailures: prev.startFailures,
  };
}
