/** `settings:`: orchestrator-wide values, each defaulting to DEFAULT_SETTINGS. */
import { DEFAULT_SETTINGS, type StackSettings } from '../../../shared/model.js';
import type { Reader, Slot } from './reader.js';
import { CIRCUIT_BREAKER_KEYS, LOG_LEVELS, ON_CRITICAL, SETTINGS_KEYS } from './schema.js';

export function readSettings(r: Reader, slot: Slot | undefined): StackSettings {
  if (slot === undefined || r.isMissing(slot)) return DEFAULT_SETTINGS;
  const t = r.table(slot, { known: SETTINGS_KEYS, what: 'settings' });
  if (t === null) return DEFAULT_SETTINGS;
  const get = <T>(key: string, read: (s: Slot) => T | undefined, dflt: T): T => {
    const e = t.get(key);
    return e === undefined ? dflt : (read(e) ?? dflt);
  };
  const d = DEFAULT_SETTINGS;
  let circuitBreaker = d.circuitBreaker;
  const cb = t.get('circuit_breaker');
  if (cb !== undefined) {
    const ct = r.table(cb, { known: CIRCUIT_BREAKER_KEYS, what: 'circuit_breaker' });
    if (ct !== null) {
      const th = ct.get('threshold');
      const ra = ct.get('reset_after');
      circuitBreaker = {
        threshold: (th && r.int(th, 1)) ?? d.circuitBreaker.threshold,
        resetAfterMs: (ra && r.duration(ra, { positive: true })) ?? d.circuitBreaker.resetAfterMs,
      };
    }
  }
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
  };
}
