/**
 * What the panel and the graph show of a replicated service, as pure functions of its view: the
 * instance strip, the scale bounds, which failover buttons make sense, the traffic split, and
 * the actions they send.
 */
import { MAX_INSTANCES, type BalanceStrategy, type DisplayStatus } from '../../../shared/model.js';
import type { InstanceView, ReplicasView } from '../../../shared/views.js';

/** An action on a replicated service (each is one API command, see the controller). */
export type ReplicaAction =
  | { readonly kind: 'restart_instance'; readonly index: number }
  | { readonly kind: 'restart_all_at_once' }
  | { readonly kind: 'scale'; readonly replicas: number }
  | { readonly kind: 'failover' }
  | { readonly kind: 'failback' };

/** Instances drawn as cells on a graph node; more are summed up as "+N". */
export const STRIP_CAP = 24;

/** Worst first: the "+N" of a capped strip takes the colour of the worst instance it hides. */
const SEVERITY: Readonly<Record<DisplayStatus, number>> = {
  healthy: 0,
  stopped: 1,
  degraded: 2,
  timeout: 3,
  unhealthy: 4,
  quarantined: 5,
};

export interface StripCell {
  readonly id: string;
  readonly status: DisplayStatus;
  /** Running and healthy but taking no traffic (draining, or ejected by the balancer). */
  readonly out: boolean;
}

export interface Strip {
  readonly cells: readonly StripCell[];
  /** Instances not drawn (beyond the cap), and the worst status among them. */
  readonly more: number;
  readonly moreStatus: DisplayStatus | null;
}

function cellOf(i: InstanceView): StripCell {
  return { id: i.id, status: i.status, out: (i.draining || i.ejected) && i.status === 'healthy' };
}

export function instanceStrip(r: ReplicasView, cap = STRIP_CAP): Strip {
  const shown = r.instances.length > cap ? r.instances.slice(0, cap) : r.instances;
  const hidden = r.instances.slice(shown.length);
  let moreStatus: DisplayStatus | null = null;
  for (const i of hidden) {
    if (moreStatus === null || SEVERITY[i.status] > SEVERITY[moreStatus]) moreStatus = i.status;
  }
  return { cells: shown.map(cellOf), more: hidden.length, moreStatus };
}

/**
 * A strip as one string (`healthy healthy unhealthy healthy~ +3:degraded`), so that graph nodes
 * compare their data by value and skip rendering when nothing moved. `~`: out of the pool.
 */
export function encodeStrip(s: Strip): string {
  const cells = s.cells.map((c) => `${c.status}${c.out ? '~' : ''}`);
  if (s.more > 0) cells.push(`+${s.more}:${s.moreStatus ?? 'stopped'}`);
  return cells.join(' ');
}

export function decodeStrip(
  name: string,
  text: string,
): { cells: StripCell[]; more: number; moreStatus: DisplayStatus | null } {
  const cells: StripCell[] = [];
  let more = 0;
  let moreStatus: DisplayStatus | null = null;
  if (text === '') return { cells, more, moreStatus };
  for (const part of text.split(' ')) {
    if (part.startsWith('+')) {
      const [n, status] = part.slice(1).split(':');
      more = Number(n);
      moreStatus = (status as DisplayStatus | undefined) ?? null;
      continue;
    }
    const out = part.endsWith('~');
    cells.push({
      id: `${name}#${cells.length}`,
      status: (out ? part.slice(0, -1) : part) as DisplayStatus,
      out,
    });
  }
  return { cells, more, moreStatus };
}

/**
 * How far the scale control goes. A fixed count (`replicas:`) scales by hand between 1 and
 * Vigil's limit; an automatic one (`scale:`) stays within its own bounds.
 */
export function scaleBounds(r: ReplicasView): { min: number; max: number } {
  if (r.scale.metric === null) return { min: 1, max: MAX_INSTANCES };
  return {
    min: Math.max(1, r.scale.min),
    max: Math.min(MAX_INSTANCES, Math.max(r.scale.min, r.scale.max)),
  };
}

/** The scale control's steps: null where a bound stops it. */
export function scaleSteps(r: ReplicasView): {
  down: ReplicaAction | null;
  up: ReplicaAction | null;
} {
  const { min, max } = scaleBounds(r);
  return {
    down: r.desired > min ? { kind: 'scale', replicas: r.desired - 1 } : null,
    up: r.desired < max ? { kind: 'scale', replicas: r.desired + 1 } : null,
  };
}

/** A typed count, clamped to the bounds; null when it is not a number or changes nothing. */
export function scaleTo(r: ReplicasView, text: string): ReplicaAction | null {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(n)) return null;
  const { min, max } = scaleBounds(r);
  const replicas = Math.min(max, Math.max(min, n));
  return replicas === r.desired ? null : { kind: 'scale', replicas };
}

/**
 * Failover buttons: failing over makes sense unless traffic is already held on the backup by a
 * person; failing back, only while traffic is on the backup.
 */
export function failoverButtons(r: ReplicasView): { failover: boolean; failback: boolean } {
  const f = r.failover;
  if (!f) return { failover: false, failback: false };
  return {
    failover: !(f.route === 'backup' && f.pinned),
    failback: f.route === 'backup',
  };
}

export const STRATEGY_LABEL: Readonly<Record<BalanceStrategy, string>> = {
  round_robin: 'round robin',
  least_connections: 'least connections',
  random: 'random',
  ip_hash: 'IP hash',
  weighted: 'weighted',
};

/** Where an instance stands with the balancer. */
export function poolState(i: InstanceView): 'in pool' | 'draining' | 'ejected' | 'out' {
  if (i.draining) return 'draining';
  if (i.ejected) return 'ejected';
  return i.in_pool ? 'in pool' : 'out';
}

/** An instance's share of the traffic (0-1), from the balancer's split. */
export function shareOf(r: ReplicasView, id: string): number | null {
  const s = r.balancer?.split.find((x) => x.id === id);
  return s ? s.share : null;
}

/** "42 %", "<1 %", "0 %". */
export function formatShare(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return '—';
  if (share <= 0) return '0 %';
  if (share < 0.01) return '<1 %';
  return `${Math.round(share * 100)} %`;
}
