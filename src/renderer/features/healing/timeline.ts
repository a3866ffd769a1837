/** The healing timeline: filtering by service and kind, and one sentence per event. */
import type { HealingAction, HealingEvent } from '../../../shared/events.js';
import { formatMs } from '../../app/format.js';

export const HEALING_KINDS = ['all', 'restarts', 'quarantine', 'breaker', 'other'] as const;
export type HealingKind = (typeof HEALING_KINDS)[number];

export const HEALING_KIND_LABEL: Readonly<Record<HealingKind, string>> = {
  all: 'All kinds',
  restarts: 'Restarts',
  quarantine: 'Quarantine',
  breaker: 'Circuit breaker',
  other: 'Other',
};

export function kindOf(action: HealingAction): Exclude<HealingKind, 'all'> {
  switch (action) {
    case 'restart_scheduled':
    case 'restart':
    case 'graceful_restart':
    case 'dependency_restart':
    case 'stack_restart':
    case 'reset':
      return 'restarts';
    case 'quarantine':
    case 'release':
    case 'give_up':
      return 'quarantine';
    case 'breaker_open':
    case 'breaker_half_open':
    case 'breaker_closed':
      return 'breaker';
    case 'counter_reset':
    case 'limit_exceeded':
    case 'recommendation':
    case 'watch_paused':
    case 'watch_run_failed':
      return 'other';
  }
}

export function filterHealing(
  events: readonly HealingEvent[],
  service: string | null,
  kind: string,
): HealingEvent[] {
  return events.filter(
    (e) =>
      (service === null || e.service === service) && (kind === 'all' || kindOf(e.action) === kind),
  );
}

const ACTION_TEXT: Readonly<Record<HealingAction, string>> = {
  restart_scheduled: 'restart scheduled',
  restart: 'restarted',
  graceful_restart: 'restarted gracefully',
  dependency_restart: 'restarted with its failing dependencies',
  reset: 'reset before restart',
  quarantine: 'quarantined',
  release: 'released from quarantine',
  breaker_open: 'circuit breaker opened',
  breaker_half_open: 'circuit breaker half-open (trial allowed)',
  breaker_closed: 'circuit breaker closed',
  give_up: 'gave up (stays down)',
  stack_restart: 'stack restart',
  counter_reset: 'restart counter reset (stable again)',
  limit_exceeded: 'limit exceeded',
  recommendation: 'recommendation',
  watch_paused: 'file watch paused',
  watch_run_failed: 'watch command failed (kept running)',
};

export function actionText(action: HealingAction): string {
  return ACTION_TEXT[action];
}

/** "restart scheduled in 1.0 s (attempt 2): exited with code 1". */
export function describeHealing(e: HealingEvent): string {
  let s = ACTION_TEXT[e.action];
  if (e.action === 'restart_scheduled' && e.delayMs !== undefined)
    s += ` in ${formatMs(e.delayMs)}`;
  if (e.attempt > 0 && (e.action === 'restart_scheduled' || e.action.endsWith('restart')))
    s += ` (attempt ${e.attempt})`;
  const why = e.reason.message;
  return why ? `${s}: ${why}` : s;
}

/** Tone of a timeline entry's badge. */
export function healingTone(action: HealingAction): 'bad' | 'warn' | 'ok' | 'quarantine' | 'off' {
  switch (action) {
    case 'quarantine':
    case 'give_up':
      return 'quarantine';
    case 'breaker_open':
    case 'limit_exceeded':
    case 'watch_run_failed':
      return 'bad';
    case 'watch_paused':
      return 'warn';
    case 'release':
    case 'breaker_closed':
    case 'counter_reset':
      return 'ok';
    case 'recommendation':
      return 'off';
    default:
      return 'warn';
  }
}
