/**
 * Over 500 lines: the launch, the assessment, the config reload and the replicated services'
 * host callbacks (reserved ports, backup endpoints and drains) share the units' map and the event
 * fan-out.
 *
 * The supervisor: wires the graph, the per-service runners, the history store and the event
 * stream together. It launches the stack phase by phase, keeps dependents waiting while their
 * dependencies are down, assesses the whole system after every change, and stops everything in
 * reverse dependency order. The API (api.ts) reads and commands it; it never talks to a transport.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type { Reason, ServiceSpec, StackConfig, SystemState } from '../../shared/model.js';
import type {
  CriticalChainStep,
  StatusEvent,
  SystemEventName,
  VigilEvent,
} from '../../shared/events.js';
import { VigilError } from '../../shared/errors.js';
import { formatDuration } from '../../shared/duration.js';
import { type Clock, systemClock } from './clock.js';
import { Cadence } from './health/cadence.js';
import { type Logger, silentLogger } from './logger.js';
import { buildGraph, type StackGraph } from './graph/index.js';
import { assessSystem, type ServiceFacts, type SystemAssessment } from './lifecycle/rules.js';
import { holdsPhase, serialSettled, type LaunchFacts } from './lifecycle/launch.js';
import { Gate } from './runtime/gate.js';
import { ServiceRunner, type RunnerContext } from './runtime/runner.js';
import { ExternalRunner } from './runtime/external-runner.js';
import { ReplicaSet, isReplicated, instanceReady } from './replicas/index.js';
import { ProcessLedger, killMarkedShared, sweepOrphans } from './process/index.js';
import { sampleTrees, CpuMeter } from './resources/index.js';
import type { HistoryStore } from './store/index.js';
import { WatchManager } from './watch/index.js';

export interface SupervisorOptions {
  readonly config: StackConfig;
  readonly dataDir: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** History; null keeps nothing (tests, dry runs). */
  readonly store?: HistoryStore | null;
  readonly random?: () => number;
  /** Environment every service inherits (default: Vigil's own). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Resource sampling period; 0 disables sampling. */
  readonly sampleIntervalMs?: number;
}

export type Listener = (ev: VigilEvent) => void;

/** One service at run time: a runner, or a replicated service's set of instance runners. */
export type ServiceUnit = ServiceRunner | ExternalRunner | ReplicaSet;

export class Supervisor {
  config: StackConfig;
  graph: StackGraph;
  readonly runners = new Map<string, ServiceUnit>();
  readonly clock: Clock;
  /** The health checks' shared wake-ups (see health/cadence.ts). */
  readonly cadence: Cadence;
  readonly logger: Logger;
  readonly store: HistoryStore | null;
  readonly dataDir: string;
  readonly runMarker: string;
  readonly startedAtWall: number;
  readonly startedAtMono: number;
  runId: number | null = null;

  private readonly listeners = new Set<Listener>();
  private readonly gate: Gate;
  private readonly ledger: ProcessLedger;
  private readonly cpu = new CpuMeter();
  private readonly random: () => number;
  readonly baseEnv: Record<string, string>;
  /** File watching of services with `watch:` (armed by start(), re-armed by applyConfig()). */
  readonly watch: WatchManager;
  private readonly sampleIntervalMs: number;
  private sampleTimer: ReturnType<typeof setInterval> | null = null;
  private assessQueued = false;
  private lastAssessment: SystemAssessment | null = null;
  private lastSystemEvent: SystemEventName | null = null;
  lastStatusEvent: StatusEvent | null = null;
  /** Set once every required service has been ready in this launch. */
  readyInMs: number | null = null;
  private launchStartMono: number;
  private launching = false;
  private launchFailed = false;
  stopping = false;
  private stopped = false;
  private phaseWaiters: (() => void)[] = [];
  private stackRestartInFlight = false;

