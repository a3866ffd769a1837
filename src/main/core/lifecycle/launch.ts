/**
 * Pure rules of the launch: when the next `serial` service of a phase may go, and when a phase is
 * open for the next one. Dependency conditions are enforced by each service itself (it waits in
 * `waiting`); phases are only the coarse order, so these rules say when waiting longer would
 * hold the stack for nothing.
 *
 * - A serial service lets the next one go once it is ready (`running`, `completed`), or has
 *   settled otherwise (`failed`, `quarantined`, `stopped`). An optional one (`required: false`)
 *   also lets it go as soon as it has failed once (crash, backoff, past its startup timeout).
 * - A phase is open once each of its required services has been spawned or cannot be: a service
 *   waiting only on optional dependencies, or on dependencies that gave up, does not hold it, and
 *   services with `required: false` never hold it.
 */
import { hasGivenUp } from '../../../shared/lifecycle.js';
import type { DependencySpec } from '../../../shared/model.js';
import type { DependencyFacts, ServiceFacts } from './rules.js';

/** What the launch rules read about one service. */
export interface LaunchFacts extends ServiceFacts {
  /** Wanted up (by the launch or a person). */
  readonly wantedUp: boolean;
  /** The dependencies it is waiting on (lifecycle `waiting`). */
  readonly blocked: readonly string[];
  readonly dependsOn: readonly DependencySpec[];
}

/** Serial launch: may the next serial service of the phase go? */
export function serialSettled(s: LaunchFacts): boolean {
  switch (s.lifecycle) {
    case 'running':
    case 'completed':
    case 'failed':
    case 'quarantined':
    case 'stopped':
      return true;
    case 'pending':
      return !s.wantedUp;
    case 'waiting':
    case 'starting':
    case 'backoff':
    case 'stopping':
      return !s.required && (s.failedSinceUp === true || s.overdue || s.lifecycle === 'backoff');
  }
}

function gaveUp(dep: DependencyFacts | undefined): boolean {
  return !dep || hasGivenUp(dep.lifecycle);
}

/** Does this service still hold its phase (the next phase waits for it)? */
export function holdsPhase(
  s: LaunchFacts,
  lookup: (name: string) => DependencyFacts | undefined,
): boolean {
  if (!s.required) return false;
  if (s.lifecycle === 'pending') return s.wantedUp;
  if (s.lifecycle !== 'waiting') return false;
  const optional = new Set(s.dependsOn.filter((d) => d.optional).map((d) => d.name));
  return s.blocked.some((d) => !optional.has(d) && !gaveUp(lookup(d)));
}
