/**
 * The renderer's data, and pure reducers that move it: a snapshot replaces everything, then each
 * stream event patches the one service (or the system) it is about. Events do not carry every
 * field of a service view; what they miss (restart counts, breaker details) is patched from the
 * healing events and reconciled by a periodic `listServices` (see `reconcileServices`).
 */
import {
  displayStatus,
  type BreakerState,
  type DisplayStatus,
  type Lifecycle,
} from '../../shared/model.js';
import type {
  HealingEvent,
  HealthEvent,
  ServiceEvent,
  StatusEvent,
  VigilEvent,
} from '../../shared/events.js';
import type { InstanceView, ServiceView, StatusResponse, SystemView } from '../../shared/views.js';
import { isRestartAction } from '../../shared/lifecycle.js';

/** Healing events kept in memory (newest first). */
export const HEALING_CAP = 2_000;

export interface DataState {
  readonly services: Readonly<Record<string, ServiceView>>;
  /** Service names by phase, then name: the order of lists and keyboard navigation. */
  readonly order: readonly string[];
  readonly system: SystemView | null;
  /** Newest first, at most HEALING_CAP. */
  readonly healing: readonly HealingEvent[];
  readonly lastStatus: StatusEvent | null;
  /** Wall-clock time (ms) the last snapshot arrived; uptime counts on from it. */
  readonly snapshotAt: number | null;
}

export const EMPTY_DATA: DataState = {
  services: {},
  order: [],
  system: null,
  healing: [],
  lastStatus: null,
  snapshotAt: null,
};

function orderOf(services: Readonly<Record<string, ServiceView>>): string[] {
  return Object.values(services)
    .sort((a, b) => a.phase - b.phase || a.name.localeCompare(b.name))
    .map((s) => s.name);
}

function healingKey(e: HealingEvent): string {
  return `${e.ts}|${e.service}|${e.action}|${e.attempt}|${e.generation}`;
}

/** Merges two newest-first healing lists without duplicates, newest first, capped. */
export function mergeHealing(
  a: readonly HealingEvent[],
  b: readonly HealingEvent[],
  cap = HEALING_CAP,
): HealingEvent[] {
  const seen = new Set<string>();
  const all = [...a, ...b].sort((x, y) => y.ts - x.ts);
  const out: HealingEvent[] = [];
  for (const e of all) {
    const k = healingKey(e);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
    if (out.length >= cap) break;
  }
  return out;
}

export function applySnapshot(state: DataState, snap: StatusResponse, now: number): DataState {
  const services: Record<string, ServiceView> = {};
  for (const s of snap.services) services[s.name] = s;
  return {
    services,
    order: orderOf(services),
    system: snap.system,
    healing: mergeHealing(snap.recent_healing, state.healing),
    lastStatus: snap.last_status_event,
    snapshotAt: now,
  };
}

function patchService(
  state: DataState,
  name: string,
  patch: (s: ServiceView) => ServiceView,
): DataState {
  const current = state.services[name];
  if (!current) return state;
  return { ...state, services: { ...state.services, [name]: patch(current) } };
}

/** Healing actions about a replicated service's instances, scale, pool and failover. */
export const REPLICA_ACTIONS: ReadonlySet<HealingEvent['action']> = new Set<HealingEvent['action']>(
  [
    'instance_added',
    'instance_lost',
    'scaling_executed',
    'failover_completed',
    'failback_completed',
    'topology_updated',
  ],
);

/** `api#1` -> { service: 'api', index: 1 }; null for a service name (no `#`). */
export function parseInstanceId(id: string): { service: string; index: number } | null {
  const at = id.lastIndexOf('#');
  if (at <= 0) return null;
  const index = Number(id.slice(at + 1));
  if (!Number.isInteger(index) || index < 0) return null;
  return { service: id.slice(0, at), index };
}

/**
 * The replicated service whose view an event makes stale, or null. Instance events carry
 * `api#0` (no view of their own: the parent's instance list shows them); replica events
 * (instances joining or leaving, scaling, failover, pool changes) carry the service itself.
 * Events do not carry the figures of the instance list, so the caller re-reads the parent's view.
 */
export function staleReplicaView(state: DataState, ev: VigilEvent): string | null {
  if (ev.type === 'log' || ev.type === 'status_update') return null;
  const inst = parseInstanceId(ev.service);
  if (inst) return state.services[inst.service]?.replicas ? inst.service : null;
  if (ev.type === 'healing_event' && REPLICA_ACTIONS.has(ev.action)) {
    return state.services[ev.service] ? ev.service : null;
  }
  return null;
}