  constructor(opts: SupervisorOptions) {
    this.config = opts.config;
    this.clock = opts.clock ?? systemClock;
    this.cadence = new Cadence(this.clock);
    this.logger = opts.logger ?? silentLogger;
    this.store = opts.store ?? null;
    this.dataDir = opts.dataDir;
    this.random = opts.random ?? Math.random;
    this.sampleIntervalMs = opts.sampleIntervalMs ?? 5_000;
    this.baseEnv = {};
    for (const [k, v] of Object.entries(opts.baseEnv ?? process.env))
      if (v !== undefined) this.baseEnv[k] = v;
    this.runMarker = `vigil-${crypto.randomBytes(6).toString('hex')}`;
    this.startedAtWall = this.clock.wallNow();
    this.startedAtMono = this.clock.now();
    this.launchStartMono = this.startedAtMono;
    this.gate = new Gate(this.config.settings.parallelLaunchLimit);
    // One write per burst of spawns and exits (a launch of N services is one write, not N).
    this.ledger = new ProcessLedger(this.dataDir, { schedule: (write) => setImmediate(write) });
    this.graph = buildGraph(this.config.services);
    for (const spec of this.config.services) this.addRunner(spec);
    this.watch = new WatchManager({
      clock: this.clock,
      logger: this.logger,
      baseEnv: this.baseEnv,
      runMarker: this.runMarker,
      dataDir: this.dataDir,
      emit: (ev) => this.emit(ev),
      find: (name) => this.runners.get(name),
      notify: (message) => this.statusEvent(undefined, message),
    });
    // History that stops (or starts again) being saved is news for every client: one status
    // event per change of the store's state, never per write. Views read `store.status()`.
    this.store?.onStatusChange((h) => {
      if (this.stopped) return;
      this.statusEvent(
        undefined,
        h.state === 'ok'
          ? `history is being saved again${h.droppedRecords > 0 ? ` (${h.droppedRecords} records were dropped)` : ''}`
          : (h.message ?? `history: ${h.state}`),
      );
    });
  }

  get logsDir(): string {
    return path.join(this.dataDir, 'logs', 'services');
  }

