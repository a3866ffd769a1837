/**
 * Over 500 lines: one class owns a replicated service's instances, balancer, rollouts, failover
 * and autoscaling, because each of them changes the same set of instances under one queue.
 *
 * A replicated service (SPEC §11): N instances, each a ServiceRunner of its own (`api#0`,
 * `api#1`, ...) with its own port, process, probes, restarts and breaker, behind a balancer on
 * the service's front port. The set adds and removes instances (scaling), replaces them one at a
 * time (rolling restart), tells the balancer which are ready, routes to the failover backup, and
 * shows the supervisor one service whose lifecycle and health aggregate the instances'
 * (aggregate.ts). Every change of the set is an event: instance_added, instance_lost,
 * scaling_executed, failover_completed, failback_completed, topology_updated.
 *
 * Concurrency: operations that change the set (start, stop, scale, restart, quarantine, release,
 * a changed definition) run one at a time through a queue; instance runners heal themselves in
 * between, and their changes reach the set through `onInstanceChanged`.
 */
import {
  displayStatus,
  type Health,
  type Lifecycle,
  type ProbeResult,
  type Reason,
  type ServiceSpec,
} from '../../../shared/model.js';
import type { HealingAction, ReplicaEventFields } from '../../../shared/events.js';
import { VigilError } from '../../../shared/errors.js';
import { formatDuration } from '../../../shared/duration.js';
import { monoToWall, type TimerHandle } from '../clock.js';
import {
  Balancer,
  decideScale,
  type BalancerEvent,
  type InstanceSpec,
  type ScaleSample,
} from '../balancer/index.js';
import { initialHealingState, type HealingState } from '../healing/index.js';
import { initialCounters, type HealthCounters } from '../health/tracker.js';
import { ServiceLogs, findPortHolder, isPortInUse } from '../process/index.js';
import type { MissingDependency, ServiceFacts } from '../lifecycle/rules.js';
import { SerialQueue } from '../runtime/gate.js';
import { ServiceRunner, type RunnerContext } from '../runtime/runner.js';
import { aggregate, instanceReady } from './aggregate.js';
import { instanceSpec, isReplicated, pickPorts } from './spec.js';

export { isReplicated };

/** What the set asks of the supervisor beyond a runner's context. */
export interface ReplicaHost {
  /** Ports other services use (never handed to an instance). */
  reservedPorts(): ReadonlySet<number>;
  /** The failover backup's endpoints and readiness (a plain service or another set). */
  backupEndpoints(name: string): readonly { id: string; port: number; ready: boolean }[];
}

interface Slot {
  readonly index: number;
  readonly id: string;
  readonly port: number | null;
  readonly runner: ServiceRunner;
  /** `leaving`: drained and stopped by the set (scale down, replaced); no longer counted. */
  state: 'active' | 'leaving';
  /** What the balancer was last told. */
  told: boolean | null;
  wasReady: boolean;
}

type Rollout = { kind: 'restart' | 'scale' | 'update'; done: number; total: number };

const AUTOSCALE_TICK_MS = 5_000;

export class ReplicaSet {
  spec: ServiceSpec;
  phase: number;
  readonly logs: ServiceLogs;
  /** Always null: a registered service is never replicated. */
  readonly external = null;
  desired: 'up' | 'down' = 'down';
  stoppedByUser = false;
  /** Instances wanted now (replicas, then scale decisions and `vigil scale`). */
  wanted: number;
  lifecycle: Lifecycle = 'pending';
  aggregateHealth: Health = 'unknown';
  sinceWall: number;
  readyAtMono: number | null = null;
  spawnedAtMono: number | null = null;
  upRequestedAtMono: number | null = null;
  /** Restarts of the whole set (rolling or all at once). */
  private setRestarts = 0;
  private lastSetRestart: { ts: number; reason: Reason } | null = null;
  private quarantineReason: string | null = null;
  private setError: string | null = null;
  private readonly slots = new Map<number, Slot>();
  private balancer: Balancer | null = null;
  private balancerStarting: Promise<void> | null = null;
  private readonly ops = new SerialQueue();
  private rollout: Rollout | null = null;
  private waiters: (() => void)[] = [];
  private lastPool = '';
  private failoverChangedAt: number | null = null;
  private lastDecision: { at: number; from: number; to: number; reason: string } | null = null;
  private samples: ScaleSample[] = [];
  private lastScaleAtMono: number | null = null;
  private autoscaleTimer: TimerHandle | null = null;
  private disposed = false;
  private readonly ictx: RunnerContext;
  /** Generations of the instances that left (see `generation`). */
  private retiredGenerations = 0;
  /** Why the set was last asked to move (launch, a person, a reload), for its lifecycle events. */
  private lastAsk: Reason = { kind: 'launch', message: 'stack launch' };

  constructor(
    spec: ServiceSpec,
    phase: number,
    private readonly ctx: RunnerContext,
    private readonly host: ReplicaHost,
  ) {
    this.spec = spec;
    this.phase = phase;
    this.wanted = spec.replicas ?? spec.scale?.min ?? 1;
    this.sinceWall = ctx.clock.wallNow();
    this.logs = new ServiceLogs({ name: spec.name, logsDir: ctx.logsDir });
    // The instances' context: the supervisor's, except that their changes come here first.
    this.ictx = Object.create(ctx, {
      changed: { value: () => this.onInstanceChanged() },
    }) as RunnerContext;
  }

