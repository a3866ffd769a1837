/**
 * A service that registered itself over the API: Vigil does not run its process, it watches it.
 * Its health comes from its heartbeats (and its health path, when it gave one); it cannot be
 * started, stopped, restarted, quarantined or released by Vigil, only deregistered (`leave`) or
 * forgotten at shutdown and on a reload that takes its name.
 *
 * Its lifecycle is small and has no process behind it: `pending` -> `starting` (registered, not
 * yet healthy) -> `running` (first healthy check; a later failure is its health, never a
 * restart) -> `stopped` (left, or Vigil stopped watching). Registering again starts over at
 * `starting`.
 *
 * It shows the same face as a `ServiceRunner` to the supervisor and the views (a `ServiceUnit`),
 * with `external` set.
 */
import {
  displayStatus,
  type Health,
  type Lifecycle,
  type ProbeResult,
  type Reason,
  type ServiceSpec,
} from '../../../shared/model.js';
import { VigilError } from '../../../shared/errors.js';
import { formatDuration } from '../../../shared/duration.js';
import { monoToWall } from '../clock.js';
import { breakerView, initialHealingState, type HealingState } from '../healing/index.js';
import { initialCounters, nextHealth, type HealthCounters } from '../health/tracker.js';
import { HealthMonitor } from '../health/monitor.js';
import { createProbeRunner } from '../health/probes.js';
import { ServiceLogs } from '../process/index.js';
import type { MissingDependency, ServiceFacts } from '../lifecycle/rules.js';
import type { LaunchedProcess } from '../process/launcher.js';
import type { RunnerContext } from './runner.js';
import { Readiness } from './readiness.js';

export interface ExternalEndpoint {
  readonly url: string;
  /** Probed over HTTP when set (the service's health check); heartbeats alone otherwise. */
  readonly healthPath: string | null;
  /** Heartbeats are expected this often; two missed make it time out. */
  readonly intervalMs: number;
}

export class ExternalRunner {
  spec: ServiceSpec;
  phase: number;
  private readonly ctx: RunnerContext;

  lifecycle: Lifecycle = 'pending';
  counters: HealthCounters = initialCounters;
  /** Vigil never heals a registered service: its healing state stays at rest. */
  readonly healing: HealingState = initialHealingState;
  generation = 0;
  /** No process of Vigil's. */
  readonly proc: LaunchedProcess | null = null;
  desired: 'up' | 'down' = 'down';
  stoppedByUser = false;
  readonly blocked: string[] = [];
  readonly restartCount = 0;
  readonly lastRestart: { ts: number; reason: Reason } | null = null;
  lastError: string | null = null;
  lastProbe: ProbeResult | null = null;
  sinceWall: number;
  startedAtWall: number | null = null;
  readonly nextAttemptAtMono: number | null = null;
  upRequestedAtMono: number | null = null;
  spawnedAtMono: number | null = null;
  readyAtMono: number | null = null;
  failedSinceUp = false;
  readonly startedWithout: readonly MissingDependency[] = [];
  metrics: { cpuPercent: number | null; rssBytes: number | null; processes: number | null } = {
    cpuPercent: null,
    rssBytes: null,
    processes: null,
  };
  readonly instance = null;
  /** Where it is reached and how often it beats. */
  external: ExternalEndpoint & { lastBeatMono: number };

  readonly logs: ServiceLogs;
  private monitor: HealthMonitor | null = null;
  private readonly readiness: Readiness;

  constructor(spec: ServiceSpec, phase: number, ctx: RunnerContext, endpoint: ExternalEndpoint) {
    this.spec = spec;
    this.phase = phase;
    this.ctx = ctx;
    this.sinceWall = ctx.clock.wallNow();
    this.logs = new ServiceLogs({ name: spec.name, logsDir: ctx.logsDir });
    this.readiness = new Readiness(ctx.clock, () => this.ctx.changed(this.name));
    this.external = { ...endpoint, lastBeatMono: ctx.clock.now() };
  }

  get name(): string {
    return this.spec.name;
  }

  get marker(): string {
    return `${this.ctx.runMarker}:${this.name}/`;
  }

