/**
 * What a replicated service is, seen from outside, given its instances: one lifecycle and one
 * health for the graph, the dependency conditions and the system state (SPEC §11). Pure.
 *
 * - `running` once at least `min_ready` instances are ready; `healthy` when every wanted instance
 *   is ready, `degraded` when some are not (a dependent's `healthy` condition is met by both).
 * - Below `min_ready`: `starting` while an instance is on its way up, `backoff` while one waits for
 *   its next attempt, `running` but `unhealthy` when instances run and too few serve, `failed`
 *   when every instance has failed, `waiting` while all wait for dependencies.
 * - Held down: `quarantined`, or `stopping` then `stopped` once no instance runs.
 */
import type { Health, Lifecycle } from '../../../shared/model.js';

export interface InstanceFacts {
  readonly lifecycle: Lifecycle;
  readonly health: Health;
}

/** An instance that takes traffic and counts towards `min_ready`. */
export function instanceReady(i: InstanceFacts): boolean {
  return i.lifecycle === 'running' && i.health !== 'unhealthy' && i.health !== 'timeout';
}

export interface AggregateInput {
  readonly instances: readonly InstanceFacts[];
  /** Instances wanted now. */
  readonly wanted: number;
  readonly minReady: number;
  readonly desired: 'up' | 'down';
  readonly quarantined: boolean;
  /** A failure of the set itself (front port taken): the service is failed whatever runs. */
  readonly setFailed: boolean;
}

export interface Aggregate {
  readonly lifecycle: Lifecycle;
  readonly health: Health;
  readonly ready: number;
}

export function aggregate(a: AggregateInput): Aggregate {
  const ready = a.instances.filter(instanceReady).length;
  const some = (...ls: Lifecycle[]): boolean => a.instances.some((i) => ls.includes(i.lifecycle));
  const all = (...ls: Lifecycle[]): boolean => a.instances.every((i) => ls.includes(i.lifecycle));
  if (a.quarantined) {
    return { lifecycle: some('stopping') ? 'stopping' : 'quarantined', health: 'unknown', ready };
  }
  if (a.setFailed) return { lifecycle: 'failed', health: 'unknown', ready };
  if (a.desired === 'down') {
    if (some('stopping', 'starting', 'running'))
      return { lifecycle: 'stopping', health: 'unknown', ready };
    return {
      lifecycle: a.instances.length === 0 || all('pending') ? 'pending' : 'stopped',
      health: 'unknown',
      ready,
    };
  }
  const need = Math.max(1, Math.min(a.minReady, a.wanted));
  if (ready >= need) {
    return { lifecycle: 'running', health: ready >= a.wanted ? 'healthy' : 'degraded', ready };
  }
  const worst: Health = a.instances.some((i) => i.health === 'timeout')
    ? 'timeout'
    : a.instances.some((i) => i.health === 'unhealthy')
      ? 'unhealthy'
      : 'unknown';
  if (a.instances.length === 0) return { lifecycle: 'pending', health: 'unknown', ready };
  // `pending`: asked up a moment ago, not yet spawned (or waiting for a launch slot).
  if (some('starting', 'stopping', 'pending'))
    return { lifecycle: 'starting', health: worst, ready };
  if (some('backoff')) return { lifecycle: 'backoff', health: worst, ready };
  // Running, but fewer than min_ready serve: up and not healthy enough.
  if (some('running'))
    return { lifecycle: 'running', health: worst === 'unknown' ? 'unhealthy' : worst, ready };
  if (all('waiting')) return { lifecycle: 'waiting', health: 'unknown', ready };
  if (some('pending', 'waiting')) return { lifecycle: 'waiting', health: worst, ready };
  if (all('completed')) return { lifecycle: 'completed', health: 'unknown', ready };
  if (some('failed', 'quarantined')) return { lifecycle: 'failed', health: worst, ready };
  return { lifecycle: 'stopped', health: 'unknown', ready };
}
