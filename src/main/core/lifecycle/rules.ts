/**
 * Pure rules about services' lifecycles: when a dependency condition is met, what blocks a
 * service, and what the whole system's state is. No I/O, no time sources: everything here is a
 * function of the states passed in. How one instance moves between lifecycles is `machine.ts`.
 *
 * `starting` means spawned and not yet ready (no successful probe in this generation);
 * `running` means it has been ready in this generation (its health may degrade later).
 */
import type {
  DependencyCondition,
  DependencySpec,
  Health,
  Lifecycle,
  Priority,
  SystemState,
} from '../../../shared/model.js';

/** What the rules need to know about one service. */
export interface ServiceFacts {
  readonly name: string;
  readonly lifecycle: Lifecycle;
  readonly health: Health;
  readonly required: boolean;
  readonly priority: Priority;
  readonly oneshot: boolean;
  /** True once the service has been down (not ready) for longer than its startup timeout. */
  readonly overdue: boolean;
  /** True when the service was stopped on purpose (by a person or a shutdown): not a failure. */
  readonly stoppedByUser: boolean;
  /**
   * True once the service has failed (crash, failed start, unhealthy) since it was last asked up
   * by a launch or a person: it is no longer "on its way up for the first time".
   */
  readonly failedSinceUp?: boolean;
  /** Why it is down, in a person's words ("exited with code 3"), when known. */
  readonly lastError?: string | null;
}

/** What the dependency rules read about a dependency. */
export type DependencyFacts = Pick<ServiceFacts, 'lifecycle' | 'health'> &
  Partial<Pick<ServiceFacts, 'overdue' | 'failedSinceUp' | 'lastError'>>;

/** Is the dependency's condition met by its current state? */
export function conditionMet(
  condition: DependencyCondition,
  dep: Pick<ServiceFacts, 'lifecycle' | 'health'>,
): boolean {
  switch (condition) {
    case 'started':
      return (
        dep.lifecycle === 'starting' || dep.lifecycle === 'running' || dep.lifecycle === 'completed'
      );
    case 'healthy':
      return (
        (dep.lifecycle === 'running' && (dep.health === 'healthy' || dep.health === 'degraded')) ||
        dep.lifecycle === 'completed'
      );
    case 'completed':
      return dep.lifecycle === 'completed';
  }
}

/**
 * Whether an optional dependency is still worth waiting for: only while it is on its way up for
 * the first time in this up-cycle (pending, waiting, starting, or running towards a `completed`
 * condition), not past its startup timeout (`overdue`) and not failed once already. As soon as it
 * has crashed, failed its start, gone to backoff, been quarantined, given up, turned unhealthy,
 * been stopped or overrun its startup timeout, its dependents start without it.
 */
export function optionalStillComing(dep: DependencyFacts): boolean {
  if (dep.overdue === true || dep.failedSinceUp === true) return false;
  switch (dep.lifecycle) {
    case 'pending':
    case 'waiting':
    case 'starting':
      return true;
    case 'running':
      return dep.health !== 'unhealthy' && dep.health !== 'timeout';
    case 'backoff':
    case 'stopping':
    case 'stopped':
    case 'completed':
    case 'failed':
    case 'quarantined':
      return false;
  }
}

/**
 * The dependencies that keep a service from starting now. A missing required dependency always
 * blocks; an optional one blocks only while `optionalStillComing` (never when missing).
 */
export function blockedBy(
  deps: readonly DependencySpec[],
  lookup: (name: string) => DependencyFacts | undefined,
): string[] {
  const blocking: string[] = [];
  for (const d of deps) {
    const dep = lookup(d.name);
    if (!dep) {
      if (!d.optional) blocking.push(d.name);
      continue;
    }
    if (conditionMet(d.condition, dep)) continue;
    if (d.optional && !optionalStillComing(dep)) continue;
    blocking.push(d.name);
  }
  return blocking;
}

/** An optional dependency a service starts without, and why it is not there. */
export interface MissingDependency {
  readonly service: string;
  readonly reason: string;
}

/** Why a dependency does not meet its condition, in a person's words. */
export function whyNotThere(name: string, dep: DependencyFacts | undefined): string {
  if (!dep) return `${name} is not in the stack`;
  if (dep.lastError) return dep.lastError;
  switch (dep.lifecycle) {
    case 'quarantined':
      return 'quarantined';
    case 'failed':
      return 'failed';
    case 'backoff':
      return 'crashed, waiting to restart';
    case 'stopped':
    case 'stopping':
      return 'stopped';
    case 'pending':
    case 'waiting':
    case 'starting':
      return dep.overdue === true ? 'not ready within its startup timeout' : 'not ready yet';
    case 'running':
      return dep.health === 'unhealthy' || dep.health === 'timeout' ? `${dep.health}` : 'running';
    case 'completed':
      return 'completed';
  }
}

/**
 * The optional dependencies a service starts without (their condition is not met and they no
 * longer block): shown as "started without metrics: exited with code 3".
 */
export function missingOptional(
  deps: readonly DependencySpec[],
  lookup: (name: string) => DependencyFacts | undefined,
): MissingDependency[] {
  const out: MissingDependency[] = [];
  for (const d of deps) {
    if (!d.optional) continue;
    const dep = lookup(d.name);
    if (dep && conditionMet(d.condition, dep)) continue;
    out.push({ service: d.name, reason: whyNotThere(d.name, dep) });
  }
  return out;
}

/** Is this service down in a way that counts as a failure (not stopped on purpose)? */
export function isDown(s: ServiceFacts): boolean {
  if (s.stoppedByUser) return false;
  switch (s.lifecycle) {
    case 'failed':
    case 'quarantined':
    case 'backoff':
      return true;
    case 'running':
      return s.health === 'unhealthy' || s.health === 'timeout';
    case 'pending':
    case 'waiting':
    case 'starting':
    case 'stopping':
      return s.overdue;
    case 'stopped':
    case 'completed':
      return false;
  }
}

/** Is the service where it should be: ready and healthy, or a oneshot that completed? */
export function isReady(s: Pick<ServiceFacts, 'lifecycle' | 'health'>): boolean {
  return (s.lifecycle === 'running' && s.health === 'healthy') || s.lifecycle === 'completed';
}

export interface SystemAssessment {
  readonly state: SystemState;
  /** Services whose failure makes the system critical. */
  readonly critical: readonly string[];
  /** Services that are not where they should be. */
  readonly failing: readonly string[];
  /** Every required service is ready. */
  readonly ready: boolean;
}

/**
 * The system is `critical` when a critical or required service is down (quarantined, failed, crash
 * looping, or down past its startup timeout), `degraded` when any other service is down or any
 * service is not healthy, `healthy` otherwise. Services stopped on purpose do not count.
 */
export function assessSystem(services: readonly ServiceFacts[]): SystemAssessment {
  const critical: string[] = [];
  const failing: string[] = [];
  let ready = true;
  let notHealthy = false;
  for (const s of services) {
    const down = isDown(s);
    if (down) {
      failing.push(s.name);
      if (s.required || s.priority === 'critical') {
        if (
          s.lifecycle === 'quarantined' ||
          s.lifecycle === 'failed' ||
          s.overdue ||
          s.priority === 'critical'
        )
          critical.push(s.name);
      }
    }
    if (!s.stoppedByUser && !isReady(s)) {
      notHealthy = true;
      if (s.required) ready = false;
    }
  }
  const state: SystemState =
    critical.length > 0 ? 'critical' : failing.length > 0 || notHealthy ? 'degraded' : 'healthy';
  return { state, critical, failing, ready };
}
