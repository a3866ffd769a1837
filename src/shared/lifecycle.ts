/**
 * Lifecycle facts, said once: which healing actions are restarts, which lifecycles count as down
 * or as stopping, when a service has given up (it will not come back by itself), which manual
 * actions the runner refuses, and which the UI offers. The store, the reports, the runner, the
 * supervisor and the renderer all read them from here. Pure: no imports with side effects.
 */
import type { HealingAction } from './events.js';
import type { Lifecycle } from './model.js';
import type { ServiceView } from './views.js';

/** Healing actions that are a restart of the service's process. */
export const RESTART_ACTIONS: readonly HealingAction[] = [
  'restart',
  'graceful_restart',
  'dependency_restart',
];
const RESTART_SET: ReadonlySet<HealingAction> = new Set(RESTART_ACTIONS);

export function isRestartAction(action: HealingAction): boolean {
  return RESTART_SET.has(action);
}

/** Lifecycles in which a service is down because of a failure (waiting to retry, or held). */
export const DOWN_LIFECYCLES: ReadonlySet<Lifecycle> = new Set<Lifecycle>([
  'backoff',
  'failed',
  'quarantined',
]);

/** Lifecycles of a service that is not running because it is stopping, stopped or not started. */
export const STOP_LIFECYCLES: ReadonlySet<Lifecycle> = new Set<Lifecycle>([
  'stopping',
  'stopped',
  'pending',
]);

/**
 * A service that has given up: failed for good, held in quarantine, or stopped. It will not come
 * up by itself, so nothing should wait for it (an optional dependency, a launch phase).
 */
export function hasGivenUp(lifecycle: Lifecycle): boolean {
  return lifecycle === 'failed' || lifecycle === 'quarantined' || lifecycle === 'stopped';
}

/** The manual actions on one service. */
export const SERVICE_ACTIONS = [
  'start',
  'stop',
  'restart',
  'force_restart',
  'quarantine',
  'release',
] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/**
 * The runner refuses to start a quarantined service (QUARANTINED): it must be released (or
 * force-restarted) first.
 */
export function refusesStart(lifecycle: Lifecycle): boolean {
  return lifecycle === 'quarantined';
}

/** The runner refuses to release a service that is neither quarantined nor given up (CONFLICT). */
export function refusesRelease(s: {
  readonly lifecycle: Lifecycle;
  /** A quarantine is held (even if the service is not in the quarantined state yet). */
  readonly quarantineHeld: boolean;
  /** The healing engine gave up on it (`recovery: degraded`). */
  readonly gaveUp: boolean;
}): boolean {
  return s.lifecycle !== 'quarantined' && !s.gaveUp && !s.quarantineHeld;
}

/** The runner refuses a restart while quarantined unless forced (QUARANTINED). */
export function refusesRestart(quarantineHeld: boolean, force: boolean): boolean {
  return quarantineHeld && !force;
}

export interface ActionState {
  readonly enabled: boolean;
  /** Why it is disabled (shown as the button's tooltip). */
  readonly why: string;
}

const on: ActionState = { enabled: true, why: '' };
const off = (why: string): ActionState => ({ enabled: false, why });

const all = (state: ActionState): Readonly<Record<ServiceAction, ActionState>> => ({
  start: state,
  stop: state,
  restart: state,
  force_restart: state,
  quarantine: state,
  release: state,
});

/**
 * Which manual actions make sense for a service as the API shows it: those the runner would
 * refuse are off, and so are those that would do nothing (starting a running service). A service
 * that registered itself over the API is not Vigil's process: every action is off. `busy`: another
 * action on this service is in progress.
 */
export function allowedActions(
  s: ServiceView,
  busy = false,
): Readonly<Record<ServiceAction, ActionState>> {
  if (s.registered) return all(off('registered over the API: Vigil does not run its process'));
  if (busy) return all(off('another action on this service is in progress'));
  const l = s.lifecycle;
  const quarantined = l === 'quarantined';
  const stopping = l === 'stopping';
  const down = l === 'stopped' || l === 'failed' || l === 'completed';
  const blocked = quarantined || s.breaker.state !== 'closed' || l === 'backoff' || l === 'failed';
  const releasable = !refusesRelease({
    lifecycle: l,
    quarantineHeld: s.quarantine_reason !== null,
    gaveUp: false,
  });
  return {
    start: refusesStart(l) ? off('quarantined: release it first') : down ? on : off(`already ${l}`),
    stop:
      down || quarantined || stopping
        ? off(quarantined ? 'quarantined services are already stopped' : `already ${l}`)
        : on,
    restart: refusesRestart(quarantined, false)
      ? off('quarantined: use Release or Force restart')
      : stopping
        ? off('stopping')
        : on,
    force_restart: stopping
      ? off('stopping')
      : blocked
        ? on
        : off('nothing to override: no quarantine, open breaker or backoff'),
    quarantine: quarantined ? off('already quarantined') : on,
    release: releasable ? on : off('only a quarantined service can be released'),
  };
}