  get name(): string {
    return this.spec.name;
  }

  get minReady(): number {
    return this.spec.minReady ?? 1;
  }

  /** The instances in index order (leaving ones included while they drain). */
  instances(): readonly Slot[] {
    return [...this.slots.values()].sort((a, b) => a.index - b.index);
  }

  private active(): Slot[] {
    return this.instances().filter((s) => s.state === 'active');
  }

  /** `api#2` for index 2, or a clear error for an index that is not running. */
  instanceId(index: number): string {
    const slot = this.slots.get(index);
    if (!slot) {
      const have = this.instances().map((s) => s.index);
      throw new VigilError('UNKNOWN_SERVICE', `${this.name} has no instance ${index}`, {
        field: 'instance',
        hint: have.length ? `instances: ${have.join(', ')}` : `${this.name} runs no instance`,
      });
    }
    return slot.id;
  }

  // ─── what the supervisor and the views read ──────────────────────────────────────────────

  get health(): Health {
    return this.aggregateHealth;
  }

  get pid(): number | null {
    return null;
  }

  /**
   * Every process the set ever spawned, counted: it only grows (instances that left keep their
   * share), as a runner's generation does, so history and views can order the set's events by it.
   */
  get generation(): number {
    return this.retiredGenerations + this.instances().reduce((m, s) => m + s.runner.generation, 0);
  }

  get restartCount(): number {
    return this.setRestarts + this.instances().reduce((a, s) => a + s.runner.restartCount, 0);
  }

  get lastRestart(): { ts: number; reason: Reason } | null {
    let last = this.lastSetRestart;
    for (const s of this.instances()) {
      const r = s.runner.lastRestart;
      if (r && (!last || r.ts > last.ts)) last = r;
    }
    return last;
  }

  get lastError(): string | null {
    if (this.setError) return this.setError;
    if (this.lifecycle === 'running' && this.aggregateHealth === 'healthy') return null;
    for (const s of this.active()) {
      if (s.runner.lastError) return `${s.id}: ${s.runner.lastError}`;
    }
    return null;
  }

  get lastProbe(): ProbeResult | null {
    let last: ProbeResult | null = null;
    for (const s of this.active()) {
      const p = s.runner.lastProbe;
      if (p && (!last || p.ts > last.ts)) last = p;
    }
    return last;
  }

  get blocked(): string[] {
    return this.lifecycle === 'waiting' ? (this.active()[0]?.runner.blocked ?? []) : [];
  }

  get nextAttemptAtMono(): number | null {
    let next: number | null = null;
    for (const s of this.active()) {
      const n = s.runner.nextAttemptAtMono;
      if (n !== null && (next === null || n < next)) next = n;
    }
    return this.lifecycle === 'backoff' ? next : null;
  }

  get startedAtWall(): number | null {
    let first: number | null = null;
    for (const s of this.active()) {
      const t = s.runner.startedAtWall;
      if (t !== null && (first === null || t < first)) first = t;
    }
    return first;
  }

  /** The worst of the instances' counters (failures in a row, failed checks while starting). */
  get counters(): HealthCounters {
    let c: HealthCounters = { ...initialCounters, health: this.aggregateHealth };
    for (const s of this.active()) {
      const x = s.runner.counters;
      c = {
        ...c,
        consecutiveFailures: Math.max(c.consecutiveFailures, x.consecutiveFailures),
        startFailures: Math.max(c.startFailures, x.startFailures),
        everHealthy: c.everHealthy || x.everHealthy,
      };
    }
    return c;
  }

  get healing(): HealingState {
    const attempts = this.active().reduce((m, s) => Math.max(m, s.runner.healing.attempts), 0);
    return {
      ...initialHealingState,
      attempts,
      quarantine: this.quarantineReason === null ? null : { reason: this.quarantineReason, at: 0 },
    };
  }

  get metrics(): { cpuPercent: number | null; rssBytes: number | null; processes: number | null } {
    let cpu: number | null = null;
    let rss: number | null = null;
    let procs: number | null = null;
    for (const s of this.active()) {
      const m = s.runner.metrics;
      if (m.cpuPercent !== null) cpu = (cpu ?? 0) + m.cpuPercent;
      if (m.rssBytes !== null) rss = (rss ?? 0) + m.rssBytes;
      if (m.processes !== null) procs = (procs ?? 0) + m.processes;
    }
    return { cpuPercent: cpu, rssBytes: rss, processes: procs };
  }

  get startedWithout(): readonly MissingDependency[] {
    return this.active()[0]?.runner.startedWithout ?? [];
  }

  get overdue(): boolean {
    const need = Math.min(this.minReady, this.wanted);
    const ready = this.active().filter((s) => instanceReady(s.runner)).length;
    return ready < need && this.active().some((s) => s.runner.overdue);
  }

  /** The breaker of the instance in the worst state (open, then half-open). */
  breaker(): ReturnType<ServiceRunner['breaker']> {
    const views = this.active().map((s) => s.runner.breaker());
    return (
      views.find((b) => b.state === 'open') ??
      views.find((b) => b.state === 'half-open') ??
      views[0] ?? { state: 'closed', failures: 0, reason: null, nextTrialAt: null, trips: 0 }
    );
  }

