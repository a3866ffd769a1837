/**
 * Over 500 lines: it is being split (launch, stop, healing effects) on its own branch; until then
 * one class holds one service's imperative shell.
 *
 * One service at run time: the imperative shell around the pure rules. It spawns and stops the
 * process, runs its health monitor, feeds exits and probe results to the healing engine and
 * carries out its decisions. Every change of lifecycle or health is an event.
 *
 * Concurrency rules:
 * - Each spawned process is a generation; callbacks from an older generation are ignored, so a
 *   stale exit never touches the new instance.
 * - Operations (start, stop, restart, quarantine, release) run one at a time through a queue;
 *   a restart requested while one is already queued joins it.
 * - A service only leaves `waiting` when every dependency meets its condition.
 */
import {
  displayStatus,
  type Health,
  type Lifecycle,
  type ProbeResult,
  type Reason,
  type ServiceSpec,
  type StackSettings,
} from '../../../shared/model.js';
import type { HealingAction, VigilEvent } from '../../../shared/events.js';
import { VigilError } from '../../../shared/errors.js';
import { formatDuration } from '../../../shared/duration.js';
import { type Clock, type TimerHandle, monoToWall } from '../clock.js';
import type { Logger } from '../logger.js';
import {
  breakerView,
  initialHealingState,
  manualRestart,
  nextStableResetAt,
  onFailure,
  onHealthy,
  onNotHealthy,
  onTick,
  onTrialStarted,
  policyFor,
  quarantine as quarantineState,
  release as releaseState,
  type Decision,
  type Failure,
  type HealingNote,
  type HealingPolicy,
  type HealingState,
} from '../healing/index.js';
import { initialCounters, nextHealth, type HealthCounters } from '../health/tracker.js';
import { HealthMonitor } from '../health/monitor.js';
import { createProbeRunner } from '../health/probes.js';
import { createLogMatcher, type LogMatcher } from '../health/log-matcher.js';
import {
  ServiceLogs,
  findPortHolder,
  groupMembers,
  isPortInUse,
  killMarked,
  killMarkedShared,
  spawnService,
  stopService,
  type ServiceProcess,
} from '../process/index.js';
import {
  blockedBy,
  canTransition,
  missingOptional,
  type MissingDependency,
  type ServiceFacts,
} from '../lifecycle/rules.js';
import type { Gate } from './gate.js';
import { SerialQueue } from './gate.js';
import { judgeSample } from './limits.js';
import { runExec } from '../health/exec-probe.js';
import type { Cadence } from '../health/cadence.js';
import { refusesRelease, refusesStart } from '../../../shared/lifecycle.js';

export interface RunnerContext {
  readonly clock: Clock;
  /** The health checks' shared wake-ups. */
  readonly cadence: Cadence;
  readonly logger: Logger;
  readonly settings: StackSettings;
  /** Base environment of every service (Vigil's own), before the service's env. */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Identifies this Vigil run; with the service name it marks every process it spawns. */
  readonly runMarker: string;
  readonly logsDir: string;
  /** Bounds how many services are starting at once (launch and recovery). */
  readonly gate: Gate;
  readonly random: () => number;
  emit(ev: VigilEvent): void;
  lookup(name: string): ServiceFacts | undefined;
  /** The runner's facts changed: re-evaluate dependents and the system state. */
  changed(name: string): void;
  /** Rung 3 of the ladder: restart a dependency that fails its own probe. */
  restartDependency(name: string, reason: Reason): void;
  /** Recovery strategy `stack_restart`. */
  restartStack(reason: Reason): void;
  /**
   * A plain service that is another service's failover backup is about to be stopped for
   * failing: the balancers that send it traffic drain it (resolves at once when none does).
   */
  drainBackup?(name: string, timeoutMs: number): Promise<void>;
  /** A process was spawned or ended: keep the orphan ledger current. */
  recordProcess(
    entry:
      | { service: string; pid: number; startTime: string | null; command: string; marker: string }
      | { forget: number },
  ): void;
}

interface Timers {
  backoff: TimerHandle | null;
  startup: TimerHandle | null;
  stable: TimerHandle | null;
  overdue: TimerHandle | null;
}

/**
 * Who a runner is when it runs one instance of a replicated service (see replicas/): its own name
 * (`api#1`), marker and port, the service's shared log, and the replica variables in its env.
 */
export interface InstanceIdentity {
  /** `service#index`, e.g. `api#1`. */
  readonly id: string;
  readonly service: string;
  /** 0-based; `VIGIL_REPLICA`. */
  readonly index: number;
  /** The service's log: every instance writes there, each line tagged with its id. */
  readonly logs: ServiceLogs;
  /**
   * Behind a balancer: stops new traffic to the instance and resolves once its requests in flight
   * are done, or after `timeoutMs`. Called before the instance is stopped for failing.
   */
  readonly drain?: (timeoutMs: number) => Promise<unknown>;
}

const NO_TIMERS = (): Timers => ({ backoff: null, startup: null, stable: null, overdue: null });

function commandText(spec: ServiceSpec): string {
  return spec.command.kind === 'shell' ? spec.command.script : spec.command.argv.join(' ');
}

