/**
 * Reload rollback, the decision: after a reload, the services it changed (restarted or added) are
 * watched until each is ready. Pure: a function of their facts and of whether their startup
 * deadline has passed.
 *
 * - ready: `running` with a health that is not `unhealthy`/`timeout` and confirmed by a second
 *   passing check after the one that made it ready (so that a process that is "alive" at its
 *   first check and crashes right after counts as failed), or a oneshot `completed`;
 * - failed: it crashed or failed its start since the reload (`backoff`, `failed`, `quarantined`,
 *   or any failure counted since it was asked up), or it is not ready by its startup deadline;
 * - the reload is `ok` once every watched service is ready, `failed` as soon as one fails (the
 *   first in the list, with its reason), `pending` otherwise. A watched service that no longer
 *   exists (removed by a later reload) or that a person stopped is not watched any more.
 */
import { formatDuration } from '../../../shared/duration.js';
import { DOWN_LIFECYCLES } from '../../../shared/lifecycle.js';
import type { ServiceFacts } from './rules.js';

export interface WatchedService {
  readonly name: string;
  readonly facts: ServiceFacts | undefined;
  readonly startupTimeoutMs: number;
  /** True once its startup timeout, counted from the reload, has run out. */
  readonly deadlinePassed: boolean;
  /** Consecutive passing checks of its current instance. */
  readonly checksPassed: number;
}

export type ReloadVerdict =
  | { readonly kind: 'pending'; readonly waitingFor: readonly string[] }
  | { readonly kind: 'ok' }
  | { readonly kind: 'failed'; readonly service: string; readonly reason: string };

/** Passing checks that make a changed service count as ready: its readiness, then one more. */
export const CONFIRMING_CHECKS = 2;

function ready(w: WatchedService): boolean {
  const f = w.facts;
  if (!f) return false;
  return (
    (f.lifecycle === 'running' &&
      f.health !== 'unhealthy' &&
      f.health !== 'timeout' &&
      w.checksPassed >= CONFIRMING_CHECKS) ||
    f.lifecycle === 'completed'
  );
}

function failedState(f: ServiceFacts): boolean {
  return (
    DOWN_LIFECYCLES.has(f.lifecycle) ||
    (f.lifecycle === 'running' && (f.health === 'unhealthy' || f.health === 'timeout'))
  );
}

/** Why a watched service counts as failed, or null when it has not failed (yet). */
export function reloadFailure(w: WatchedService): string | null {
  const f = w.facts;
  if (!f || f.stoppedByUser || ready(w)) return null;
  const why = f.lastError ?? null;
  if (failedState(f)) return why ?? `it is ${f.lifecycle === 'running' ? f.health : f.lifecycle}`;
  if (f.failedSinceUp === true) return why ?? 'it failed';
  if (w.deadlinePassed || f.overdue) {
    return `not ready within its startup timeout of ${formatDuration(w.startupTimeoutMs)}`;
  }
  return null;
}

export function judgeReload(watched: readonly WatchedService[]): ReloadVerdict {
  const waitingFor: string[] = [];
  for (const w of watched) {
    if (!w.facts || w.facts.stoppedByUser) continue;
    const failure = reloadFailure(w);
    if (failure !== null) return { kind: 'failed', service: w.name, reason: failure };
    if (!ready(w)) waitingFor.push(w.name);
  }
  return waitingFor.length === 0 ? { kind: 'ok' } : { kind: 'pending', waitingFor };
}