/** Patches one instance of a replicated service (`api#1`), when the service lists it. */
function patchInstance(
  state: DataState,
  id: string,
  patch: (i: InstanceView) => InstanceView,
): DataState {
  const inst = parseInstanceId(id);
  const r = inst ? state.services[inst.service]?.replicas : null;
  const at = r ? r.instances.findIndex((i) => i.id === id) : -1;
  if (!inst || !r || at < 0) return state;
  return patchService(state, inst.service, (s) => {
    const instances = r.instances.slice();
    instances[at] = patch(instances[at]!);
    return { ...s, replicas: { ...r, instances } };
  });
}

const iso = (ms: number | undefined | null): string | null =>
  ms === undefined || ms === null ? null : new Date(ms).toISOString();

function onServiceEvent(state: DataState, ev: ServiceEvent): DataState {
  if (parseInstanceId(ev.service)) {
    // Until the parent's view is re-read: the instance's state, so that its cell moves now.
    return patchInstance(state, ev.service, (i) => ({
      ...i,
      lifecycle: ev.to,
      status: ev.status,
      health: ev.pid === null ? 'unknown' : i.health,
      pid: ev.pid,
      generation: ev.generation,
      since: new Date(ev.ts).toISOString(),
      in_pool: ev.to === 'running' ? i.in_pool : false,
    }));
  }
  return patchService(state, ev.service, (s) => {
    const to: Lifecycle = ev.to;
    return {
      ...s,
      lifecycle: to,
      status: ev.status,
      // No instance left (crashed, stopped): Vigil's health of it is unknown, as its API says.
      // A registered service has no pid of Vigil's and keeps the health its checks gave it.
      health: ev.pid === null && !s.registered ? 'unknown' : s.health,
      generation: ev.generation,
      pid: ev.pid,
      since: new Date(ev.ts).toISOString(),
      blocked_by: to === 'waiting' ? (ev.blockedBy ?? s.blocked_by) : [],
      next_attempt_at: to === 'backoff' ? iso(ev.nextAttemptAt) : null,
      started_at: to === 'starting' ? new Date(ev.ts).toISOString() : s.started_at,
      not_ready:
        to === 'starting'
          ? {
              failed_checks: 0,
              last_failure: null,
              startup_deadline: iso(ev.startupDeadline),
            }
          : null,
      started_without:
        to === 'starting' ? (ev.startedWithout ?? []) : to === 'running' ? s.started_without : [],
      quarantine_reason:
        to === 'quarantined' ? (s.quarantine_reason ?? ev.reason.message) : s.quarantine_reason,
      last_error:
        to === 'failed' ||
        ((ev.reason.kind === 'exit' || ev.reason.kind === 'signal') && to !== 'stopped')
          ? ev.reason.message
          : s.last_error,
    };
  });
}

function onHealthEvent(state: DataState, ev: HealthEvent): DataState {
  if (parseInstanceId(ev.service)) {
    return patchInstance(state, ev.service, (i) => ({
      ...i,
      health: ev.to,
      status: displayStatus(i.lifecycle, ev.to),
      last_check: ev.result,
    }));
  }
  return patchService(state, ev.service, (s) => ({
    ...s,
    health: ev.to,
    status: displayStatus(s.lifecycle, ev.to),
    last_check: ev.result,
    consecutive_failures: ev.consecutiveFailures,
    not_ready:
      s.lifecycle === 'starting' && s.not_ready
        ? {
            ...s.not_ready,
            failed_checks: ev.startFailures ?? s.not_ready.failed_checks,
            last_failure: ev.result.ok ? s.not_ready.last_failure : ev.result.detail,
          }
        : s.not_ready,
  }));
}

function breakerAfter(action: HealingEvent['action'], given: BreakerState | undefined) {
  if (action === 'breaker_open') return 'open';
  if (action === 'breaker_half_open') return 'half-open';
  if (action === 'breaker_closed') return 'closed';
  return given;
}

function onHealingEvent(state: DataState, ev: HealingEvent): DataState {
  const withList: DataState = { ...state, healing: mergeHealing([ev], state.healing) };
  return patchService(withList, ev.service, (s) => {
    let next: ServiceView = s;
    if (isRestartAction(ev.action)) {
      next = {
        ...next,
        restart_count: next.restart_count + 1,
        restart_attempts: ev.attempt,
        last_restart: new Date(ev.ts).toISOString(),
        last_restart_reason: ev.reason,
      };
    }
    if (ev.action === 'quarantine') next = { ...next, quarantine_reason: ev.reason.message };
    if (ev.action === 'release') next = { ...next, quarantine_reason: null, restart_attempts: 0 };
    if (ev.action === 'counter_reset') next = { ...next, restart_attempts: 0 };
    const breaker = breakerAfter(ev.action, ev.breaker);
    if (breaker !== undefined && breaker !== next.breaker.state) {
      next = {
        ...next,
        breaker: {
          ...next.breaker,
          state: breaker,
          reason: breaker === 'open' ? ev.reason.message : next.breaker.reason,
          trips: ev.action === 'breaker_open' ? next.breaker.trips + 1 : next.breaker.trips,
          nextTrialAt: breaker === 'open' ? next.breaker.nextTrialAt : null,
        },
      };
    }
    return next;
  });
}