  facts(): ServiceFacts {
    const failed = this.active().filter((s) => s.runner.failedSinceUp).length;
    return {
      name: this.name,
      lifecycle: this.lifecycle,
      health: this.aggregateHealth,
      required: this.spec.required,
      priority: this.spec.priority,
      oneshot: this.spec.oneshot,
      overdue: this.overdue,
      stoppedByUser: this.stoppedByUser,
      failedSinceUp: failed > 0 && this.lifecycle !== 'running',
      lastError: this.lastError,
    };
  }

  startupDeadlineWall(): number | null {
    if (this.lifecycle !== 'starting') return null;
    let first: number | null = null;
    for (const s of this.active()) {
      const d = s.runner.startupDeadlineWall();
      if (d !== null && (first === null || d < first)) first = d;
    }
    return first;
  }

  /** What the balancer reports per instance, by id. */
  trafficStats(): ReturnType<Balancer['stats']> {
    return this.balancer?.stats() ?? [];
  }

  balancerInfo(): {
    readonly host: string;
    readonly port: number | null;
    readonly listening: boolean;
    readonly error: string | null;
  } | null {
    if (!this.needsBalancer()) return null;
    return {
      host: this.host_(),
      port: this.balancer?.address.port ?? this.spec.port ?? null,
      listening: this.balancer !== null,
      error: this.balancer ? null : this.setError,
    };
  }

  failoverInfo(): {
    readonly route: 'primary' | 'backup';
    readonly pinned: boolean;
    readonly changedAt: number | null;
  } | null {
    if (!this.spec.failover) return null;
    const st = this.balancer?.failoverStatus();
    return {
      route: st?.route ?? 'primary',
      pinned: st?.pinned ?? false,
      changedAt: this.failoverChangedAt,
    };
  }

  scaleInfo(): { last: { at: number; from: number; to: number; reason: string } | null } {
    return { last: this.lastDecision };
  }

  rolloutInfo(): Rollout | null {
    return this.rollout ? { ...this.rollout } : null;
  }

  beginUpCycle(): void {
    this.upRequestedAtMono = null;
    for (const s of this.active()) s.runner.beginUpCycle();
  }

  // ─── instances ───────────────────────────────────────────────────────────────────────────

  private needsBalancer(): boolean {
    return this.spec.port !== undefined;
  }

  /** Where the balancer listens: `balance.host`, else 127.0.0.1. */
  private host_(): string {
    return this.spec.balance?.host ?? '127.0.0.1';
  }

  /** Adds `n` instances (ports chosen now) and asks each up. */
  private async addInstances(n: number, reason: Reason): Promise<Slot[]> {
    if (n <= 0) return [];
    const reserved = new Set(this.host.reservedPorts());
    if (this.spec.port !== undefined) reserved.add(this.spec.port);
    for (const s of this.slots.values()) if (s.port !== null) reserved.add(s.port);
    const ports =
      this.spec.port === undefined && !this.spec.ports
        ? Array.from({ length: n }, () => null)
        : await pickPorts(this.name, n, this.spec.ports, reserved);
    const added: Slot[] = [];
    for (const port of ports) {
      let index = 0;
      while (this.slots.has(index)) index++;
      const id = `${this.name}#${index}`;
      const runner = new ServiceRunner(instanceSpec(this.spec, port), this.phase, this.ictx, {
        id,
        service: this.name,
        index,
        logs: this.logs,
        drain: (timeoutMs) => this.balancer?.drain(id, timeoutMs) ?? Promise.resolve(),
      });
      const slot: Slot = { index, id, port, runner, state: 'active', told: null, wasReady: false };
      this.slots.set(index, slot);
      added.push(slot);
      if (port !== null)
        this.balancer?.add({ id, host: '127.0.0.1', port, ...this.weightOf(index) });
      this.replicaEvent(
        'instance_added',
        reason,
        `${id} joined${port !== null ? ` on port ${port}` : ''}`,
        {
          instance: id,
        },
      );
    }
    for (const s of added) s.runner.requestUp(reason);
    this.onInstanceChanged();
    return added;
  }

  private weightOf(index: number): { weight?: number } {
    const w = this.spec.balance?.weights?.[index];
    return w !== undefined ? { weight: w } : {};
  }

  /** Drains an instance (no new traffic; in-flight requests finish up to stop.timeout), stops it and removes it. */
  private async removeInstance(slot: Slot, reason: Reason, why: string): Promise<void> {
    slot.state = 'leaving';
    this.onInstanceChanged();
    if (this.balancer) await this.balancer.drain(slot.id, this.spec.stop.timeoutMs);
    await slot.runner.stop(reason, { byUser: false });
    this.balancer?.remove(slot.id);
    this.retiredGenerations += slot.runner.generation;
    slot.runner.dispose();
    this.slots.delete(slot.index);
    this.replicaEvent('instance_lost', reason, `${slot.id} left: ${why}`, { instance: slot.id });
    this.onInstanceChanged();
  }