  get health(): Health {
    return this.counters.health;
  }

  get pid(): number | null {
    return null;
  }

  get notReadySinceMono(): number | null {
    return this.readiness.notReadySinceMono;
  }

  get overdue(): boolean {
    return this.readiness.overdue;
  }

  facts(): ServiceFacts {
    return {
      name: this.name,
      lifecycle: this.lifecycle,
      health: this.counters.health,
      required: this.spec.required,
      priority: this.spec.priority,
      oneshot: this.spec.oneshot,
      overdue: this.overdue,
      stoppedByUser: this.stoppedByUser,
      failedSinceUp: this.failedSinceUp,
      lastError: this.lastError,
    };
  }

  beginUpCycle(): void {
    this.upRequestedAtMono = null;
    this.failedSinceUp = false;
  }

  /** No startup deadline: it is not Vigil's to start. */
  startupDeadlineWall(): number | null {
    return null;
  }

  breaker() {
    return breakerView(this.healing, (m) => monoToWall(this.ctx.clock, m));
  }

  /** A new definition (registering again); the next `requestUp` watches by it. */
  updateSpec(spec: ServiceSpec, phase: number): void {
    this.spec = spec;
    this.phase = phase;
  }

  /** Registered (again): where it is reached now, and its beat counts from now. */
  setExternal(endpoint: ExternalEndpoint): void {
    this.external = { ...endpoint, lastBeatMono: this.ctx.clock.now() };
  }

  heartbeat(): void {
    this.external.lastBeatMono = this.ctx.clock.now();
  }

  // ─── watching ─────────────────────────────────────────────────────────────────────────────

  private move(to: Lifecycle, reason: Reason): void {
    const from = this.lifecycle;
    if (from === to) return;
    this.lifecycle = to;
    this.sinceWall = this.ctx.clock.wallNow();
    this.trackReadiness();
    this.ctx.emit({
      type: 'service_event',
      ts: this.sinceWall,
      service: this.name,
      from,
      to,
      status: displayStatus(to, this.counters.health),
      generation: this.generation,
      pid: null,
      reason,
    });
    this.ctx.changed(this.name);
  }

  private trackReadiness(): void {
    const ready =
      this.lifecycle === 'running' &&
      this.counters.health !== 'unhealthy' &&
      this.counters.health !== 'timeout';
    const wanted = this.desired === 'up' && !this.stoppedByUser;
    this.readiness.track(!ready && wanted, this.spec.startupTimeoutMs);
  }

  /** Registered: watch it from now (a new generation of checks). */
  requestUp(reason: Reason): void {
    this.monitor?.stop();
    const gen = ++this.generation;
    this.desired = 'up';
    this.counters = initialCounters;
    this.spawnedAtMono = this.ctx.clock.now();
    this.startedAtWall = this.ctx.clock.wallNow();
    if (this.lifecycle === 'starting') this.trackReadiness();
    else this.move('starting', reason);
    const http =
      this.external.healthPath !== null ? createProbeRunner(this.spec.health.probe) : null;
    const noEnv = { cwd: this.spec.cwd, env: {}, isAlive: () => true, logMatched: () => false };
    this.monitor = new HealthMonitor({
      spec: this.spec.health,
      clock: this.ctx.clock,
      cadence: this.ctx.cadence,
      startedAtMono: this.spawnedAtMono,
      run: async () => {
        const ext = this.external;
        const since = this.ctx.clock.now() - ext.lastBeatMono;
        if (since > 2 * ext.intervalMs) {
          return {
            ok: false,
            timedOut: true,
            latencyMs: 0,
            probe: 'process',
            detail: `missed heartbeats: last one ${formatDuration(since)} ago (every ${formatDuration(ext.intervalMs)} expected)`,
            ts: this.ctx.clock.wallNow(),
          };
        }
        if (http) return http.run(this.spec.health.timeoutMs, noEnv);
        return {
          ok: true,
          timedOut: false,
          latencyMs: 0,
          probe: 'process',
          detail: `heartbeat ${formatDuration(since)} ago`,
          ts: this.ctx.clock.wallNow(),
        };
      },
      onResult: (result) => this.onProbe(gen, result),
    });
    this.monitor.start();
  }