  // ─── events ───────────────────────────────────────────────────────────────────────────────

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(ev: VigilEvent): void {
    if (this.store && this.runId !== null && ev.type !== 'log') this.store.record(this.runId, ev);
    if (ev.type === 'status_update') this.lastStatusEvent = ev;
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch (err) {
        this.logger.error(`event listener failed: ${String(err)}`);
      }
    }
  }

  private statusEvent(
    event: SystemEventName | undefined,
    message: string,
    extra: Partial<StatusEvent> = {},
  ): void {
    const a = this.lastAssessment ?? this.assess();
    this.emit({
      type: 'status_update',
      ts: this.clock.wallNow(),
      system: a.state,
      ...(event ? { event } : {}),
      message,
      failing: a.failing,
      ...extra,
    });
  }

  // ─── runners ──────────────────────────────────────────────────────────────────────────────

  private context(): RunnerContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const sup = this;
    return {
      clock: this.clock,
      cadence: this.cadence,
      logger: this.logger,
      get settings() {
        return sup.config.settings;
      },
      baseEnv: this.baseEnv,
      runMarker: this.runMarker,
      logsDir: this.logsDir,
      gate: this.gate,
      random: this.random,
      emit: (ev) => this.emit(ev),
      lookup: (name) => this.runners.get(name)?.facts(),
      changed: (name) => this.changed(name),
      restartDependency: (name, reason) => this.runners.get(name)?.restartForRecovery(reason),
      restartStack: (reason) => void this.restartStack(reason),
      drainBackup: async (name, timeoutMs) => {
        const sets = [...this.runners.values()].filter(
          (u): u is ReplicaSet => u instanceof ReplicaSet && u.spec.failover?.backup === name,
        );
        await Promise.all(sets.map((set) => set.drainBackup(name, timeoutMs)));
      },
      recordProcess: (entry) => {
        try {
          if ('forget' in entry) this.ledger.forget(entry.forget);
          else this.ledger.record(entry);
        } catch (err) {
          this.logger.warn(`could not update the process ledger: ${String(err)}`);
        }
      },
    };
  }

  private addRunner(spec: ServiceSpec): ServiceUnit {
    const node = this.graph.nodes.get(spec.name);
    const unit = isReplicated(spec)
      ? new ReplicaSet(spec, node?.phase ?? 0, this.context(), {
          reservedPorts: () => this.reservedPorts(spec.name),
          backupEndpoints: (name) => this.endpoints(name),
        })
      : new ServiceRunner(spec, node?.phase ?? 0, this.context());
    this.runners.set(spec.name, unit);
    return unit;
  }

  /** Ports of every other service (front ports, instance ports and `ports:` lists). */
  private reservedPorts(except: string): Set<number> {
    const out = new Set<number>();
    for (const [name, u] of this.runners) {
      if (name === except) continue;
      if (u.spec.port !== undefined) out.add(u.spec.port);
      for (const p of u.spec.ports ?? []) out.add(p);
      if (u instanceof ReplicaSet)
        for (const s of u.instances()) if (s.port !== null) out.add(s.port);
    }
    return out;
  }

  /** Where a service answers, and which of its endpoints are ready (a failover backup's pool). */
  private endpoints(name: string): { id: string; port: number; ready: boolean }[] {
    const u = this.runners.get(name);
    if (!u) return [];
    if (u instanceof ReplicaSet) {
      const b = u.balancerInfo();
      // A replicated backup with a balancer: its own front port, ready when it is.
      if (b && b.port !== null)
        return [{ id: name, port: b.port, ready: u.lifecycle === 'running' }];
      return u
        .instances()
        .filter((s) => s.port !== null && s.state === 'active')
        .map((s) => ({ id: s.id, port: s.port!, ready: instanceReady(s.runner) }));
    }
    const port = u.external ? Number(new URL(u.external.url).port) || null : u.spec.port;
    if (port === undefined || port === null) return [];
    return [{ id: name, port, ready: instanceReady(u) }];
  }

  /** The replicated service `name`, or a clear error for a plain one. */
  replicaSet(name: string): ReplicaSet {
    const u = this.runner(name);
    if (!(u instanceof ReplicaSet)) {
      throw new VigilError(
        'CONFLICT',
        `${name} is not replicated: it runs one process with no balancer`,
        {
          field: 'name',
          hint: 'give it `replicas: N` (or `scale:`) in the stack file and reload',
        },
      );
    }
    return u;
  }

  runner(name: string): ServiceUnit {
    const r = this.runners.get(name);
    if (!r) {
      const known = [...this.runners.keys()];
      throw new VigilError('UNKNOWN_SERVICE', `unknown service "${name}"`, {
        field: 'name',
        ...(known.length ? { hint: `services: ${known.slice(0, 20).join(', ')}` } : {}),
      });
    }
    return r;
  }

  facts(): ServiceFacts[] {
    return [...this.runners.values()].map((r) => r.facts());
  }

  /** A runner changed: wake its waiting dependents and re-assess the system (coalesced). */
  private changed(name: string): void {
    const node = this.graph.nodes.get(name);
    if (node) for (const d of node.dependents) this.runners.get(d)?.dependencyChanged();
    for (const u of this.runners.values())
      if (u instanceof ReplicaSet && u.spec.failover?.backup === name) u.syncBackup();
    const waiters = this.phaseWaiters;
    this.phaseWaiters = [];
    for (const w of waiters) w();
    if (!this.assessQueued) {
      this.assessQueued = true;
      queueMicrotask(() => {
        this.assessQueued = false;
        this.reassess();
      });
    }
  }

  assess(): SystemAssessment {
    return assessSystem(this.facts());
  }

  private reassess(): void {
    if (this.stopped) return;
    const prev = this.lastAssessment;
    const a = this.assess();
    this.lastAssessment = a;
    if (!this.stopping && a.ready && this.readyInMs === null && this.launching) {
      this.readyInMs = Math.round(this.clock.now() - this.launchStartMono);
      const chain = this.criticalChain();
      const chainText = chain.map((s) => `${s.service} +${formatDuration(s.tookMs)}`).join(' → ');
      this.lastSystemEvent = 'system-ready';
      this.statusEvent(
        'system-ready',
        `system ready in ${formatDuration(this.readyInMs)}${chainText ? ` (critical chain: ${chainText})` : ''}`,
        { readyInMs: this.readyInMs, criticalChain: chain },
      );
      return;
    }
    if (
      this.stopping ||
      (prev && prev.state === a.state && prev.critical.join() === a.critical.join())
    )
      return;
    // A required service that cannot come up fails the launch (the stack keeps healing it).
    if (this.launching && this.readyInMs === null && !this.launchFailed && a.critical.length > 0) {
      this.launchFailed = true;
      this.statusEvent(
        'launch-failed',
        `launch failed: ${a.critical.map((n) => this.launchFailure(n)).join('; ')}`,
        {
          failing: a.failing,
        },
      );
    }
    // While the launch is still bringing services up, only failures are news.
    if (a.state === 'critical' && this.lastSystemEvent !== 'system-critical') {
      this.lastSystemEvent = 'system-critical';
      this.statusEvent('system-critical', `system critical: ${a.critical.join(', ')} down`, {
        failing: a.failing,
      });
      if (this.config.settings.onCritical === 'shutdown' && !this.stopping) {
        this.statusEvent(
          'emergency-shutdown',
          `emergency shutdown: ${a.critical.join(', ')} down and on_critical is shutdown`,
        );
        void this.shutdown('emergency-shutdown');
      }
      return;
    }
    if (
      a.state === 'degraded' &&
      a.failing.length > 0 &&
      this.lastSystemEvent !== 'system-degraded'
    ) {
      this.lastSystemEvent = 'system-degraded';
      this.statusEvent('system-degraded', `system degraded: ${a.failing.join(', ')} not healthy`);
      return;
    }
    if (
      a.state === 'healthy' &&
      this.lastSystemEvent !== 'system-ready' &&
      this.readyInMs !== null
    ) {
      this.lastSystemEvent = 'system-ready';
      this.statusEvent('system-ready', 'system healthy again');
      return;
    }
    // While the launch is bringing services up, "degraded" is expected, not news.
    if (this.launching && this.readyInMs === null && a.state !== 'critical') return;
    if (!prev || prev.state !== a.state) this.statusEvent(undefined, `system ${a.state}`);
  }

  /** Why a required service is not up, in the terms of the launch errors. */
  private launchFailure(name: string): string {
    const r = this.runners.get(name);
    if (!r) return `${name}: unknown`;
    if (r.lifecycle === 'waiting') {
      return `DependencyMissing: ${name} still waits for ${r.blocked.join(', ')} after ${formatDuration(r.spec.startupTimeoutMs)}`;
    }
    const why = r.lastError ?? r.healing.quarantine?.reason ?? `${r.lifecycle}`;
    return `CriticalModuleFailed: ${name} (${why})`;
  }

  /** The dependency path that determined when the system became ready, slowest first link last. */
  criticalChain(): CriticalChainStep[] {
    let last: ServiceUnit | null = null;
    for (const r of this.runners.values()) {
      if (!r.spec.required || (r.readyAtMono === null && r.lifecycle !== 'completed')) continue;
      const at = r.readyAtMono ?? 0;
      if (!last || at > (last.readyAtMono ?? 0)) last = r;
    }
    const chain: CriticalChainStep[] = [];
    const seen = new Set<string>();
    while (last && !seen.has(last.name)) {
      seen.add(last.name);
      const ready = last.readyAtMono ?? this.clock.now();
      const spawned = last.spawnedAtMono ?? ready;
      chain.unshift({
        service: last.name,
        atMs: Math.round(ready - this.launchStartMono),
        tookMs: Math.round(ready - spawned),
      });
      let next: ServiceUnit | null = null;
      for (const d of last.spec.dependsOn) {
        const dep = this.runners.get(d.name);
        if (!dep || dep.readyAtMono === null) continue;
        if (!next || dep.readyAtMono > (next.readyAtMono ?? 0)) next = dep;
      }
      last = next;
    }
    return chain;
  }

  // ─── launch ───────────────────────────────────────────────────────────────────────────────

  /** Sweeps orphans of a previous run, opens the run in history and launches the stack. */
  async start(): Promise<void> {
    try {
      const swept = await sweepOrphans(this.ledger);
      for (const k of swept.killed) {
        this.logger.warn(
          `ended orphan of a previous run: ${k.service} (pid ${k.pid}, ${k.command})`,
        );
      }
      if (swept.strays.length > 0) {
        this.logger.warn(
          `ended ${swept.strays.length} stray process${swept.strays.length === 1 ? '' : 'es'} of a previous run (pid ${swept.strays.join(', ')})`,
        );
      }
      for (const s of swept.skipped) this.logger.debug(`left pid ${s.entry.pid} alone: ${s.why}`);
    } catch (err) {
      this.logger.warn(`orphan sweep failed: ${String(err)}`);
    }
    // On disk before the first spawn: the next sweep finds this run's processes by marker even
    // when Vigil dies before their own entries are written.
    this.ledger.beginRun(this.runMarker);
    if (this.store) {
      this.runId = this.store.beginRun({
        stackName: this.config.name,
        stackFile: this.config.file,
        startedAt: this.startedAtWall,
      });
    }
    this.startSampling();
    // Arming a large tree takes a moment: it runs beside the launch, not before it.
    const watching = this.watch.sync(this.config.services).catch((err: unknown) => {
      this.logger.warn(`file watching could not start: ${String(err)}`);
    });
    await this.launch({ kind: 'launch', message: 'stack launch' });
    await watching;
  }

  /** Brings every service up, phase by phase; resolves when every phase has been started. */
  async launch(reason: Reason): Promise<void> {
    this.launching = true;
    this.launchFailed = false;
    this.readyInMs = null;
    this.lastSystemEvent = null;
    this.launchStartMono = this.clock.now();
    for (const r of this.runners.values()) r.beginUpCycle();
    this.statusEvent(
      'stack-starting',
      `starting ${this.runners.size} services in ${this.graph.phases.length} phases`,
    );
    for (let p = 0; p < this.graph.phases.length; p++) {
      if (this.stopping) return;
      const names = this.orderWithinPhase(this.graph.phases[p] ?? []);
      const serial = names.filter((n) => this.runners.get(n)?.spec.launch === 'serial');
      for (const n of names) {
        if (this.runners.get(n)?.spec.launch !== 'serial') this.runners.get(n)?.requestUp(reason);
      }
      for (const n of serial) {
        if (this.stopping) return;
        const r = this.runners.get(n)!;
        r.requestUp(reason);
        await this.waitUntil(() => serialSettled(launchFacts(r)), r.spec.startupTimeoutMs);
      }
      const lookup = (d: string): ServiceFacts | undefined => this.runners.get(d)?.facts();
      await this.waitUntil(
        () =>
          names.every((n) => {
            const r = this.runners.get(n);
            return !r || !holdsPhase(launchFacts(r), lookup);
          }),
        this.config.settings.startupTimeoutMs,
      );
    }
    this.changed('');
  }

  /** Serial services of a phase in dependency order (explicit phases may put a dependency beside its dependent). */
  private orderWithinPhase(names: readonly string[]): string[] {
    const inPhase = new Set(names);
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (n: string): void => {
      if (seen.has(n)) return;
      seen.add(n);
      for (const d of this.runners.get(n)?.spec.dependsOn ?? [])
        if (inPhase.has(d.name)) visit(d.name);
      out.push(n);
    };
    for (const n of names) visit(n);
    return out;
  }

  /** Resolves when `pred` holds (checked after every change) or after `timeoutMs`. */
  private waitUntil(pred: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const timer = this.clock.setTimeout(() => finish(), timeoutMs);
      const finish = (): void => {
        if (done) return;
        done = true;
        timer.cancel();
        resolve();
      };
      const check = (): void => {
        if (done) return;
        if (pred() || this.stopping) finish();
        else this.phaseWaiters.push(check);
      };
      check();
    });
  }

  // ─── operations ───────────────────────────────────────────────────────────────────────────

  /** Stops every service, dependents before their dependencies (phases in reverse). */
  async stopAll(
    reason: Reason,
    opts: { byUser?: boolean; signal?: NodeJS.Signals } = {},
  ): Promise<void> {
    const phases = [...this.graph.phases].reverse();
    const known = new Set(phases.flat());
    const extra = [...this.runners.keys()].filter((n) => !known.has(n));
    for (const names of [extra, ...phases]) {
      await Promise.all(
        names.map((n) => {
          const r = this.runners.get(n);
          if (!r) return Promise.resolve();
          return r.stop(reason, {
            byUser: opts.byUser ?? true,
            ...(opts.signal ? { signal: opts.signal } : {}),
            onSlow: (ms) => {
              const msg = `waiting for ${n} to stop (${formatDuration(ms)} so far, SIGKILL after ${formatDuration(r.spec.stop.timeoutMs)})`;
              this.logger.warn(msg);
              this.statusEvent('stack-stopping', msg);
            },
          });
        }),
      );
    }
  }

  /** Starts every stopped service again, in order (manual "start all"). */
  async startAll(reason: Reason): Promise<void> {
    for (const r of this.runners.values()) {
      if (r.lifecycle === 'quarantined') continue;
      r.stoppedByUser = false;
    }
    await this.launch(reason);
  }

  /** Recovery strategy `stack_restart`: the whole stack down and up again, in order. */
  async restartStack(reason: Reason): Promise<void> {
    if (this.stackRestartInFlight || this.stopping) return;
    this.stackRestartInFlight = true;
    try {
      this.statusEvent(undefined, `restarting the whole stack: ${reason.message}`);
      await this.stopAll(reason, { byUser: false });
      await this.launch(reason);
    } finally {
      this.stackRestartInFlight = false;
    }
  }

  /** Stops everything and closes the run. Safe to call twice. */
  async shutdown(
    how: 'stopped' | 'emergency-shutdown' | 'failed' = 'stopped',
    signal?: NodeJS.Signals,
  ): Promise<void> {
    if (this.stopped) return;
    if (this.stopping && !signal) return this.shutdownDone;
    this.stopping = true;
    this.shutdownDone = (async () => {
      this.statusEvent('stack-stopping', `stopping ${this.runners.size} services`);
      this.stopSampling();
      await this.watch.dispose();
      await this.stopAll(
        { kind: 'shutdown', message: how === 'stopped' ? 'Vigil is stopping' : how },
        {
          byUser: true,
          ...(signal ? { signal } : {}),
        },
      );
      this.statusEvent('stack-stopped', 'every service stopped');
      this.stopped = true;
      for (const r of this.runners.values()) r.dispose();
      this.ledger.close();
      if (this.store && this.runId !== null) {
        this.store.endRun(this.runId, { endedAt: this.clock.wallNow(), how });
        this.store.flush();
      }
    })();
    return this.shutdownDone;
  }

  private shutdownDone: Promise<void> = Promise.resolve();

  /** Ends the stop now: SIGKILL to every group (second Ctrl-C). */
  async forceKill(): Promise<void> {
    // A stop in progress holds its runner's queue while it waits out the stop timeout: signal
    // every group (and escaped descendants) directly, so that wait ends now.
    for (const r of this.runners.values()) {
      if (r instanceof ReplicaSet) r.killAll();
      else r.proc?.signalGroup('SIGKILL');
    }
    await killMarkedShared((m) => m.startsWith(`${this.runMarker}:`), 'SIGKILL');
    await Promise.all(
      [...this.runners.values()].map((r) =>
        r.stop({ kind: 'shutdown', message: 'forced stop' }, { signal: 'SIGKILL' }),
      ),
    );
  }

  // ─── resources ────────────────────────────────────────────────────────────────────────────

  private startSampling(): void {
    if (this.sampleIntervalMs <= 0 || this.sampleTimer) return;
    this.sampleTimer = setInterval(() => this.sample(), this.sampleIntervalMs);
    this.sampleTimer.unref?.();
  }

  private stopSampling(): void {
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    this.sampleTimer = null;
  }

  /** One pass over /proc for every service tree. */
  sample(): void {
    const live = [...this.runners.values()]
      .flatMap((u) =>
        u instanceof ReplicaSet ? u.instanceRunners() : u instanceof ServiceRunner ? [u] : [],
      )
      .filter((r) => r.pid !== null);
    if (live.length === 0) return;
    const samples = sampleTrees(live.map((r) => r.pid!));
    const now = this.clock.now();
    const ts = this.clock.wallNow();
    for (const r of live) {
      const s = samples.get(r.pid!);
      if (!s) continue;
      const cpuPercent = this.cpu.update(s.rootPid, s.cpuTicks, now);
      r.onSample({ cpuPercent, rssBytes: s.rssBytes, processes: s.pids.length });
      if (this.store && this.runId !== null) {
        this.store.recordSample(this.runId, {
          service: r.name,
          ts,
          cpuPercent: cpuPercent ?? 0,
          rssBytes: s.rssBytes,
        });
      }
    }
    // A replicated service's own series: the sum of its instances'.
    if (this.store && this.runId !== null) {
      for (const u of this.runners.values()) {
        if (!(u instanceof ReplicaSet)) continue;
        const m = u.metrics;
        if (m.rssBytes === null) continue;
        this.store.recordSample(this.runId, {
          service: u.name,
          ts,
          cpuPercent: m.cpuPercent ?? 0,
          rssBytes: m.rssBytes,
        });
      }
    }
  }

  /**
   * Applies a new, already validated configuration as a difference: removed services are stopped,
   * added ones started in dependency order, changed ones restarted (reason `config change`) unless
   * only settings that need no restart changed (health, restart, recovery, limits, priority...).
   * Unchanged services keep their processes.
   */
  async applyConfig(
    next: StackConfig,
    opts: { readonly reason?: Reason; readonly force?: boolean } = {},
  ): Promise<ConfigChanges> {
    const prev = new Map(this.config.services.map((s) => [s.name, s]));
    const changes: ConfigChanges = {
      added: [],
      removed: [],
      restarted: [],
      updated_in_place: [],
      unchanged: [],
    };
    for (const name of prev.keys())
      if (!next.services.some((s) => s.name === name)) changes.removed.push(name);
    // A service that becomes replicated (or stops being) is a different kind of unit: replaced.
    const replaced = next.services
      .filter((spec) => {
        const old = prev.get(spec.name);
        return old !== undefined && isReplicated(old) !== isReplicated(spec);
      })
      .map((s) => s.name);
    for (const spec of next.services) {
      const old = prev.get(spec.name);
      if (replaced.includes(spec.name)) changes.restarted.push(spec.name);
      else if (!old) changes.added.push(spec.name);
      else if (sameSpec(old, spec)) changes.unchanged.push(spec.name);
      else if (
        sameSpec(old, spec, isReplicated(spec) ? [...SOFT_KEYS, ...REPLICA_SOFT_KEYS] : SOFT_KEYS)
      )
        changes.updated_in_place.push(spec.name);
      else changes.restarted.push(spec.name);
    }
    const reason: Reason = opts.reason ?? { kind: 'config_change', message: 'stack file changed' };
    // A registered service whose name the stack file now defines: the stack file wins. The
    // registered runner is let go (its monitor stops probing) and a new one starts below.
    await Promise.all(
      changes.added
        .filter((name) => this.externals.has(name))
        .map(async (name) => {
          this.externals.delete(name);
          const r = this.runners.get(name);
          if (!r) return;
          this.logger.info(
            `${name}: now defined in the stack file; no longer a registered service`,
          );
          await r.stop({ ...reason, message: 'now defined in the stack file' });
          r.dispose();
          this.runners.delete(name);
        }),
    );
    // Dependents of removed services go first, like a shutdown.
    await Promise.all(
      [...changes.removed, ...replaced].map(async (name) => {
        const r = this.runners.get(name);
        if (!r) return;
        await r.stop({ ...reason, message: `removed from the stack file` });
        r.dispose();
        this.runners.delete(name);
      }),
    );
    this.config = next;
    this.graph = buildGraph([...next.services, ...this.externals.values()]);
    this.gate.setLimit(next.settings.parallelLaunchLimit);
    this.store?.setRetention(next.settings.retentionMs);
    for (const spec of next.services) {
      const phase = this.graph.nodes.get(spec.name)?.phase ?? 0;
      const r = this.runners.get(spec.name);
      if (r) r.updateSpec(spec, phase);
    }
    await Promise.all(
      changes.restarted
        .filter((n) => !replaced.includes(n))
        .map((name) =>
          this.runners
            .get(name)
            ?.restart(
              opts.reason ?? { ...reason, message: 'definition changed in the stack file' },
              {
                force: opts.force ?? false,
              },
            )
            .catch((err: unknown) =>
              this.logger.warn(`${name}: not restarted after the config change: ${String(err)}`),
            ),
        ),
    );
    for (const name of [...changes.added, ...replaced])
      this.addRunner(next.services.find((s) => s.name === name)!);
    for (const name of this.graph.startupOrder) {
      if (changes.added.includes(name) || replaced.includes(name))
        this.runners
          .get(name)
          ?.requestUp(opts.reason ?? { ...reason, message: 'added to the stack file' });
    }
    // A changed `watch:` re-arms only that service's watch; none of this restarts anything.
    await this.watch.sync(next.services);
    this.changed('');
    return changes;
  }

  /**
   * Set when a reload was rolled back: the running configuration differs from the stack file on
   * disk until a later change of the file is applied.
   */
  configRollback: { readonly at: number; readonly message: string } | null = null;

  /** Specs of services that registered themselves over the API. */
  readonly externals = new Map<string, ServiceSpec>();

  /** Adds (or replaces) a self-registered service and puts it in the graph. */
  addExternal(
    spec: ServiceSpec,
    ext: { url: string; healthPath: string | null; intervalMs: number },
  ): ExternalRunner {
    const existing = this.runners.get(spec.name);
    if (existing && (existing instanceof ReplicaSet || !existing.external)) {
      throw new VigilError(
        'CONFLICT',
        `a service named "${spec.name}" is defined in the stack file; pick another name`,
        {
          field: 'name',
        },
      );
    }
    for (const d of spec.dependsOn) {
      if (!this.runners.has(d.name)) {
        throw new VigilError('BAD_REQUEST', `depends_on names an unknown service "${d.name}"`, {
          field: 'depends_on',
        });
      }
    }
    // Graph first: a registration that would close a cycle is refused and changes nothing.
    const externals = new Map(this.externals).set(spec.name, spec);
    this.graph = buildGraph([...this.config.services, ...externals.values()]);
    this.externals.set(spec.name, spec);
    if (existing) {
      // re-registration: the runner restarts its watch below
    }
    const runner =
      existing instanceof ExternalRunner
        ? existing
        : new ExternalRunner(spec, 0, this.context(), ext);
    this.runners.set(spec.name, runner);
    runner.updateSpec(spec, this.graph.nodes.get(spec.name)?.phase ?? 0);
    runner.setExternal(ext);
    runner.requestUp({ kind: 'launch', message: `registered itself (${ext.url})` });
    this.changed(spec.name);
    return runner;
  }

  /**
   * A registered service leaves: its runner stops watching it and is removed from the graph at
   * once; its dependents are told (for them it is now a missing dependency). A service of the
   * stack file cannot leave this way.
   */
  removeExternal(name: string, reason: Reason): void {
    const r = this.runner(name);
    if (!(r instanceof ExternalRunner) || !this.externals.has(name)) {
      throw new VigilError(
        'CONFLICT',
        `${name} is defined in the stack file, not registered over the API; remove it from the stack file and reload instead`,
        { field: 'name' },
      );
    }
    const dependents = [...(this.graph.nodes.get(name)?.dependents ?? [])];
    r.leave(reason);
    r.dispose();
    this.runners.delete(name);
    this.externals.delete(name);
    this.graph = buildGraph([...this.config.services, ...this.externals.values()]);
    this.logger.info(`${name}: ${reason.message}`);
    this.statusEvent(
      undefined,
      `${name} left the stack (${reason.message})${dependents.length > 0 ? `; its dependents ${dependents.join(', ')} see it as gone` : ''}`,
    );
    for (const d of dependents) this.runners.get(d)?.dependencyChanged();
    this.changed(name);
  }

  systemState(): SystemState {
    return (this.lastAssessment ?? this.assess()).state;
  }
}

