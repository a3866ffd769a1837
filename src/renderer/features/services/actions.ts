/**
 * Which buttons of the service panel make sense for a service in its current state: decided in
 * `src/shared/lifecycle.ts` (`allowedActions`), next to the runner's refusals. A service that
 * registered itself over the API is not Vigil's process: the API refuses every action on it, so
 * the panel shows none.
 */
import { SERVICE_ACTIONS, type ServiceAction } from '../../../shared/lifecycle.js';
import type { ServiceView } from '../../../shared/views.js';

export {
  SERVICE_ACTIONS,
  allowedActions as actionStates,
  type ActionState,
  type ServiceAction,
} from '../../../shared/lifecycle.js';

export const ACTION_LABEL: Readonly<Record<ServiceAction, string>> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
  force_restart: 'Force restart',
  quarantine: 'Quarantine',
  release: 'Release',
};

/** Why a registered service has no actions (also the panel's note). */
export const REGISTERED_NOTE =
  'This service registered itself over the API: Vigil watches its heartbeat and health, but does not start, stop or restart its process.';

/** The buttons the panel shows for a service (none for a registered one). */
export function visibleActions(s: ServiceView): readonly ServiceAction[] {
  return s.registered ? [] : SERVICE_ACTIONS;
}