  private onProbe(gen: number, result: ProbeResult): void {
    if (gen !== this.generation || this.desired !== 'up') return;
    this.lastProbe = result;
    const prev = this.counters;
    const starting = this.lifecycle === 'starting';
    const inStart =
      starting ||
      (this.spawnedAtMono !== null &&
        this.ctx.clock.now() - this.spawnedAtMono < this.spec.health.startPeriodMs);
    const next = nextHealth(prev, result, this.spec.health, inStart);
    this.counters = next;
    this.ctx.emit({
      type: 'health_update',
      ts: result.ts,
      service: this.name,
      generation: gen,
      result,
      from: prev.health,
      to: next.health,
      consecutiveFailures: next.consecutiveFailures,
      consecutiveSuccesses: next.consecutiveSuccesses,
      ...(starting ? { startFailures: next.startFailures } : {}),
    });
    if (starting && next.health === 'healthy') {
      this.readyAtMono = this.ctx.clock.now();
      this.lastError = null;
      this.move('running', {
        kind: 'probe',
        message: `ready: ${result.detail}`,
        probe: result.probe,
      });
      return;
    }
    if (prev.health !== next.health) {
      this.trackReadiness();
      this.ctx.changed(this.name);
    }
    const failing = next.health === 'unhealthy' || next.health === 'timeout';
    if (this.lifecycle === 'running' && failing && prev.health !== next.health) {
      // Not Vigil's process: its health says it all, nothing is restarted.
      this.lastError = `${result.probe} probe ${next.health === 'timeout' ? 'timed out' : 'failed'} ${next.consecutiveFailures === 1 ? 'once' : `${next.consecutiveFailures} times`}: ${result.detail}`;
      this.failedSinceUp = true;
    }
  }

  /** Probe now (API check-now); null when it is not watched. */
  async checkNow(): Promise<ProbeResult | null> {
    return this.monitor ? this.monitor.checkNow() : null;
  }

  private stopWatching(reason: Reason): void {
    this.monitor?.stop();
    this.monitor = null;
    this.desired = 'down';
    this.move('stopped', reason);
  }

  /** It leaves (deregistration): Vigil stops watching it, for good. */
  leave(reason: Reason): void {
    this.stoppedByUser = true;
    this.stopWatching(reason);
  }

  // ─── what Vigil does not do to it ─────────────────────────────────────────────────────────

  private refuse(what: string): Promise<never> {
    return Promise.reject(
      new VigilError(
        'CONFLICT',
        `${this.name} registered itself over the API: Vigil does not ${what} its process`,
      ),
    );
  }

  /** A shutdown or removal stops watching it; a person asking to stop it gets a clear refusal. */
  stop(reason: Reason, _opts: { byUser?: boolean; signal?: NodeJS.Signals } = {}): Promise<void> {
    if (reason.kind !== 'shutdown' && reason.kind !== 'config_change') return this.refuse('stop');
    this.stopWatching(reason);
    return Promise.resolve();
  }

  start(_reason: Reason): Promise<void> {
    return this.refuse('start');
  }

  restart(_reason: Reason, _opts: { force?: boolean } = {}): Promise<void> {
    return this.refuse('restart');
  }

  quarantine(_reason: Reason): Promise<void> {
    return this.refuse('quarantine');
  }

  release(_reason: Reason): Promise<void> {
    return this.refuse('release');
  }

  /** A dependent's recovery cannot restart it: nothing to do. */
  restartForRecovery(_reason: Reason): void {}

  dependencyChanged(): void {}

  onSample(sample: { cpuPercent: number | null; rssBytes: number; processes: number }): void {
    this.metrics = {
      cpuPercent: sample.cpuPercent,
      rssBytes: sample.rssBytes,
      processes: sample.processes,
    };
  }

  dispose(): void {
    this.monitor?.stop();
    this.monitor = null;
    this.readiness.cancel();
    this.logs.close();
  }
}