export interface ConfigChanges {
  added: string[];
  removed: string[];
  restarted: string[];
  updated_in_place: string[];
  unchanged: string[];
}

/** Definition keys whose change applies without restarting the process. */
const SOFT_KEYS: readonly (keyof ServiceSpec)[] = [
  'health',
  'restart',
  'recovery',
  'reset',
  'limits',
  'maxRestartAttempts',
  'startupTimeoutMs',
  'priority',
  'required',
  'capabilities',
  'version',
  'stop',
  'phase',
  'launch',
  'dependsOn',
  'source',
  // used by `vigil export` only, or already part of `env`
  'image',
  'liveness',
  'envFileList',
  // re-armed by the watch manager, never a reason to restart
  'watch',
];

function sameSpec(
  a: ServiceSpec,
  b: ServiceSpec,
  ignore: readonly (keyof ServiceSpec)[] = ['source'],
): boolean {
  const strip = (s: ServiceSpec): string => {
    const copy: Record<string, unknown> = { ...s };
    for (const k of ignore) delete copy[k];
    return JSON.stringify(copy);
  };
  return strip(a) === strip(b);
}

/**
 * Keys of a replicated service that change without restarting its instances: the count (scaled
 * at once), the instance ports (used by new instances), min_ready, and the balancer (replaced).
 */
const REPLICA_SOFT_KEYS: readonly (keyof ServiceSpec)[] = [
  'replicas',
  'scale',
  'ports',
  'minReady',
  'balance',
  'failover',
];

/** What the launch rules (lifecycle/launch.ts) read about a runner. */
function launchFacts(r: ServiceUnit): LaunchFacts {
  return {
    ...r.facts(),
    wantedUp: r.desired === 'up',
    blocked: r.blocked,
    dependsOn: r.spec.dependsOn,
  };
}
