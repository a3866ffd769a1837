/**
 * How the client commands show and read replicated services: the INST column of `vigil ps`, the
 * notes of a service and of an instance row, and the `--instance` and `scale N` arguments.
 */
import { MAX_INSTANCES } from '../../../shared/model.js';
import type { InstanceView, ReplicasView, ServiceView } from '../../../shared/views.js';

/** The INST column: `ready/desired` instances of a replicated service, `-` for a plain one. */
export function instCell(s: ServiceView): string {
  return s.replicas ? `${s.replicas.ready}/${s.replicas.desired}` : '-';
}

/** What a replicated service is doing beyond its instances' states: a rollout, a failover. */
export function replicaNote(r: ReplicasView | null): string {
  if (!r) return '';
  const parts: string[] = [];
  if (r.rollout) {
    const what = r.rollout.kind === 'restart' ? 'rolling restart' : r.rollout.kind;
    parts.push(`${what} ${r.rollout.done}/${r.rollout.total}`);
  }
  if (r.failover?.route === 'backup') {
    parts.push(
      `traffic on backup ${r.failover.backup}${r.failover.pinned ? ' (held by hand)' : ''}`,
    );
  }
  if (r.balancer?.error) parts.push(`balancer: ${r.balancer.error}`);
  return parts.join('; ');
}

/** The NOTE of an instance row: its traffic, and why it takes none or what went wrong. */
export function instanceNote(i: InstanceView): string {
  const parts = [`${i.requests} requests`];
  if (i.errors > 0) parts.push(`${i.errors} errors`);
  if (i.draining) parts.push('draining');
  else if (i.ejected) parts.push('ejected');
  if (i.breaker.state !== 'closed') parts.push(`breaker ${i.breaker.state}`);
  if (i.last_error) parts.push(i.last_error);
  return parts.join(', ');
}

/** `--instance N`: what is wrong with it, or null when it is absent or names an instance. */
export function instanceProblem(
  values: Readonly<Record<string, string | boolean | undefined>>,
  positionals: readonly string[],
): string | null {
  const raw = values['instance'];
  const name = positionals[0] ?? '';
  if (typeof raw !== 'string' || parseInstance(name, raw) !== null) return null;
  return `--instance takes an instance's index (0, 1, ...) or its id (${name}#0), not ${JSON.stringify(raw)}`;
}

/** `scale NAME N`: the number of instances, or null when N is not one. */
export function replicasArg(raw: string | undefined): number | null {
  const n = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(n) && n >= 1 && n <= MAX_INSTANCES ? n : null;
}

/**
 * An instance given as its index (`1`) or its id (`api#1`); null when it is neither (or the id
 * names another service).
 */
export function parseInstance(service: string, raw: string): number | null {
  const m = /^(?:([a-z0-9][a-z0-9_-]*)#)?(\d+)$/.exec(raw.trim());
  if (!m || (m[1] !== undefined && m[1] !== service)) return null;
  const n = Number(m[2]);
  return Number.isSafeInteger(n) && n < MAX_INSTANCES ? n : null;
}
