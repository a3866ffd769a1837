/** Which buttons of the service panel make sense for a service in its current state. */
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

export function actionStates(
  s: ServiceView,
  busy: boolean,
): Readonly<Record<ServiceAction, ActionState>> {
  if (busy) {
    const wait = off('another action on this service is in progress');
    return {
      start: wait,
      stop: wait,
      restart: wait,
      force_restart: wait,
      quarantine: wait,
      release: wait,
    };
  }
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
