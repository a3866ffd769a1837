/**
 * One pool of instances (the service's own, or its failover backup's): readiness, ejection,
 * draining, counters and the picker's state. Synchronous and side-effect free apart from the
 * keep-alive agents it owns; the balancer tells the events.
 */
import http from 'node:http';
import { LatencyWindow } from './latency.js';
import { UpstreamPool } from './upstream.js';
import {
  INITIAL_PICKER_STATE,
  isEligible,
  pick,
  type BalanceStrategy,
  type PickerState,
  type PoolMember,
} from './strategies.js';
import type { InstanceSpec, InstanceStats, PoolName } from './types.js';

/** An instance inside the balancer (mutable, never handed out). */
export interface Instance {
  readonly id: string;
  readonly pool: PoolName;
  host: string;
  port: number;
  weight: number;
  /** The owner says it is ready (its probe passes). */
  ownerReady: boolean;
  ejected: boolean;
  draining: boolean;
  active: number;
  requests: number;
  errors: number;
  readonly latency: LatencyWindow;
  /** Keep-alive connections to it for requests with a body (http mode). */
  agent: http.Agent;
  /** Keep-alive connections to it for requests without one (http mode). */
  upstream: UpstreamPool;
  /** Left the pool: finishing requests still count, nothing new goes to it. */
  removed: boolean;
  /** Called when `active` drops (drain waiters). */
  onIdle: (() => void)[];
}

/** Idle keep-alive connections to an instance are closed after this long: shorter than the 5 s
 * after which a Node server closes them, so the balancer is the side that closes, not a race. */
const FREE_SOCKET_MS = 4000;

function newAgent(): http.Agent {
  return new http.Agent({
    keepAlive: true,
    maxFreeSockets: 256,
    scheduling: 'lifo',
    timeout: FREE_SOCKET_MS,
  });
}

export class Pool {
  private readonly instances = new Map<string, Instance>();
  private members: PoolMember[] = [];
  private pickerState: PickerState = INITIAL_PICKER_STATE;

  constructor(
    readonly name: PoolName,
    private readonly strategy: BalanceStrategy,
    private readonly statsWindowMs: number,
    private readonly rng: () => number,
  ) {}

  get(id: string): Instance | undefined {
    return this.instances.get(id);
  }

  all(): Instance[] {
    return [...this.instances.values()];
  }

  /** Adds an instance (not ready until marked so) or updates its address and weight. */
  upsert(spec: InstanceSpec): Instance {
    const existing = this.instances.get(spec.id);
    const weight = spec.weight ?? 1;
    if (existing) {
      if (existing.host !== spec.host || existing.port !== spec.port) {
        // Another process behind the same id: it has to prove itself ready again.
        existing.agent.destroy();
        existing.agent = newAgent();
        existing.upstream.destroy();
        existing.upstream = new UpstreamPool(spec.host, spec.port);
        existing.ownerReady = false;
        existing.ejected = false;
        existing.draining = false;
      }
      existing.host = spec.host;
      existing.port = spec.port;
      existing.weight = weight;
      existing.removed = false;
      this.refresh();
      return existing;
    }
    const inst: Instance = {
      id: spec.id,
      pool: this.name,
      host: spec.host,
      port: spec.port,
      weight,
      ownerReady: false,
      ejected: false,
      draining: false,
      active: 0,
      requests: 0,
      errors: 0,
      latency: new LatencyWindow(this.statsWindowMs),
      agent: newAgent(),
      upstream: new UpstreamPool(spec.host, spec.port),
      removed: false,
      onIdle: [],
    };
    this.instances.set(spec.id, inst);
    this.refresh();
    return inst;
  }

  /** Takes an instance out at once; requests in flight finish, its idle connections close. */
  remove(id: string): boolean {
    const inst = this.instances.get(id);
    if (!inst) return false;
    inst.removed = true;
    this.instances.delete(id);
    if (inst.active === 0) closeConnections(inst);
    this.refresh();
    return true;
  }

  /** Rebuilds the picker's view (after any change of readiness, membership or weight). */
  refresh(): void {
    this.members = [...this.instances.values()].map((i) => ({
      id: i.id,
      weight: i.weight,
      ready: i.ownerReady && !i.ejected,
      draining: i.draining,
      active: i.active,
    }));
  }

  /** Instances that can take new traffic. */
  readyCount(): number {
    let n = 0;
    for (const i of this.instances.values()) if (i.ownerReady && !i.ejected && !i.draining) n++;
    return n;
  }

  choose(clientIp: string, exclude: ReadonlySet<string> | undefined): Instance | null {
    // least_connections reads live counts; the others only readiness (kept in `members`).
    const members =
      this.strategy === 'least_connections'
        ? this.members.map((m) => ({ ...m, active: this.instances.get(m.id)?.active ?? 0 }))
        : this.members;
    const p = pick(this.strategy, this.pickerState, members, {
      clientIp,
      rng: this.rng,
      ...(exclude ? { exclude } : {}),
    });
    this.pickerState = p.state;
    return p.id === null ? null : (this.instances.get(p.id) ?? null);
  }

  /** Any eligible instance other than those excluded (for a retry, whatever the strategy). */
  hasOther(exclude: ReadonlySet<string>): boolean {
    return this.members.some((m) => isEligible(m, exclude));
  }

  stats(now: number): InstanceStats[] {
    return [...this.instances.values()].map((i) => {
      const [p50, p95] = i.latency.percentiles([50, 95], now);
      return {
        id: i.id,
        pool: i.pool,
        host: i.host,
        port: i.port,
        weight: i.weight,
        ready: i.ownerReady && !i.ejected,
        ejected: i.ejected,
        draining: i.draining,
        active: i.active,
        requests: i.requests,
        errors: i.errors,
        latencyP50Ms: p50 ?? null,
        latencyP95Ms: p95 ?? null,
      };
    });
  }

  destroy(): void {
    for (const i of this.instances.values()) closeConnections(i);
    this.instances.clear();
    this.refresh();
  }
}

/** Closes the idle keep-alive connections to an instance (those in use close when done). */
export function closeConnections(inst: Instance): void {
  inst.agent.destroy();
  inst.upstream.destroy();
}

/** Marks the start of a request or connection on an instance. */
export function begin(inst: Instance): void {
  inst.active++;
}

/** Marks its end; wakes drain waiters when the instance has nothing left in flight. */
export function end(inst: Instance, ok: boolean, latencyMs: number | null, now: number): void {
  inst.active = Math.max(0, inst.active - 1);
  if (ok) inst.requests++;
  else inst.errors++;
  if (latencyMs !== null) inst.latency.add(latencyMs, now);
  if (inst.active === 0) {
    if (inst.removed) closeConnections(inst);
    const waiters = inst.onIdle.splice(0);
    for (const w of waiters) w();
  }
}
