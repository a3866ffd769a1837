/**
 * Pure rules of the service lifecycle: which transitions exist, when a dependency condition is
 * met, what blocks a service, and what the whole system's state is. No I/O, no time sources:
 * everything here is a function of the states passed in.
 *
 * Lifecycle of one service (one "generation" per spawned process):
 *
 *   pending ─► waiting ─► starting ─► running ─► stopping ─► stopped
 *      │          ▲          │           │                     ▲
 *      │          └──────────┴──► backoff ◄┘ (crash/unhealthy)  │
 *      │                            │                          │
 *      └──────────────► failed ◄────┤──► quarantined ──────────┘ (release / force restart)
 *                                   └──► completed (oneshot exited 0)
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
import { hasGivenUp } from '../../../shared/lifecycle.js';

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
}

const TRANSITIONS: Readonly<Record<Lifecycle, readonly Lifecycle[]>> = {
  pending: ['waiting', 'starting', 'stopped', 'failed', 'quarantined', 'backoff'],
  waiting: ['starting', 'stopped', 'failed', 'quarantined', 'backoff', 'waiting', 'stopping'],
  starting: ['running', 'backoff', 'stopping', 'stopped', 'failed', 'completed', 'quarantined'],
  running: ['backoff', 'stopping', 'stopped', 'failed', 'completed', 'quarantined'],
  backoff: ['waiting', 'starting', 'stopped', 'failed', 'quarantined', 'stopping', 'backoff'],
  stopping: ['stopped', 'backoff', 'quarantined', 'failed', 'waiting', 'starting', 'completed'],
  stopped: ['waiting', 'starting', 'quarantined', 'stopped', 'pending'],
  completed: ['waiting', 'starting', 'stopped', 'quarantined', 'stopping'],
  failed: ['waiting', 'starting', 'stopped', 'quarantined', 'backoff', 'stopping', 'failed'],
  quarantined: ['waiting', 'starting', 'stopped', 'stopping', 'quarantined'],
};

export function canTransition(from: Lifecycle, to: Lifecycle): boolean {
  return TRANSITIONS[from].includes(to);
}

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
 * The dependencies that keep a service from starting now. A missing optional dependency or one that
 * gave up does not block; a missing required one always does.
 */
export function blockedBy(
  deps: readonly DependencySpec[],
  lookup: (name: string) => Pick<ServiceFacts, 'lifecycle' | 'health'> | undefined,
): string[] {
  const blocking: string[] = [];
  for (const d of deps) {
    const dep = lookup(d.name);
    if (!dep) {
      if (!d.optional) blocking.push(d.name);
      continue;
    }
    if (conditionMet(d.condition, dep)) continue;
    // An optional dependency that has given up (or was never going to come) does not block.
    if (d.optional && hasGivenUp(dep.lifecycle)) continue;
    blocking.push(d.name);
  }
  return blocking;
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