/** SIGKILL what is left of an instance's group; resolves when the group is empty (bounded). */
async function reapGroup(proc: ServiceProcess): Promise<void> {
  proc.signalGroup('SIGKILL');
  const deadline = performance.now() + 2_000;
  while (groupMembers(proc.pid).length > 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The longest a dead instance's escaped descendants live when no restart comes first. */
const SWEEP_DEFER_MS = 50;

function exitReason(code: number | null, signal: string | null, error?: string): Reason {
  if (error) return { kind: 'spawn_error', message: `could not start: ${error}`, detail: error };
  if (signal) return { kind: 'signal', message: `killed by ${signal}`, signal, exitCode: null };
  return { kind: 'exit', message: `exited with code ${code}`, exitCode: code, signal: null };
}

export class ServiceRunner {
  spec: ServiceSpec;
  phase: number;
  private policy: HealingPolicy;
  private ctx: RunnerContext;

  lifecycle: Lifecycle = 'pending';
  counters: HealthCounters = initialCounters;
  healing: HealingState = initialHealingState;
  generation = 0;
  proc: ServiceProcess | null = null;
  /** Wanted up (started by the launch or a person) or down (stopped, quarantined). */
  desired: 'up' | 'down' = 'down';
  stoppedByUser = false;
  blocked: string[] = [];
  restartCount = 0;
  lastRestart: { ts: number; reason: Reason } | null = null;
  lastError: string | null = null;
  lastProbe: ProbeResult | null = null;
  sinceWall: number;
  startedAtWall: number | null = null;
  nextAttemptAtMono: number | null = null;
  /** Monotonic time the service was first asked to come up in this up-cycle (critical chain). */
  upRequestedAtMono: number | null = null;
  /** Monotonic time the current generation was spawned and became ready. */
  spawnedAtMono: number | null = null;
  readyAtMono: number | null = null;
  /** Since when the service has been wanted up but not ready (for "down past startup timeout"). */
  notReadySinceMono: number | null = null;
  overdue = false;
  /** Failed (crash, failed start, unhealthy) since last asked up: an optional dependency no longer waited for. */
  failedSinceUp = false;
  /** Optional dependencies the current instance was started without. */
  startedWithout: readonly MissingDependency[] = [];
  metrics: { cpuPercent: number | null; rssBytes: number | null; processes: number | null } = {
    cpuPercent: null,
    rssBytes: null,
    processes: null,
  };
  cpuOverSince: number | null = null;

  /** Set for services that registered themselves over the API: Vigil does not run their process. */
  external: {
    url: string;
    healthPath: string | null;
    intervalMs: number;
    lastBeatMono: number;
  } | null = null;

  readonly logs: ServiceLogs;
  private monitor: HealthMonitor | null = null;
  private matcher: LogMatcher | null;
  private probeRunner;
  private timers: Timers = NO_TIMERS();
  private releaseGate: (() => void) | null = null;
  private readonly ops = new SerialQueue();
  private queuedRestart: Promise<void> | null = null;
  /** Generation whose exit is expected because Vigil is stopping it. */
  private stoppingGen = -1;
  /** The decision waiting for dependencies (rung 3) or a free slot. */
  private pending: Extract<Decision, { do: 'restart' }> | null = null;
  private disposed = false;
  /** Set when this runner is one instance of a replicated service. */
  readonly instance: InstanceIdentity | null;

  constructor(
    spec: ServiceSpec,
    phase: number,
    ctx: RunnerContext,
    instance: InstanceIdentity | null = null,
  ) {
    this.spec = spec;
    this.phase = phase;
    this.ctx = ctx;
    this.instance = instance;
    this.policy = policyFor(spec, ctx.settings);
    this.sinceWall = ctx.clock.wallNow();
    this.logs = instance?.logs ?? new ServiceLogs({ name: spec.name, logsDir: ctx.logsDir });
    this.matcher =
      spec.health.probe.type === 'log' ? createLogMatcher(spec.health.probe.pattern) : null;
    this.probeRunner = createProbeRunner(spec.health.probe);
  }

  get name(): string {
    return this.instance?.id ?? this.spec.name;
  }

  /**
   * What every instance's marker starts with: `<run>:<service>/`. Each instance has its own
   * marker (`<run>:<service>/<generation>`), so a sweep for a dead instance's leftovers can never
   * hit the instance that replaced it.
   */
  get marker(): string {
    return `${this.ctx.runMarker}:${this.name}/`;
  }

  get health(): Health {
    return this.counters.health;
  }

  get pid(): number | null {
    return this.proc?.pid ?? null;
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

  /** A new up-cycle (launch, stack restart, a person starting it): on its way up for the first time again. */
  beginUpCycle(): void {
    this.upRequestedAtMono = null;
    this.failedSinceUp = false;
  }

  /** Wall-clock time the current boot's startup timeout runs out (null: none running). */
  startupDeadlineWall(): number | null {
    if (this.external || this.spawnedAtMono === null || this.lifecycle !== 'starting') return null;
    return monoToWall(this.ctx.clock, this.spawnedAtMono + this.spec.startupTimeoutMs);
  }

  breaker() {
    return breakerView(this.healing, (m) => monoToWall(this.ctx.clock, m));
  }

  /** Applies a changed definition that needs no restart (health and restart settings). */
  updateSpec(spec: ServiceSpec, phase: number): void {
    const healthChanged = JSON.stringify(spec.health) !== JSON.stringify(this.spec.health);
    const prevProbe = this.spec.health.probe;
    this.spec = spec;
    this.phase = phase;
    this.policy = policyFor(spec, this.ctx.settings);
    if (!healthChanged) return;
    // A log probe whose pattern did not change keeps what it has already seen in this run.
    const samePattern =
      prevProbe.type === 'log' &&
      spec.health.probe.type === 'log' &&
      prevProbe.pattern === spec.health.probe.pattern;
    if (!samePattern) {
      this.matcher =
        spec.health.probe.type === 'log' ? createLogMatcher(spec.health.probe.pattern) : null;
    }
    this.probeRunner = createProbeRunner(spec.health.probe);
    if (this.monitor) {
      this.monitor.stop();
      this.monitor = null;
      if (this.proc) this.startMonitor(this.generation);
    }
  }

  // ─── state changes ────────────────────────────────────────────────────────────────────────

  private setLifecycle(to: Lifecycle, reason: Reason, extra: { blockedBy?: string[] } = {}): void {
    const from = this.lifecycle;
    const blocked = extra.blockedBy ?? [];
    const sameBlock = blocked.join(',') === this.blocked.join(',');
    if (from === to && (to !== 'waiting' || sameBlock)) return;
    if (from !== to && !canTransition(from, to)) {
      this.ctx.logger.warn(
        `${this.name}: unexpected lifecycle change ${from} -> ${to} (${reason.message})`,
      );
    }
    this.lifecycle = to;
    this.blocked = to === 'waiting' ? blocked : [];
    this.sinceWall = this.ctx.clock.wallNow();
    if (to !== 'backoff') this.nextAttemptAtMono = null;
    this.trackReadiness();
    this.ctx.emit({
      type: 'service_event',
      ts: this.sinceWall,
      service: this.name,
      from,
      to,
      status: displayStatus(to, this.counters.health),
      generation: this.generation,
      pid: this.pid,
      reason,
      ...(to === 'waiting' ? { blockedBy: this.blocked } : {}),
      ...(to === 'backoff' && this.nextAttemptAtMono !== null
        ? { nextAttemptAt: monoToWall(this.ctx.clock, this.nextAttemptAtMono) }
        : {}),
      ...this.startingFields(to),
    });
    this.ctx.changed(this.name);
  }

  /** What a `starting` event adds: the startup deadline and the optional dependencies left out. */
  private startingFields(to: Lifecycle): {
    startupDeadline?: number;
    startedWithout?: readonly MissingDependency[];
  } {
    if (to !== 'starting') return {};
    const deadline = this.startupDeadlineWall();
    return {
      ...(deadline !== null ? { startupDeadline: deadline } : {}),
      ...(this.startedWithout.length > 0 ? { startedWithout: this.startedWithout } : {}),
    };
  }

  private healingEvent(
    action: HealingAction,
    reason: Reason,
    extra: { attempt?: number; rung?: number; delayMs?: number } = {},
  ): void {
    this.ctx.emit({
      type: 'healing_event',
      ts: this.ctx.clock.wallNow(),
      service: this.name,
      action,
      reason,
      attempt: extra.attempt ?? this.healing.attempts,
      ...(extra.rung !== undefined ? { rung: extra.rung } : {}),
      ...(extra.delayMs !== undefined ? { delayMs: extra.delayMs } : {}),
      breaker: this.healing.breaker.state,
      generation: this.generation,
    });
  }

  private notes(notes: readonly HealingNote[], reason: Reason): void {
    for (const n of notes) this.healingEvent(n.action, { ...reason, message: n.message });
  }

  /** Keeps `notReadySince` and the overdue deadline (down past the startup timeout) current. */
  private trackReadiness(): void {
    const ready =
      (this.lifecycle === 'running' &&
        this.counters.health !== 'unhealthy' &&
        this.counters.health !== 'timeout') ||
      this.lifecycle === 'completed';
    const wanted = this.desired === 'up' && !this.stoppedByUser;
    if (ready || !wanted || this.lifecycle === 'quarantined' || this.lifecycle === 'failed') {
      this.notReadySinceMono = null;
      this.timers.overdue?.cancel();
      this.timers.overdue = null;
      const wasOverdue = this.overdue;
      this.overdue = false;
      if (wasOverdue) this.ctx.changed(this.name);
      return;
    }
    if (this.notReadySinceMono !== null) return;
    this.notReadySinceMono = this.ctx.clock.now();
    const limit = this.spec.startupTimeoutMs;
    this.timers.overdue?.cancel();
    this.timers.overdue = this.ctx.clock.setTimeout(() => {
      this.timers.overdue = null;
      if (this.notReadySinceMono === null) return;
      this.overdue = true;
      this.ctx.changed(this.name);
    }, limit);
  }

  // ─── starting ─────────────────────────────────────────────────────────────────────────────

  /** The launch or a person wants it up. */
  requestUp(reason: Reason): void {
    if (this.disposed) return;
    if (this.external) {
      this.startExternal(reason);
      return;
    }
    this.desired = 'up';
    this.stoppedByUser = false;
    if (this.upRequestedAtMono === null) this.upRequestedAtMono = this.ctx.clock.now();
    if (this.lifecycle === 'quarantined') return;
    if (this.proc || this.lifecycle === 'backoff' || this.lifecycle === 'stopping') return;
    void this.tryStart(reason);
  }

  /** A dependency changed: a waiting service may go now. */
  dependencyChanged(): void {
    if (this.lifecycle === 'waiting' && this.desired === 'up' && !this.proc) {
      void this.tryStart({ kind: 'dependency', message: 'dependencies ready' });
    }
  }

  private tryStart(reason: Reason): Promise<void> {
    const blocking = blockedBy(this.spec.dependsOn, (n) => this.ctx.lookup(n));
    if (blocking.length > 0) {
      this.setLifecycle(
        'waiting',
        {
          kind: 'dependency',
          message: `blocked by ${blocking.join(', ')}`,
          dependency: blocking[0]!,
        },
        { blockedBy: blocking },
      );
      return Promise.resolve();
    }
    return this.spawnNow(reason);
  }

  private spawning = false;
  /** The last instance was ready (so it was serving its port) when it exited. */
  private portWasOurs = false;
  /**
   * Markers of dead instances whose escaped descendants (setsid, daemons) are still to be killed:
   * they would hold ports, pile up with every crash and outlive a quarantine. Finding them means
   * reading every process's environment, so the sweep runs right after the restart's spawn (a new
   * instance has a new marker, the sweep cannot touch it) or after `SWEEP_DEFER_MS`, whichever
   * comes first, instead of delaying the restart.
   */
  private readonly unswept = new Set<string>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> = Promise.resolve();

  private async spawnNow(reason: Reason): Promise<void> {
    if (this.spawning || this.proc) return;
    this.spawning = true;
    try {
      const release = await this.ctx.gate.acquire();
      if (this.desired !== 'up' || this.proc || this.disposed || this.lifecycle === 'quarantined') {
        release();
        return;
      }
      // Dependencies may have gone down while this service waited for a slot.
      const blocking = blockedBy(this.spec.dependsOn, (n) => this.ctx.lookup(n));
      if (blocking.length > 0) {
        release();
        this.setLifecycle(
          'waiting',
          {
            kind: 'dependency',
            message: `blocked by ${blocking.join(', ')}`,
            dependency: blocking[0]!,
          },
          { blockedBy: blocking },
        );
        return;
      }
      this.releaseGate = release;
      // Optional dependencies that failed (or never were): it starts without them, and says so.
      this.startedWithout = missingOptional(this.spec.dependsOn, (n) => this.ctx.lookup(n));
      if (this.startedWithout.length > 0) {
        const without = this.startedWithout.map((m) => `${m.service}: ${m.reason}`).join('; ');
        reason = { ...reason, message: `${reason.message}; started without ${without}` };
        this.ctx.logger.info(`${this.name}: started without ${without}`);
      }
      const decision = this.pending;
      this.pending = null;
      if (decision?.runReset && this.spec.reset) await this.runReset();
      // The pre-flight is skipped once after an instance that was serving the port died: nobody
      // else held it then, and a crash restart is on the clock. Should someone take the port in
      // between, that instance dies starting and the next attempt's pre-flight names them.
      const preflight = !this.portWasOurs;
      this.portWasOurs = false;
      if (preflight && this.spec.port !== undefined && (await isPortInUse(this.spec.port))) {
        const holder = findPortHolder(this.spec.port);
        const who = holder ? ` by pid ${holder.pid} (${holder.command})` : '';
        const message = `port ${this.spec.port} is already in use${who}; free it or change the service's port`;
        this.freeGate();
        this.lastError = message;
        this.ctx.logger.error(`${this.name}: ${message}`);
        // Not a crash loop: a held port will not free itself because Vigil retries.
        this.setLifecycle('failed', { kind: 'port_in_use', message, detail: who });
        return;
      }
      this.spawnProcess(reason);
    } catch (err) {
      // Never let a spawn problem escape as an unhandled rejection: it is this service's failure.
      this.freeGate();
      const message = `could not start: ${err instanceof Error ? err.message : String(err)}`;
      this.lastError = message;
      this.ctx.logger.error(`${this.name}: ${message}`);
      this.setLifecycle('failed', { kind: 'spawn_error', message });
    } finally {
      this.spawning = false;
    }
  }

  private spawnProcess(reason: Reason): void {
    const gen = ++this.generation;
    const marker = `${this.marker}${gen}`;
    this.counters = initialCounters;
    this.matcher?.reset();
    const env: Record<string, string> = { ...this.ctx.baseEnv, ...this.spec.env };
    if (this.instance) {
      // An instance's port is Vigil's choice (the front port is the balancer's): always set.
      if (this.spec.port !== undefined) env.PORT = String(this.spec.port);
      env.VIGIL_REPLICA = String(this.instance.index);
      env.VIGIL_INSTANCE = this.instance.id;
    } else if (this.spec.port !== undefined && env.PORT === undefined) {
      env.PORT = String(this.spec.port);
    }
    const proc = spawnService(
      {
        name: this.name,
        command: this.spec.command,
        cwd: this.spec.cwd,
        env,
        marker,
        ...(this.spec.limits.processes !== undefined
          ? { maxProcesses: this.spec.limits.processes }
          : {}),
      },
      (stream, line) => this.onOutput(gen, stream, line),
    );
    this.proc = proc;
    void this.sweepNow();
    this.spawnedAtMono = this.ctx.clock.now();
    this.readyAtMono = null;
    this.startedAtWall = this.ctx.clock.wallNow();
    this.ctx.recordProcess({
      service: this.name,
      pid: proc.pid,
      startTime: proc.startTime,
      command: proc.commandLine ?? commandText(this.spec),
      marker,
    });
    this.setLifecycle('starting', reason);
    proc.exited.then(
      (info) => this.onExit(gen, proc, info.code, info.signal, info.error),
      (err: unknown) => this.onExit(gen, proc, null, null, String(err)),
    );
    if (proc.exitInfo === null) {
      this.startMonitor(gen);
      this.timers.startup?.cancel();
      this.timers.startup = this.ctx.clock.setTimeout(() => {
        this.timers.startup = null;
        if (gen !== this.generation || this.lifecycle !== 'starting') return;
        const message = `not ready within the startup timeout of ${formatDuration(this.spec.startupTimeoutMs)}`;
        this.lastError = message;
        this.fail({ kind: 'start_failed', reason: { kind: 'startup_timeout', message } });
      }, this.spec.startupTimeoutMs);
    }
  }

  private async runReset(): Promise<void> {
    const reset = this.spec.reset!;
    const reason: Reason = { kind: 'exit', message: 'running the reset command before restart' };
    const env: Record<string, string> = { ...this.ctx.baseEnv, ...this.spec.env };
    const outcome = await runExec(reset, {
      cwd: this.spec.cwd,
      env,
      timeoutMs: this.spec.stop.timeoutMs,
    });
    const ok = outcome.kind === 'exited' && outcome.code === 0;
    const detail =
      outcome.kind === 'exited'
        ? `exit ${outcome.code ?? outcome.signal}${outcome.output ? `: ${outcome.output}` : ''}`
        : outcome.kind === 'timeout'
          ? `timed out after ${formatDuration(this.spec.stop.timeoutMs)}`
          : outcome.kind === 'spawn_error'
            ? `${outcome.code} ${outcome.file}`
            : 'aborted';
    this.healingEvent('reset', {
      ...reason,
      message: ok ? 'reset command succeeded' : `reset command failed: ${detail}`,
      detail,
    });
  }

  private startMonitor(gen: number): void {
    const startedAt = this.spawnedAtMono ?? this.ctx.clock.now();
    const env: Record<string, string> = { ...this.ctx.baseEnv, ...this.spec.env };
    this.monitor = new HealthMonitor({
      spec: this.spec.health,
      clock: this.ctx.clock,
      cadence: this.ctx.cadence,
      startedAtMono: startedAt,
      run: () =>
        this.probeRunner.run(this.spec.health.timeoutMs, {
          cwd: this.spec.cwd,
          env,
          isAlive: () => this.proc !== null && this.proc.exitInfo === null,
          logMatched: () => this.matcher?.matched ?? false,
        }),
      onResult: (result) => this.onProbe(gen, result),
    });
    this.monitor.start();
  }

  private freeGate(): void {
    this.releaseGate?.();
    this.releaseGate = null;
  }

  private onOutput(gen: number, stream: 'stdout' | 'stderr', line: string): void {
    const entry = this.logs.append(stream, line, this.ctx.clock.wallNow(), this.instance?.id);
    if (gen === this.generation && this.matcher && !this.matcher.matched) {
      this.matcher.feed(line);
      if (this.matcher.matched && this.lifecycle === 'starting') void this.monitor?.checkNow();
    }
    this.ctx.emit({
      type: 'log',
      ts: entry.ts,
      service: this.instance?.service ?? this.name,
      ...(this.instance ? { instance: this.instance.id } : {}),
      stream,
      line: entry.line,
      seq: entry.seq,
    });
  }

  // ─── health ───────────────────────────────────────────────────────────────────────────────

  private onProbe(gen: number, result: ProbeResult): void {
    if (gen !== this.generation || (!this.proc && !this.external)) return;
    this.lastProbe = result;
    const prev = this.counters;
    // Before its first success a starting service is only bounded by its startup timeout.
    const inStart =
      this.lifecycle === 'starting' ||
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
      ...(this.lifecycle === 'starting' ? { startFailures: next.startFailures } : {}),
    });
    if (next.health === 'healthy') {
      const step = onHealthy(this.policy, this.healing, this.ctx.clock.now());
      this.healing = step.state;
      this.notes(step.notes, { kind: 'probe', message: 'healthy', probe: result.probe });
      this.scheduleStableCheck();
    } else if (prev.health === 'healthy') {
      this.healing = onNotHealthy(this.policy, this.healing, this.ctx.clock.now());
    }
    if (this.lifecycle === 'starting' && next.health === 'healthy') {
      this.timers.startup?.cancel();
      this.timers.startup = null;
      this.readyAtMono = this.ctx.clock.now();
      this.lastError = null;
      this.freeGate();
      this.setLifecycle('running', {
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
    if (
      this.lifecycle === 'running' &&
      (next.health === 'unhealthy' || next.health === 'timeout') &&
      prev.health !== next.health
    ) {
      const message = `${result.probe} probe ${next.health === 'timeout' ? 'timed out' : 'failed'} ${next.consecutiveFailures === 1 ? 'once' : `${next.consecutiveFailures} times`}: ${result.detail}`;
      this.lastError = message;
      this.fail({
        kind: 'unhealthy',
        reason: { kind: 'probe', message, probe: result.probe, detail: result.detail },
      });
    }
  }

  private scheduleStableCheck(): void {
    const due = nextStableResetAt(this.policy, this.healing);
    this.timers.stable?.cancel();
    this.timers.stable = null;
    if (due === null) return;
    this.timers.stable = this.ctx.clock.setTimeout(
      () => {
        this.timers.stable = null;
        const step = onTick(this.policy, this.healing, this.ctx.clock.now());
        this.healing = step.state;
        this.notes(step.notes, { kind: 'probe', message: 'stable' });
        this.ctx.changed(this.name);
      },
      Math.max(0, due - this.ctx.clock.now()),
    );
  }

  /** Probe now (API check-now); null when the service has no live process. */
  async checkNow(): Promise<ProbeResult | null> {
    if (!this.monitor || (!this.proc && !this.external)) return null;
    return this.monitor.checkNow();
  }

  // ─── exits and failures ───────────────────────────────────────────────────────────────────

  private onExit(
    gen: number,
    proc: ServiceProcess,
    code: number | null,
    signal: string | null,
    error?: string,
  ): void {
    if (gen !== this.generation || this.proc !== proc) return; // stale: an older instance
    this.proc = null;
    this.monitor?.stop();
    this.monitor = null;
    // Health is the health of a running instance: with none there is nothing to be healthy (the
    // next instance starts from unknown too).
    this.counters = initialCounters;
    this.timers.startup?.cancel();
    this.timers.startup = null;
    this.freeGate();
    this.ctx.recordProcess({ forget: proc.pid });
    if (this.stoppingGen === gen) return; // the stop that asked for it handles the state
    this.portWasOurs = this.readyAtMono !== null;
    // Leftovers in the group (children of a crashed leader) would hold ports and pipes: they go
    // before anything else happens, so a restart never races them for the port.
    this.sweepLater(proc.marker);
    void reapGroup(proc).then(() => this.afterExit(gen, code, signal, error, proc.processLimitHit));
  }

  private sweepLater(marker: string): void {
    this.unswept.add(marker);
    this.sweepTimer ??= setTimeout(() => void this.sweepNow(), SWEEP_DEFER_MS);
  }

  /** Kills the escaped descendants of every dead instance not swept yet. */
  private sweepNow(): Promise<void> {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    if (this.unswept.size === 0) return this.sweeping;
    const markers = new Set(this.unswept);
    this.unswept.clear();
    const sweep = killMarkedShared((m) => markers.has(m), 'SIGKILL').then(() => undefined);
    this.sweeping = Promise.all([this.sweeping, sweep]).then(() => undefined);
    return this.sweeping;
  }

  private afterExit(
    gen: number,
    code: number | null,
    signal: string | null,
    error?: string,
    processLimitHit: number | null = null,
  ): void {
    if (gen !== this.generation || this.proc !== null) return;
    // Killed by the process bound (spawn's watcher): say so rather than "killed by SIGKILL".
    const max = this.spec.limits.processes;
    const reason: Reason =
      processLimitHit !== null && max !== undefined
        ? {
            kind: 'process_limit',
            message: `ended: ${processLimitHit} processes over the limit of ${max} processes (limits.processes)`,
            signal,
            exitCode: code,
          }
        : exitReason(code, signal, error);
    this.lastError = error ?? (code === 0 && !signal ? null : reason.message);
    const failure: Failure = error
      ? { kind: 'start_failed', reason }
      : { kind: 'exit', code, signal, reason };
    this.fail(failure);
  }

  /** Feeds a failure of the current instance to the healing engine and carries out its decision. */
  private fail(failure: Failure): void {
    if (this.desired === 'down') return;
    if (!(failure.kind === 'exit' && failure.code === 0 && !failure.signal)) {
      this.failedSinceUp = true;
    }
    if (this.external) return; // Vigil does not own its process: health says it all
    const outcome = onFailure(
      this.policy,
      this.healing,
      failure,
      this.ctx.clock.now(),
      this.ctx.random,
    );
    this.healing = outcome.state;
    this.timers.stable?.cancel();
    this.timers.stable = null;
    this.notes(outcome.notes, failure.reason);
    void this.apply(outcome.decision, failure);
  }

  private async apply(decision: Decision, failure: Failure): Promise<void> {
    const reason = failure.reason;
    switch (decision.do) {
      case 'complete':
        this.setLifecycle('completed', reason);
        return;
      case 'none':
        if (failure.kind === 'unhealthy') return; // keeps running unhealthy: policy says leave it
        if (failure.kind === 'exit' && failure.code === 0 && !failure.signal) {
          this.setLifecycle('stopped', reason);
        } else {
          this.setLifecycle('failed', { ...reason, detail: decision.why });
        }
        return;
      case 'quarantine':
      case 'give_up': {
        // The end of the ladder: held down (quarantine) or left down (recovery `degraded`).
        if (!(await this.killForRecovery('graceful', reason))) return;
        this.desired = 'down';
        const why = { ...reason, message: decision.reason };
        this.healingEvent(decision.do, why);
        this.setLifecycle(decision.do === 'quarantine' ? 'quarantined' : 'failed', why);
        return;
      }
      case 'stack_restart':
      case 'restart': {
        const mine = await this.killForRecovery(
          decision.do === 'restart' ? decision.mode : 'graceful',
          reason,
        );
        if (!mine || this.desired === 'down') return;
        this.healingEvent('restart_scheduled', reason, {
          attempt: decision.attempt,
          ...(decision.do === 'restart' ? { rung: decision.rung } : {}),
          delayMs: decision.delayMs,
        });
        this.nextAttemptAtMono = this.ctx.clock.now() + decision.delayMs;
        this.setLifecycle('backoff', reason);
        this.timers.backoff?.cancel();
        this.timers.backoff = this.ctx.clock.setTimeout(() => {
          this.timers.backoff = null;
          if (this.desired !== 'up' || this.lifecycle !== 'backoff') return;
          if (decision.do === 'stack_restart') {
            this.healingEvent('stack_restart', reason, { attempt: decision.attempt });
            this.ctx.restartStack({
              kind: 'stack_restart',
              message: `stack restart after ${this.name} failed: ${reason.message}`,
            });
            return;
          }
          this.performRestart(decision, reason);
        }, decision.delayMs);
        return;
      }
    }
  }

  /**
   * Stops a still-running instance before a restart or quarantine (unhealthy, timeouts). An
   * instance behind a balancer (a replica, or a failover backup) is drained first (up to
   * `stop.timeout`): it failed its probe, but requests already sent to it may still be answered,
   * and a SIGKILL would cut them off. Its
   * probes stop before the drain, so a passing one cannot put it back in the pool meanwhile.
   * Resolves false when the process exited by itself during the drain: its exit is then handled
   * as the failure it is, and this recovery has nothing left to do.
   */
  private async killForRecovery(
    mode: 'immediate' | 'graceful' | 'dependencies',
    why?: Reason,
  ): Promise<boolean> {
    const stopping: Reason = {
      ...(why ?? { kind: 'probe' }),
      message: `stopping the failing instance: ${why?.message ?? 'unhealthy'}`,
    };
    const proc = this.proc;
    const drain =
      this.instance?.drain ??
      (this.ctx.drainBackup ? (ms: number) => this.ctx.drainBackup!(this.name, ms) : null);
    if (proc && drain) {
      this.monitor?.stop();
      this.monitor = null;
      await drain(this.spec.stop.timeoutMs);
      if (this.proc !== proc) return false;
    }
    if (mode === 'immediate') await this.stopInstance(stopping, 'SIGKILL', 0);
    else await this.stopInstance(stopping);
    return true;
  }

  /**
   * Stops the live instance, if any: its exit is expected (no healing), the monitor ends, the
   * service shows `stopping` until the whole group is gone.
   */
  private async stopInstance(
    reason: Reason,
    signal: NodeJS.Signals = this.spec.stop.signal as NodeJS.Signals,
    timeoutMs: number = this.spec.stop.timeoutMs,
    onSlow?: (ms: number) => void,
  ): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const gen = this.generation;
    this.stoppingGen = gen;
    this.monitor?.stop();
    this.monitor = null;
    this.setLifecycle('stopping', reason);
    await stopService(proc, signal, timeoutMs, onSlow ? { onSlow } : {});
    this.afterStopped(proc, gen);
  }

  private afterStopped(proc: ServiceProcess, gen: number): void {
    if (this.proc === proc && this.generation === gen) {
      this.proc = null;
      this.ctx.recordProcess({ forget: proc.pid });
    }
    this.timers.startup?.cancel();
    this.timers.startup = null;
    this.freeGate();
  }

  private performRestart(decision: Extract<Decision, { do: 'restart' }>, reason: Reason): void {
    if (decision.breakerTrial) {
      const step = onTrialStarted(this.healing, this.ctx.clock.now());
      this.healing = step.state;
      this.notes(step.notes, { kind: 'breaker_trial', message: 'breaker trial' });
    }
    const action: HealingAction =
      decision.mode === 'immediate'
        ? 'restart'
        : decision.mode === 'graceful'
          ? 'graceful_restart'
          : 'dependency_restart';
    const why: Reason = decision.breakerTrial
      ? { ...reason, kind: 'breaker_trial', message: `breaker trial after: ${reason.message}` }
      : reason;
    this.restartCount += 1;
    this.lastRestart = { ts: this.ctx.clock.wallNow(), reason: why };
    if (decision.mode === 'dependencies') {
      for (const dep of this.spec.dependsOn) {
        const facts = this.ctx.lookup(dep.name);
        if (!facts) continue;
        const failing =
          facts.lifecycle === 'failed' ||
          facts.lifecycle === 'backoff' ||
          (facts.lifecycle === 'running' &&
            (facts.health === 'unhealthy' || facts.health === 'timeout'));
        if (failing) {
          this.ctx.restartDependency(dep.name, {
            kind: 'dependency_recovery',
            message: `restarted for ${this.name}, which kept failing (${reason.message})`,
            dependency: this.name,
          });
        }
      }
    }
    this.healingEvent(action, why, {
      attempt: decision.attempt,
      rung: decision.rung,
      delayMs: decision.delayMs,
    });
    this.pending = decision;
    void this.tryStart(why);
  }

  // ─── registered (external) services ────────────────────────────────────────────────────────

  /** Marks this runner as a self-registered service reached at `url`. */
  setExternal(ext: { url: string; healthPath: string | null; intervalMs: number }): void {
    this.external = { ...ext, lastBeatMono: this.ctx.clock.now() };
  }

  heartbeat(): void {
    if (!this.external)
      throw new VigilError('CONFLICT', `${this.name} is not a registered service`);
    this.external.lastBeatMono = this.ctx.clock.now();
  }

  private startExternal(reason: Reason): void {
    const ext = this.external!;
    this.monitor?.stop();
    const gen = ++this.generation;
    this.desired = 'up';
    this.counters = initialCounters;
    this.spawnedAtMono = this.ctx.clock.now();
    this.startedAtWall = this.ctx.clock.wallNow();
    this.setLifecycle('starting', reason);
    const http = ext.healthPath !== null ? createProbeRunner(this.spec.health.probe) : null;
    const noEnv = { cwd: this.spec.cwd, env: {}, isAlive: () => true, logMatched: () => false };
    this.monitor = new HealthMonitor({
      spec: this.spec.health,
      clock: this.ctx.clock,
      cadence: this.ctx.cadence,
      startedAtMono: this.spawnedAtMono,
      run: async () => {
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

  /** A registered service leaves (deregistration): Vigil stops watching it, for good. */
  leave(reason: Reason): void {
    if (!this.external) {
      throw new VigilError('CONFLICT', `${this.name} is not a registered service`);
    }
    this.monitor?.stop();
    this.monitor = null;
    this.desired = 'down';
    this.stoppedByUser = true;
    this.setLifecycle('stopped', reason);
  }

  private refuseExternal(what: string): void {
    if (this.external) {
      throw new VigilError(
        'CONFLICT',
        `${this.name} registered itself over the API: Vigil does not ${what} its process`,
      );
    }
  }

  // ─── operations (serialised) ──────────────────────────────────────────────────────────────

  /** Stops the service on purpose; no automatic restart until started again. */
  stop(
    reason: Reason,
    opts: { byUser?: boolean; signal?: NodeJS.Signals; onSlow?: (ms: number) => void } = {},
  ): Promise<void> {
    if (this.external) {
      // A shutdown or removal stops watching it; a person asking to stop it gets a clear refusal.
      if (reason.kind !== 'shutdown' && reason.kind !== 'config_change') {
        return Promise.reject(
          new VigilError(
            'CONFLICT',
            `${this.name} registered itself over the API: Vigil does not stop its process`,
          ),
        );
      }
      this.monitor?.stop();
      this.monitor = null;
      this.desired = 'down';
      this.setLifecycle('stopped', reason);
      return Promise.resolve();
    }
    return this.ops.run(() => this.doStop(reason, opts));
  }

  private async doStop(
    reason: Reason,
    opts: { byUser?: boolean; signal?: NodeJS.Signals; onSlow?: (ms: number) => void },
  ): Promise<void> {
    this.desired = 'down';
    if (opts.byUser !== false) this.stoppedByUser = true;
    this.pending = null;
    this.cancelTimers();
    await this.stopInstance(
      reason,
      opts.signal ?? (this.spec.stop.signal as NodeJS.Signals),
      this.spec.stop.timeoutMs,
      opts.onSlow,
    );
    // Descendants that left the process group (setsid) still carry their instance's marker: one
    // scan by the service's prefix covers every instance, the pending sweeps included.
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    this.unswept.clear();
    await Promise.all([
      this.sweeping,
      killMarkedShared((m) => m.startsWith(this.marker), 'SIGKILL'),
    ]);
    if (this.lifecycle !== 'quarantined' && this.lifecycle !== 'completed')
      this.setLifecycle('stopped', reason);
    else this.trackReadiness();
  }

  /** Starts a stopped service (manual). */
  start(reason: Reason): Promise<void> {
    return this.ops.run(async () => {
      this.refuseExternal('start');
      if (refusesStart(this.lifecycle)) {
        throw new VigilError(
          'QUARANTINED',
          `${this.name} is quarantined (${this.healing.quarantine?.reason ?? 'manual'}); release it first`,
        );
      }
      if (this.proc || this.lifecycle === 'starting' || this.lifecycle === 'running') return;
      this.cancelTimers();
      this.beginUpCycle();
      this.desired = 'up';
      this.stoppedByUser = false;
      await this.tryStart(reason);
    });
  }

  /** Restarts now (manual, config change, dependency recovery). Joins a restart already queued. */
  restart(reason: Reason, opts: { force?: boolean } = {}): Promise<void> {
    if (this.external) {
      return Promise.reject(
        new VigilError(
          'CONFLICT',
          `${this.name} registered itself over the API: Vigil does not restart its process`,
        ),
      );
    }
    const outcome = manualRestart(this.healing, opts.force ?? false);
    if (!outcome.allowed) {
      return Promise.reject(
        new VigilError('QUARANTINED', `${this.name}: ${outcome.why ?? 'quarantined'}`),
      );
    }
    if (this.queuedRestart) return this.queuedRestart;
    const run = this.ops.run(async () => {
      this.queuedRestart = null;
      const again = manualRestart(this.healing, opts.force ?? false);
      if (!again.allowed)
        throw new VigilError('QUARANTINED', `${this.name}: ${again.why ?? 'quarantined'}`);
      const wasQuarantined = this.lifecycle === 'quarantined';
      this.healing = again.state;
      if (wasQuarantined)
        this.healingEvent('release', {
          ...reason,
          message: `quarantine cleared by forced restart (${reason.message})`,
        });
      this.cancelTimers();
      this.pending = null;
      await this.stopInstance(reason);
      this.restartCount += 1;
      this.lastRestart = { ts: this.ctx.clock.wallNow(), reason };
      this.healingEvent('restart', reason, { attempt: 0 });
      this.failedSinceUp = false;
      this.desired = 'up';
      this.stoppedByUser = false;
      this.upRequestedAtMono = this.ctx.clock.now();
      if (this.lifecycle !== 'stopped') this.setLifecycle('stopped', reason);
      await this.tryStart(reason);
    });
    this.queuedRestart = run;
    return run;
  }

  /** Holds the service down until released. */
  quarantine(reason: Reason): Promise<void> {
    return this.ops.run(async () => {
      this.refuseExternal('quarantine');
      this.healing = quarantineState(this.healing, reason.message, this.ctx.clock.now());
      this.desired = 'down';
      this.cancelTimers();
      await this.stopInstance(reason);
      this.healingEvent('quarantine', reason);
      this.setLifecycle('quarantined', reason);
    });
  }

  /** Clears quarantine (or a give-up) and brings the service back. */
  release(reason: Reason): Promise<void> {
    return this.ops.run(async () => {
      this.refuseExternal('release');
      if (
        refusesRelease({
          lifecycle: this.lifecycle,
          quarantineHeld: this.healing.quarantine !== null,
          gaveUp: this.healing.gaveUp,
        })
      ) {
        throw new VigilError(
          'CONFLICT',
          `${this.name} is not quarantined (it is ${this.lifecycle})`,
        );
      }
      this.healing = releaseState(this.healing);
      this.healingEvent('release', reason, { attempt: 0 });
      this.lastError = null;
      this.failedSinceUp = false;
      this.upRequestedAtMono = this.ctx.clock.now();
      this.setLifecycle('stopped', reason);
      this.desired = 'up';
      this.stoppedByUser = false;
      await this.tryStart(reason);
    });
  }

  /** A dependency restart asked by a dependent (rung 3) or a stack restart. */
  restartForRecovery(reason: Reason): void {
    if (this.lifecycle === 'quarantined') return;
    if (this.lifecycle === 'backoff') {
      // Already on its way back: bring the attempt forward.
      this.timers.backoff?.cancel();
      this.timers.backoff = null;
      this.restartCount += 1;
      this.lastRestart = { ts: this.ctx.clock.wallNow(), reason };
      this.healingEvent('restart', reason);
      void this.tryStart(reason);
      return;
    }
    void this.restart(reason, { force: false }).catch(() => undefined);
  }

  /** Resource sample from the supervisor's sampler. */
  onSample(sample: { cpuPercent: number | null; rssBytes: number; processes: number }): void {
    this.metrics = {
      cpuPercent: sample.cpuPercent,
      rssBytes: sample.rssBytes,
      processes: sample.processes,
    };
    if (!this.proc || this.lifecycle !== 'running') return;
    const verdict = judgeSample(this.spec.limits, sample, this.cpuOverSince, this.ctx.clock.now());
    this.cpuOverSince = verdict.cpuOverSince;
    switch (verdict.kind) {
      case 'ok':
        return;
      case 'memory': {
        const why: Reason = { kind: 'memory_limit', message: verdict.message };
        this.healingEvent('limit_exceeded', why);
        this.lastError = verdict.message;
        this.fail({ kind: 'unhealthy', reason: why });
        return;
      }
      case 'processes':
        this.healingEvent('limit_exceeded', { kind: 'process_limit', message: verdict.message });
        this.proc.signalGroup('SIGKILL');
        killMarked(this.proc.marker, 'SIGKILL');
        return;
      case 'cpu':
        this.healingEvent('recommendation', { kind: 'probe', message: verdict.message });
        return;
    }
  }

  private cancelTimers(): void {
    for (const key of Object.keys(this.timers) as (keyof Timers)[]) {
      if (key === 'overdue') continue;
      this.timers[key]?.cancel();
      this.timers[key] = null;
    }
    this.nextAttemptAtMono = null;
  }

  /** Final: stop timers and close files (the process must already be stopped). */
  dispose(): void {
    this.disposed = true;
    void this.sweepNow();
    this.cancelTimers();
    this.timers.overdue?.cancel();
    this.monitor?.stop();
    this.freeGate();
    // A shared log belongs to the replicated service, which closes it.
    if (!this.instance) this.logs.close();
  }
}
