/** The healing timeline: filtering by service and kind, and one sentence per event. */
import type { HealingAction, HealingEvent } from '../../../shared/events.js';
import { formatMs } from '../../app/format.js';

export const HEALING_KINDS = [
  'all',
  'restarts',
  'quarantine',
  'breaker',
  'replicas',
  'other',
] as const;
export type HealingKind = (typeof HEALING_KINDS)[number];

export const HEALING_KIND_LABEL: Readonly<Record<HealingKind, string>> = {
  all: 'All kinds',
  restarts: 'Restarts',
  quarantine: 'Quarantine',
  breaker: 'Circuit breaker',
  replicas: 'Instances, scaling, failover',
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
    case 'instance_added':
    case 'instance_lost':
    case 'scaling_executed':
    case 'failover_completed':
    case 'failback_completed':
    case 'topology_updated':
      return 'replicas';
    case 'counter_reset':
    case 'limit_exceeded':
    case 'recommendation':
    case 'watch_paused':
    case 'watch_run_failed':
      return 'other';
  }
}

/** The service an event belongs to: an instance's events (`api#1`) belong to `api`. */
export function serviceOf(e: HealingEvent): string {
  const at = e.service.lastIndexOf('#');
  return at > 0 ? e.service.slice(0, at) : e.service;
}

export function filterHealing(
  events: readonly HealingEvent[],
  service: string | null,
  kind: string,
): HealingEvent[] {
  return events.filter(
    (e) =>
      (service === null || serviceOf(e) === service) &&
      (kind === 'all' || kindOf(e.action) === kind),
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
  instance_added: 'instance added',
  instance_lost: 'instance lost',
  scaling_executed: 'scaled',
  failover_completed: 'failed over',
  failback_completed: 'failed back',
  topology_updated: 'pool changed',
};

export function actionText(action: HealingAction): string {
  return ACTION_TEXT[action];
}

/**
 * "restart scheduled in 1.0 s (attempt 2): exited with code 1", "instance api#4 added: scaled
 * up", "scaled from 3 to 5 instances (cpu 82, target 70): above target".
 */
export function describeHealing(e: HealingEvent): string {
  let s = ACTION_TEXT[e.action];
  if ((e.action === 'instance_added' || e.action === 'instance_lost') && e.replica?.instance) {
    s = `instance ${e.replica.instance} ${e.action === 'instance_added' ? 'added' : 'lost'}`;
  }
  if (e.action === 'restart_scheduled' && e.delayMs !== undefined)
    s += ` in ${formatMs(e.delayMs)}`;
  if (e.attempt > 0 && (e.action === 'restart_scheduled' || e.action.endsWith('restart')))
    s += ` (attempt ${e.attempt})`;
  s += replicaDetail(e);
  const why = e.reason.message;
  return why ? `${s}: ${why}` : s;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What a replica event adds to its sentence: where traffic went, the counts, the metric. */
function replicaDetail(e: HealingEvent): string {
  const r = e.replica ?? {};
  switch (e.action) {
    case 'failover_completed':
      return ' to the backup';
    case 'failback_completed':
      return ' to its own instances';
    case 'scaling_executed': {
      let d =
        r.from !== undefined && r.to !== undefined
          ? ` from ${r.from} to ${r.to}`
          : r.to !== undefined
            ? ` to ${r.to}`
            : '';
      if (r.to !== undefined) d += r.to === 1 ? ' instance' : ' instances';
      if (r.metric) {
        const v =
          r.metric.value === null ? 'no data' : String(Math.round(r.metric.value * 10) / 10);
        d += ` (${r.metric.name} ${v}, target ${r.metric.target})`;
      }
      return d;
    }
    case 'topology_updated':
      if (r.pool) return ` (${plural(r.pool.length, 'instance')} taking traffic)`;
      if (r.to !== undefined) return ` (${plural(r.to, 'instance')} taking traffic)`;
      return '';
    default:
      // instance_added and instance_lost name the instance in the sentence itself
      return '';
  }
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
    case 'instance_lost':
    case 'failover_completed':
      return 'warn';
    case 'release':
    case 'breaker_closed':
    case 'counter_reset':
    case 'instance_added':
    case 'failback_completed':
      return 'ok';
    case 'recommendation':
    case 'scaling_executed':
    case 'topology_updated':
      return 'off';
    default:
      return 'warn';
  }
}
