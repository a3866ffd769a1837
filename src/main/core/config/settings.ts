/** `settings:`: orchestrator-wide values, each defaulting to DEFAULT_SETTINGS. */
import {
  DEFAULT_SETTINGS,
  type CircuitBreakerSpec,
  type StackSettings,
} from '../../../shared/model.js';
import type { Reader, Slot } from './reader.js';
import { CIRCUIT_BREAKER_KEYS, LOG_LEVELS, ON_CRITICAL, SETTINGS_KEYS } from './schema.js';

/**
 * `circuit_breaker: { threshold, reset_after }`, stack-wide or in a service's `restart:`; a key left
 * out keeps `fallback`'s value. `threshold: 0` turns the breaker off.
 */
export function readCircuitBreaker(
  r: Reader,
  slot: Slot,
  fallback: CircuitBreakerSpec,
): CircuitBreakerSpec {
  const t = r.table(slot, { known: CIRCUIT_BREAKER_KEYS, what: 'circuit_breaker' });
  if (t === null) return fallback;
  const th = t.get('threshold');
  const ra = t.get('reset_after');
  return {
    threshold: (th && r.int(th, 0)) ?? fallback.threshold,
    resetAfterMs: (ra && r.duration(ra, { positive: true })) ?? fallback.resetAfterMs,
  };
}

export function readSettings(r: Reader, slot: Slot | undefined): StackSettings {
  if (slot === undefined || r.isMissing(slot)) return DEFAULT_SETTINGS;
  const t = r.table(slot, { known: SETTINGS_KEYS, what: 'settings' });
  if (t === null) return DEFAULT_SETTINGS;
  const get = <T>(key: string, read: (s: Slot) => T | undefined, dflt: T): T => {
    const e = t.get(key);
    return e === undefined ? dflt : (read(e) ?? dflt);
  };
  const d = DEFAULT_SETTINGS;
  const cb = t.get('circuit_breaker');
  const circuitBreaker =
    cb === undefined ? d.circuitBreaker : readCircuitBreaker(r, cb, d.circuitBreaker);
  return {
    healthCheckIntervalMs: get(
      'health_check_interval',
      (s) => r.duration(s, { positive: true }),
      d.healthCheckIntervalMs,
    ),
    healthCheckTimeoutMs: get(
      'health_check_timeout',
      (s) => r.duration(s, { positive: true }),
      d.healthCheckTimeoutMs,
    ),
    startupTimeoutMs: get(
      'startup_timeout',
      (s) => r.duration(s, { positive: true }),
      d.startupTimeoutMs,
    ),
    shutdownTimeoutMs: get('shutdown_timeout', (s) => r.duration(s), d.shutdownTimeoutMs),
    maxRestartAttempts: get('max_restart_attempts', (s) => r.int(s, 0), d.maxRestartAttempts),
    circuitBreaker,
    parallelLaunchLimit: get('parallel_launch_limit', (s) => r.int(s, 1), d.parallelLaunchLimit),
    stableAfterMs: get('stable_after', (s) => r.duration(s), d.stableAfterMs),
    retentionMs: get('retention', (s) => r.duration(s, { positive: true }), d.retentionMs),
    onCritical: get('on_critical', (s) => r.oneOf(s, ON_CRITICAL), d.onCritical),
    logLevel: get('log_level', (s) => r.oneOf(s, LOG_LEVELS), d.logLevel),
    reloadRollback: get('reload_rollback', (s) => r.bool(s), d.reloadRollback),
  };
}