  /** An instance's state changed (or the set's): re-aggregate, tell the balancer, wake waiters. */
  private onInstanceChanged(): void {
    if (this.disposed) return;
    for (const s of this.slots.values()) {
      const ready = s.state === 'active' && instanceReady(s.runner);
      if (s.wasReady && !ready && s.state === 'active' && this.desired === 'up') {
        const why = s.runner.lastError ?? `${s.runner.lifecycle}`;
        this.replicaEvent(
          'instance_lost',
          { kind: 'probe', message: `${s.id} is not ready: ${why}` },
          `${s.id} is not ready: ${why}`,
          { instance: s.id },
        );
      }
      s.wasReady = ready;
      if (this.balancer && s.port !== null && s.told !== ready) {
        s.told = ready;
        if (ready) this.balancer.markReady(s.id);
        else this.balancer.markNotReady(s.id);
      }
    }
    this.reaggregate();
    this.checkTopology();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private reaggregate(): void {
    const a = aggregate({
      instances: this.active().map((s) => s.runner),
      wanted: this.wanted,
      minReady: this.minReady,
      desired: this.desired,
      quarantined: this.quarantineReason !== null,
      setFailed: this.setError !== null && this.balancer === null && this.needsBalancer(),
    });
    const from = this.lifecycle;
    const prevHealth = this.aggregateHealth;
    const healthChanged = a.health !== prevHealth;
    this.aggregateHealth = a.health;
    if (healthChanged) {
      // Like a runner: the health first, then the lifecycle it leads to (history reads them so).
      const probe = this.lastProbe;
      const ts = this.ctx.clock.wallNow();
      this.ctx.emit({
        type: 'health_update',
        ts,
        service: this.name,
        generation: this.generation,
        result: {
          ok: a.health === 'healthy' || a.health === 'degraded',
          timedOut: a.health === 'timeout',
          latencyMs: probe?.latencyMs ?? 0,
          probe: probe?.probe ?? 'process',
          detail: `${a.ready} of ${this.wanted} instance${this.wanted === 1 ? '' : 's'} ready`,
          ts,
        },
        from: prevHealth,
        to: a.health,
        consecutiveFailures: this.counters.consecutiveFailures,
        consecutiveSuccesses: 0,
      });
    }
    if (a.lifecycle === 'running' && this.readyAtMono === null)
      this.readyAtMono = this.ctx.clock.now();
    if (a.lifecycle !== 'running' && a.lifecycle !== 'stopping' && from === 'running')
      this.readyAtMono = null;
    if (a.lifecycle !== from) {
      this.lifecycle = a.lifecycle;
      this.sinceWall = this.ctx.clock.wallNow();
      if (a.lifecycle === 'starting' && this.spawnedAtMono === null)
        this.spawnedAtMono = this.ctx.clock.now();
      this.ctx.emit({
        type: 'service_event',
        ts: this.sinceWall,
        service: this.name,
        from,
        to: a.lifecycle,
        status: displayStatus(a.lifecycle, a.health),
        generation: this.generation,
        pid: null,
        reason: this.lifecycleReason(from, a.lifecycle, a.ready),
        ...(a.lifecycle === 'waiting' ? { blockedBy: this.blocked } : {}),
      });
      this.ctx.changed(this.name);
    } else if (healthChanged) {
      this.ctx.changed(this.name);
    }
  }

  /**
   * Why the service's lifecycle moved: falling below `min_ready` is a failure of its instances
   * (history counts an outage); getting there, and every move a person, the launch or a reload
   * asked for, is not.
   */
  private lifecycleReason(from: Lifecycle, to: Lifecycle, ready: number): Reason {
    const count = `${ready} of ${this.wanted} instance${this.wanted === 1 ? '' : 's'} ready (min_ready ${this.minReady})`;
    const fell =
      this.desired === 'up' &&
      (to === 'backoff' || to === 'failed' || (from === 'running' && to !== 'running'));
    if (fell) {
      const why = this.lastError;
      return { kind: 'probe', message: why ? `${count}: ${why}` : count };
    }
    if (to === 'running') return { kind: 'probe', message: `ready: ${count}` };
    return { ...this.lastAsk, message: `${this.lastAsk.message}: ${count}` };
  }

  /** topology_updated when the instances taking traffic change. */
  private checkTopology(): void {
    if (!this.balancer) return;
    const pool = this.balancer
      .stats()
      .filter((s) => s.pool === 'primary' && s.ready && !s.draining)
      .map((s) => s.id)
      .sort();
    const key = pool.join(',');
    if (key === this.lastPool) return;
    const before = this.lastPool === '' ? 0 : this.lastPool.split(',').length;
    this.lastPool = key;
    this.replicaEvent(
      'topology_updated',
      { kind: 'probe', message: 'instances in the pool changed' },
      pool.length > 0 ? `taking traffic: ${pool.join(', ')}` : 'no instance takes traffic',
      { from: before, to: pool.length, pool },
    );
  }

  private onBalancerEvent(ev: BalancerEvent): void {
    switch (ev.type) {
      case 'failover_completed':
      case 'failback_completed': {
        this.failoverChangedAt = this.ctx.clock.wallNow();
        const message =
          ev.type === 'failover_completed'
            ? `traffic goes to ${this.spec.failover?.backup ?? 'the backup'}: ${ev.reason}`
            : `traffic is back on ${this.name}'s own instances: ${ev.reason}`;
        this.replicaEvent(ev.type, { kind: ev.manual ? 'manual' : 'probe', message }, message, {});
        return;
      }
      case 'ejected':
        this.ctx.logger.info(`${this.name}: ${ev.id} taken out of the pool (${ev.reason})`);
        queueMicrotask(() => this.checkTopology());
        return;
      case 'restored':
      case 'drained':
        queueMicrotask(() => this.checkTopology());
        return;
      default:
        return;
    }
  }

  private replicaEvent(
    action: HealingAction,
    reason: Reason,
    message: string,
    replica: ReplicaEventFields,
  ): void {
    this.ctx.emit({
      type: 'healing_event',
      ts: this.ctx.clock.wallNow(),
      service: this.name,
      action,
      reason: { ...reason, message },
      attempt: 0,
      generation: this.generation,
      replica,
    });
  }

  /** Resolves when `pred` holds (checked after every instance change) or after `ms`. */
  private waitFor(pred: () => boolean, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      let done = false;
      const timer = this.ctx.clock.setTimeout(() => finish(pred()), ms);
      const finish = (ok: boolean): void => {
        if (done) return;
        done = true;
        timer.cancel();
        resolve(ok);
      };
      const check = (): void => {
        if (done) return;
        if (pred()) finish(true);
        else if (this.disposed) finish(false);
        else this.waiters.push(check);
      };
      check();
    });
  }

  // ─── the balancer ────────────────────────────────────────────────────────────────────────

  /** Listens on the front port; a port held by another process fails the service, clearly. */
  private async ensureBalancer(): Promise<boolean> {
    if (!this.needsBalancer()) return true;
    if (this.balancer) return true;
    if (this.balancerStarting) {
      await this.balancerStarting;
      return this.balancer !== null;
    }
    const port = this.spec.port!;
    this.balancerStarting = (async () => {
      try {
        this.balancer = await Balancer.start(
          {
            service: this.name,
            mode: this.spec.balance?.mode ?? 'http',
            strategy: this.spec.balance?.strategy ?? 'round_robin',
            port,
            host: this.host_(),
            ...(this.spec.failover
              ? {
                  failover: {
                    backup: this.spec.failover.backup,
                    failbackAfterMs: this.spec.failover.failbackAfterMs,
                  },
                }
              : {}),
            onEvent: (ev) => this.onBalancerEvent(ev),
          },
          this.ctx.clock,
        );
        this.setError = null;
        for (const s of this.slots.values()) {
          s.told = null;
          if (s.port !== null)
            this.balancer.add({
              id: s.id,
              host: '127.0.0.1',
              port: s.port,
              ...this.weightOf(s.index),
            });
        }
        this.lastPool = '';
        this.syncBackup();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        let message = `the balancer could not listen on port ${port}: ${err instanceof Error ? err.message : String(err)}`;
        if (code === 'EADDRINUSE' || (await isPortInUse(port))) {
          const holder = findPortHolder(port);
          const who = holder ? ` by pid ${holder.pid} (${holder.command})` : '';
          message = `port ${port} is already in use${who}; free it or change the service's port`;
        }
        this.setError = message;
        this.ctx.logger.error(`${this.name}: ${message}`);
      }
    })();
    try {
      await this.balancerStarting;
    } finally {
      this.balancerStarting = null;
    }
    this.onInstanceChanged();
    return this.balancer !== null;
  }

  private async closeBalancer(): Promise<void> {
    const b = this.balancer;
    this.balancer = null;
    this.lastPool = '';
    if (b) await b.close();
  }

  /** The plain service `id`, this set's backup, is about to be stopped: let its requests finish. */
  async drainBackup(id: string, timeoutMs: number): Promise<void> {
    await this.balancer?.drain(id, timeoutMs);
  }

  /** The backup service changed: its endpoints and readiness go to the balancer's backup pool. */
  syncBackup(): void {
    const backup = this.spec.failover?.backup;
    if (!backup || !this.balancer) return;
    const eps = this.host.backupEndpoints(backup);
    const list: InstanceSpec[] = eps.map((e) => ({ id: e.id, host: '127.0.0.1', port: e.port }));
    this.balancer.setBackupInstances(list);
    for (const e of eps) {
      if (e.ready) this.balancer.markReady(e.id);
      else this.balancer.markNotReady(e.id);
    }
  }

  // ─── operations ──────────────────────────────────────────────────────────────────────────

  /** The launch or a person wants it up: the balancer listens and `wanted` instances come up. */
  requestUp(reason: Reason): void {
    if (this.disposed) return;
    this.lastAsk = reason;
    this.desired = 'up';
    this.stoppedByUser = false;
    if (this.upRequestedAtMono === null) this.upRequestedAtMono = this.ctx.clock.now();
    if (this.quarantineReason !== null) return;
    void this.ops.run(() => this.bringUp(reason)).catch((err: unknown) => this.opFailed(err));
  }

  private async bringUp(reason: Reason): Promise<void> {
    if (this.desired !== 'up' || this.disposed || this.quarantineReason !== null) return;
    if (!(await this.ensureBalancer())) return;
    const missing = this.wanted - this.active().length;
    if (missing > 0) await this.addInstances(missing, reason);
    for (const s of this.active()) s.runner.requestUp(reason);
    this.startAutoscale();
  }

  private opFailed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.setError = message;
    this.ctx.logger.error(`${this.name}: ${message}`);
    this.onInstanceChanged();
  }

  dependencyChanged(): void {
    for (const s of this.active()) s.runner.dependencyChanged();
  }

  async checkNow(): Promise<ProbeResult | null> {
    const results = await Promise.all(this.active().map((s) => s.runner.checkNow()));
    const got = results.filter((r): r is ProbeResult => r !== null);
    return got.find((r) => !r.ok) ?? got[0] ?? null;
  }

  stop(
    reason: Reason,
    opts: { byUser?: boolean; signal?: NodeJS.Signals; onSlow?: (ms: number) => void } = {},
  ): Promise<void> {
    this.desired = 'down';
    this.lastAsk = reason;
    if (opts.byUser !== false) this.stoppedByUser = true;
    this.stopAutoscale();
    // A rolling restart waiting for a replacement gives way now instead of at its timeout.
    this.onInstanceChanged();
    return this.ops.run(async () => {
      await this.stopInstances(reason, opts);
      await this.closeBalancer();
      this.onInstanceChanged();
    });
  }

  private async stopInstances(
    reason: Reason,
    opts: { byUser?: boolean; signal?: NodeJS.Signals; onSlow?: (ms: number) => void } = {},
  ): Promise<void> {
    await Promise.all(
      this.instances().map(async (s) => {
        if (this.balancer && !opts.signal)
          await this.balancer.drain(s.id, this.spec.stop.timeoutMs);
        await s.runner.stop(reason, {
          byUser: opts.byUser ?? true,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onSlow ? { onSlow: opts.onSlow } : {}),
        });
      }),
    );
  }

  /** SIGKILL to every instance's group (second Ctrl-C). */
  killAll(): void {
    for (const s of this.slots.values()) s.runner.proc?.signalGroup('SIGKILL');
  }

  start(reason: Reason): Promise<void> {
    if (this.quarantineReason !== null) {
      return Promise.reject(
        new VigilError(
          'QUARANTINED',
          `${this.name} is quarantined (${this.quarantineReason}); release it first`,
        ),
      );
    }
    this.beginUpCycle();
    this.desired = 'up';
    this.lastAsk = reason;
    this.stoppedByUser = false;
    for (const s of this.active()) s.runner.stoppedByUser = false;
    return this.ops.run(() => this.bringUp(reason));
  }

  /**
   * Restarts every instance. Rolling (the default): one at a time, a new instance is started,
   * waits until ready, joins the pool, and only then is an old one drained and stopped, so the
   * service never has fewer ready instances than before. A replacement that does not become
   * ready within the startup timeout is stopped, the old instances are kept and the restart
   * fails. `allAtOnce` stops every instance first, then starts them again.
   * Resolves to how it was done, for the answer.
   */
  restart(reason: Reason, opts: { force?: boolean; allAtOnce?: boolean } = {}): Promise<string> {
    if (this.quarantineReason !== null && !opts.force) {
      return Promise.reject(
        new VigilError(
          'QUARANTINED',
          `${this.name}: quarantined (${this.quarantineReason}); release it or restart with force`,
        ),
      );
    }
    return this.ops.run(async () => {
      if (this.quarantineReason !== null) {
        this.quarantineReason = null;
        this.replicaEvent(
          'release',
          reason,
          `quarantine cleared by forced restart (${reason.message})`,
          {},
        );
      }
      this.setRestarts += 1;
      this.lastAsk = reason;
      this.lastSetRestart = { ts: this.ctx.clock.wallNow(), reason };
      this.desired = 'up';
      this.stoppedByUser = false;
      this.setError = null;
      if (!(await this.ensureBalancer()))
        throw new VigilError('PORT_IN_USE', this.setError ?? 'the balancer could not start');
      const old = this.active();
      // Nothing serving: there is no traffic to keep, a rolling restart would only be slower.
      if (opts.allAtOnce || !old.some((s) => instanceReady(s.runner))) {
        await Promise.all(old.map((s) => this.removeInstance(s, reason, 'restarted all at once')));
        await this.addInstances(this.wanted, reason);
        this.startAutoscale();
        return 'all at once';
      }
      await this.rollingReplace(old, reason, 'restart');
      this.startAutoscale();
      return `rolling, ${old.length} instance${old.length === 1 ? '' : 's'} replaced one at a time`;
    });
  }

  private async rollingReplace(
    old: readonly Slot[],
    reason: Reason,
    kind: Rollout['kind'],
  ): Promise<void> {
    this.rollout = { kind, done: 0, total: old.length };
    try {
      for (const prev of old) {
        if (this.desired !== 'up' || this.disposed) return;
        const [next] = await this.addInstances(1, reason);
        const ready = await this.waitFor(
          () =>
            this.desired !== 'up' ||
            instanceReady(next!.runner) ||
            ['failed', 'quarantined', 'backoff'].includes(next!.runner.lifecycle),
          this.spec.startupTimeoutMs + 1_000,
        );
        if (this.desired !== 'up') return; // stopped meanwhile: the stop takes it from here
        if (!ready || !instanceReady(next!.runner)) {
          const why =
            next!.runner.lastError ??
            `not ready within ${formatDuration(this.spec.startupTimeoutMs)}`;
          await this.removeInstance(next!, reason, `replacement failed: ${why}`);
          throw new VigilError(
            'CONFLICT',
            `${this.name}: rolling ${kind} stopped at ${this.rollout.done} of ${this.rollout.total}: the new instance ${next!.id} did not become ready (${why}); the running instances were kept`,
          );
        }
        await this.removeInstance(prev, reason, `replaced by ${next!.id}`);
        this.rollout = { ...this.rollout, done: this.rollout.done + 1 };
      }
    } finally {
      this.rollout = null;
      this.onInstanceChanged();
    }
  }

  /** Restarts one instance (drained first). */
  async restartInstance(index: number, reason: Reason, force: boolean): Promise<string> {
    const id = this.instanceId(index);
    const slot = this.slots.get(index)!;
    if (this.balancer && slot.port !== null)
      await this.balancer.drain(id, this.spec.stop.timeoutMs);
    slot.told = null;
    await slot.runner.restart(reason, { force });
    this.onInstanceChanged();
    return id;
  }

  /**
   * Sets the number of instances. Up: new instances with their own ports join as they become
   * ready. Down: the highest-numbered instances (those not ready first) are drained, then
   * stopped. Resolves with a sentence for the answer.
   */
  scaleTo(n: number, reason: Reason, metric: ReplicaEventFields['metric'] = null): Promise<string> {
    const scale = this.spec.scale;
    if (scale && metric === null && (n < scale.min || n > scale.max)) {
      return Promise.reject(
        new VigilError(
          'BAD_REQUEST',
          `${this.name} scales between ${scale.min} and ${scale.max} instances (scale: in the stack file); ${n} is outside`,
          {
            field: 'replicas',
            hint: `pick a count from ${scale.min} to ${scale.max}, or change scale.min/max`,
          },
        ),
      );
    }
    if (this.ports() !== null && n > this.ports()!.length) {
      return Promise.reject(
        new VigilError(
          'BAD_REQUEST',
          `${this.name} has ${this.ports()!.length} instance ports (ports: in the stack file); ${n} instances do not fit`,
          {
            field: 'replicas',
            hint: 'widen the `ports:` range',
          },
        ),
      );
    }
    return this.ops.run(async () => {
      const from = this.wanted;
      this.wanted = n;
      const why = reason.message;
      if (n !== from) {
        this.lastScaleAtMono = this.ctx.clock.now();
        this.lastDecision = { at: this.ctx.clock.wallNow(), from, to: n, reason: why };
        this.replicaEvent(
          'scaling_executed',
          reason,
          `scaled ${this.name} from ${from} to ${n} instance${n === 1 ? '' : 's'}: ${why}`,
          { from, to: n, metric },
        );
      }
      if (this.desired !== 'up' || this.quarantineReason !== null) {
        this.onInstanceChanged();
        return `${this.name} will run ${n} instance${n === 1 ? '' : 's'} when started`;
      }
      const active = this.active();
      if (n > active.length) {
        this.rollout = { kind: 'scale', done: 0, total: n - active.length };
        try {
          await this.addInstances(n - active.length, reason);
        } finally {
          this.rollout = null;
        }
      } else if (n < active.length) {
        const order = [...active].sort((a, b) => {
          const ra = instanceReady(a.runner) ? 1 : 0;
          const rb = instanceReady(b.runner) ? 1 : 0;
          return ra !== rb ? ra - rb : b.index - a.index;
        });
        const leaving = order.slice(0, active.length - n);
        this.rollout = { kind: 'scale', done: 0, total: leaving.length };
        try {
          await Promise.all(
            leaving.map(async (s) => {
              await this.removeInstance(s, reason, `scaled down to ${n}`);
              if (this.rollout) this.rollout = { ...this.rollout, done: this.rollout.done + 1 };
            }),
          );
        } finally {
          this.rollout = null;
        }
      }
      this.onInstanceChanged();
      return n === from
        ? `${this.name} already runs ${n} instance${n === 1 ? '' : 's'}`
        : `scaled ${this.name} from ${from} to ${n} instance${n === 1 ? '' : 's'}`;
    });
  }

  private ports(): readonly number[] | null {
    return this.spec.ports ?? null;
  }

  /** Manual failover (traffic to the backup, held) or failback. */
  manualFailover(back: boolean, reason: Reason): string {
    if (!this.spec.failover) {
      throw new VigilError('CONFLICT', `${this.name} has no "failover:" in the stack file`, {
        hint: 'add `failover: { backup: SERVICE }` to it',
      });
    }
    if (!this.balancer) {
      throw new VigilError(
        'CONFLICT',
        `${this.name} is not running: its balancer is not listening`,
        {
          hint: `start ${this.name} first`,
        },
      );
    }
    const r = back ? this.balancer.manualFailback() : this.balancer.manualFailover();
    if (!r.ok) {
      throw new VigilError('CONFLICT', `${this.name}: ${r.reason ?? 'refused'}`);
    }
    void reason;
    return back
      ? `traffic of ${this.name} is back on its own instances`
      : `traffic of ${this.name} goes to ${this.spec.failover.backup} until failed back`;
  }

  quarantine(reason: Reason): Promise<void> {
    return this.ops.run(async () => {
      this.quarantineReason = reason.message;
      this.lastAsk = reason;
      this.desired = 'down';
      this.stopAutoscale();
      await this.stopInstances(reason, { byUser: false });
      this.replicaEvent('quarantine', reason, reason.message, {});
      this.onInstanceChanged();
    });
  }

  release(reason: Reason): Promise<void> {
    return this.ops.run(async () => {
      const failed = this.active().filter(
        (s) => s.runner.lifecycle === 'quarantined' || s.runner.healing.gaveUp,
      );
      if (this.quarantineReason === null && failed.length === 0) {
        throw new VigilError(
          'CONFLICT',
          `${this.name} is not quarantined (it is ${this.lifecycle})`,
        );
      }
      this.quarantineReason = null;
      for (const s of failed) await s.runner.release(reason).catch(() => undefined);
      this.replicaEvent('release', reason, reason.message, {});
      this.desired = 'up';
      this.stoppedByUser = false;
      await this.bringUp(reason);
    });
  }

  /** Rung 3 or a stack restart asked for this service: the instances that are down come back now. */
  restartForRecovery(reason: Reason): void {
    if (this.quarantineReason !== null) return;
    for (const s of this.active())
      if (!instanceReady(s.runner)) s.runner.restartForRecovery(reason);
  }

  /** Resource samples arrive per instance (the supervisor samples each instance's tree). */
  instanceRunners(): readonly ServiceRunner[] {
    return this.instances().map((s) => s.runner);
  }

  /**
   * A changed definition. The instance count follows `replicas` (or the `scale` bounds) at once;
   * the instances themselves get the new definition at the next (rolling) restart, which the
   * supervisor asks for when the change needs one.
   */
  updateSpec(spec: ServiceSpec, phase: number): void {
    const prev = this.spec;
    this.spec = spec;
    this.phase = phase;
    const balancerChanged =
      JSON.stringify([prev.port, prev.balance, prev.failover]) !==
      JSON.stringify([spec.port, spec.balance, spec.failover]);
    for (const s of this.active()) s.runner.updateSpec(instanceSpec(spec, s.port), phase);
    let target = this.wanted;
    if (spec.replicas !== undefined && spec.replicas !== prev.replicas) target = spec.replicas;
    if (spec.scale) target = Math.min(spec.scale.max, Math.max(spec.scale.min, target));
    if (balancerChanged && this.balancer) {
      void this.ops.run(async () => {
        await this.closeBalancer();
        if (this.desired === 'up') await this.ensureBalancer();
      });
    }
    if (target !== this.wanted) {
      void this.scaleTo(
        target,
        { kind: 'config_change', message: 'replica count changed in the stack file' },
        { name: 'stack file', value: null, target },
      ).catch((err: unknown) => this.ctx.logger.warn(`${this.name}: ${String(err)}`));
    }
    this.stopAutoscale();
    if (this.desired === 'up') this.startAutoscale();
  }

  // ─── automatic scaling ───────────────────────────────────────────────────────────────────

  private startAutoscale(): void {
    const scale = this.spec.scale;
    if (!scale || this.autoscaleTimer || this.disposed) return;
    const tick = Math.max(250, Math.min(AUTOSCALE_TICK_MS, Math.round(scale.windowMs / 6)));
    const loop = (): void => {
      this.autoscaleTimer = this.ctx.clock.setTimeout(() => {
        this.autoscaleTimer = null;
        if (this.desired !== 'up' || this.disposed) return;
        this.autoscaleStep();
        loop();
      }, tick);
    };
    loop();
  }

  private stopAutoscale(): void {
    this.autoscaleTimer?.cancel();
    this.autoscaleTimer = null;
    this.samples = [];
  }

  /** One sample of the metric, then the pure decision (balancer/autoscale.ts). */
  autoscaleStep(): void {
    const scale = this.spec.scale;
    if (!scale || this.rollout || this.desired !== 'up') return;
    const now = this.ctx.clock.now();
    const value = this.metricValue(scale.metric);
    if (value !== null) this.samples.push({ at: now, value });
    this.samples = this.samples.filter((s) => s.at >= now - scale.windowMs);
    const d = decideScale(this.samples, scale, this.wanted, this.lastScaleAtMono, now);
    if (d.replicas === this.wanted) return;
    this.samples = [];
    void this.scaleTo(
      d.replicas,
      { kind: 'probe', message: `automatic: ${d.reason}` },
      {
        name: scale.metric,
        value: d.observed === null ? null : Math.round(d.observed * 10) / 10,
        target: scale.target,
      },
    ).catch((err: unknown) =>
      this.ctx.logger.warn(`${this.name}: automatic scaling failed: ${String(err)}`),
    );
  }

  /** The metric over the ready instances: mean CPU % or connections in flight, or the worst p95. */
  private metricValue(metric: 'cpu' | 'connections' | 'latency_p95'): number | null {
    const ready = this.active().filter((s) => instanceReady(s.runner));
    if (ready.length === 0) return null;
    if (metric === 'cpu') {
      const cpus = ready
        .map((s) => s.runner.metrics.cpuPercent)
        .filter((c): c is number => c !== null);
      return cpus.length ? cpus.reduce((a, c) => a + c, 0) / cpus.length : null;
    }
    const stats = new Map(this.trafficStats().map((s) => [s.id, s]));
    if (metric === 'connections') {
      return ready.reduce((a, s) => a + (stats.get(s.id)?.active ?? 0), 0) / ready.length;
    }
    const p95 = ready
      .map((s) => stats.get(s.id)?.latencyP95Ms ?? null)
      .filter((v): v is number => v !== null);
    return p95.length ? Math.max(...p95) : null;
  }

  /** Final: the instances must already be stopped. */
  dispose(): void {
    this.disposed = true;
    this.stopAutoscale();
    for (const s of this.slots.values()) s.runner.dispose();
    void this.closeBalancer();
    this.logs.close();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Wall time the failover route last changed, for the view. */
  wall(mono: number): number {
    return monoToWall(this.ctx.clock, mono);
  }
}