function onStatusEvent(state: DataState, ev: StatusEvent): DataState {
  const system = state.system
    ? {
        ...state.system,
        status: ev.system,
        failing: ev.failing ?? state.system.failing,
        ...(ev.event === 'system-ready'
          ? { is_ready: true, ready_in_ms: ev.readyInMs ?? state.system.ready_in_ms }
          : {}),
        ...(ev.event === 'stack-stopping' ? { stopping: true } : {}),
        ...(ev.event === 'stack-starting' ? { stopping: false } : {}),
      }
    : null;
  return { ...state, system, lastStatus: ev };
}

/** One stream event. `log` events do not touch this state (they go to the log rings). */
export function applyEvent(state: DataState, ev: VigilEvent): DataState {
  switch (ev.type) {
    case 'service_event':
      return onServiceEvent(state, ev);
    case 'health_update':
      return onHealthEvent(state, ev);
    case 'healing_event':
      return onHealingEvent(state, ev);
    case 'status_update':
      return onStatusEvent(state, ev);
    case 'log':
      return state;
  }
}

/** Many events at once (a batch): one new state, not one per event. */
export function applyEvents(state: DataState, events: readonly VigilEvent[]): DataState {
  let s = state;
  for (const ev of events) s = applyEvent(s, ev);
  return s;
}

/**
 * Replaces service views with a fresh list from the API, keeping the previous object of every
 * service whose view did not change (so that memoised views do not re-render). Services that
 * appeared or disappeared (a reload) change the order.
 */
export function reconcileServices(state: DataState, list: readonly ServiceView[]): DataState {
  let changed = list.length !== state.order.length;
  const services: Record<string, ServiceView> = {};
  for (const fresh of list) {
    const old = state.services[fresh.name];
    if (old && sameView(old, fresh)) services[fresh.name] = old;
    else {
      services[fresh.name] = fresh;
      changed = true;
    }
  }
  if (!changed) return state;
  return { ...state, services, order: orderOf(services) };
}

/** Merges one service's detail (a superset of its view) into the state. */
export function mergeServiceDetail(state: DataState, view: ServiceView): DataState {
  if (!state.services[view.name]) return state;
  const current = state.services[view.name]!;
  const slim = pickView(view);
  if (sameView(current, slim)) return state;
  return { ...state, services: { ...state.services, [view.name]: slim } };
}

/** Every key of a ServiceView (a new key that is missing here does not compile). */
const VIEW_KEY_SET: { readonly [K in keyof ServiceView]-?: true } = {
  name: true,
  status: true,
  lifecycle: true,
  health: true,
  pid: true,
  generation: true,
  port: true,
  priority: true,
  required: true,
  is_critical: true,
  oneshot: true,
  registered: true,
  phase: true,
  restart_count: true,
  restart_attempts: true,
  last_restart: true,
  last_restart_reason: true,
  last_error: true,
  blocked_by: true,
  next_attempt_at: true,
  since: true,
  started_at: true,
  consecutive_failures: true,
  last_check: true,
  breaker: true,
  quarantine_reason: true,
  version: true,
  capabilities: true,
  dependencies: true,
  metrics: true,
  not_ready: true,
  started_without: true,
  watch: true,
  replicas: true,
};
const VIEW_KEYS = Object.keys(VIEW_KEY_SET) as (keyof ServiceView)[];

function pickView(v: ServiceView): ServiceView {
  const out: Record<string, unknown> = {};
  for (const k of VIEW_KEYS) out[k] = v[k];
  return out as unknown as ServiceView;
}

function sameView(a: ServiceView, b: ServiceView): boolean {
  for (const k of VIEW_KEYS) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

/** Services per display status, counted from the views themselves. */
export function countByStatus(
  services: Readonly<Record<string, ServiceView>>,
): Record<DisplayStatus, number> {
  const counts: Record<DisplayStatus, number> = {
    healthy: 0,
    degraded: 0,
    unhealthy: 0,
    timeout: 0,
    quarantined: 0,
    stopped: 0,
  };
  for (const s of Object.values(services)) counts[s.status] += 1;
  return counts;
}
