/**
 * Which buttons of the service panel make sense for a service in its current state. A service that
 * registered itself over the API is not Vigil's process: the API refuses every action on it, so
 * the panel shows none.
 */
import type { ServiceView } from '../../../shared/views.js';

export const SERVICE_ACTIONS = [
  'start',
  'stop',
  'restart',
  'force_restart',
  'quarantine',
  'release',
] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

export const ACTION_LABEL: Readonly<Record<ServiceAction, string>> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
  force_restart: 'Force restart',
  quarantine: 'Quarantine',
  release: 'Release',
};

export interface ActionState {
  readonly enabled: boolean;
  /** Why it is disabled (shown as the button's tooltip). */
  readonly why: string;
}

const on: ActionState = { enabled: true, why: '' };
const off = (why: string): ActionState => ({ enabled: false, why });

/** Why a registered service has no actions (also the panel's note). */
export const REGISTERED_NOTE =
  'This service registered itself over the API: Vigil watches its heartbeat and health, but does not start, stop or restart its process.';

const all = (state: ActionState): Readonly<Record<ServiceAction, ActionState>> => ({
  start: state,
  stop: state,
  restart: state,
  force_restart: state,
  quarantine: state,
  release: state,
});

/** The buttons the panel shows for a service (none for a registered one). */
export function visibleActions(s: ServiceView): readonly ServiceAction[] {
  return s.registered ? [] : SERVICE_ACTIONS;
}

export function actionStates(
  s: ServiceView,
  busy: boolean,
): Readonly<Record<ServiceAction, ActionState>> {
  if (s.registered) return all(off('registered over the API: Vigil does not run its process'));
  if (busy) return all(off('another action on this service is in progress'));
  const l = s.lifecycle;
  const quarantined = l === 'quarantined';
  const stopping = l === 'stopping';
  const down = l === 'stopped' || l === 'failed' || l === 'completed';
  const blocked = quarantined || s.breaker.state !== 'closed' || l === 'backoff' || l === 'failed';
  return {
    start: quarantined ? off('quarantined: release it first') : down ? on : off(`already ${l}`),
    stop:
      down || quarantined || stopping
        ? off(quarantined ? 'quarantined services are already stopped' : `already ${l}`)
        : on,
    restart: quarantined
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
    release:
      quarantined || s.quarantine_reason !== null
        ? on
        : off('only a quarantined service can be released'),
  };
}
