/**
 * Over 500 lines: one instance's imperative shell (its process, probes, healing engine, logs and
 * operations) in one class; what decides is elsewhere.
 *
 * One service (or one instance of a replicated one) at run time: the imperative shell around the
 * pure rules. Its lifecycle is the step machine's (`lifecycle/machine.ts`): every lifecycle
 * change, timer (startup, backoff) and spawn/stop/reap decision is an effect the machine answers
 * to an event, and this class carries the effects out through the launcher (`ctx.launcher`).
 * What stays here: the health monitor and counters, the healing engine's state (its decisions go
 * to the machine), the launch gate, the port pre-flight and reset command, the sweeps of escaped
 * descendants, logs, resource samples and the operations' queue. Every change of lifecycle or
 * health is an event.
 *
 * Concurrency rules:
 * - Each spawned process is a generation; events from an older generation are ignored by the
 *   machine, so a stale exit never touches the new instance.
 * - Events raised while the machine's effects are carried out wait their turn (`dispatch`).
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
import { ServiceLogs, findPortHolder, isPortInUse } from '../process/index.js';
import { realLauncher, type LaunchedProcess, type Launcher } from '../process/launcher.js';
import {
  blockedBy,
  missingOptional,
  type MissingDependency,
  type ServiceFacts,
} from '../lifecycle/rules.js';
import {
  initialInstanceState,
  step,
  type Effect,
  type InstanceEvent,
  type InstanceState,
  type RestartDecision,
  type StackRestartDecision,
  type StopParams,
} from '../lifecycle/machine.js';
import { Readiness } from './readiness.js';
import { Sweeper } from './sweeper.js';
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
  /** How processes are started, stopped, reaped and swept (default: the operating system's). */
  readonly launcher?: Launcher;
}

/** The machine's timers (startup, backoff) and the healing engine's stable-run check. */
interface Timers {
  backoff: TimerHandle | null;
  startup: TimerHandle | null;
  stable: TimerHandle | null;
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

const NO_TIMERS = (): Timers => ({ backoff: null, startup: null, stable: null });

function commandText(spec: ServiceSpec): string {
  return spec.command.kind === 'shell' ? spec.command.script : spec.command.argv.join(' ');
}

function isCleanExit(f: Failure): boolean {
  return f.kind === 'exit' && f.code === 0 && !f.signal;
}

function blockedReason(blocking: readonly string[]): Reason {
  return {
    kind: 'dependency',
    message: `blocked by ${blocking.join(', ')}`,
    dependency: blocking[0]!,
  };
}

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
  private readonly launcher: Launcher;

  /** The lifecycle machine's state: lifecycle, wanted up or down, generation, timers' deadlines. */
  private m: InstanceState = initialInstanceState;
  counters: HealthCounters = initialCounters;
  healing: HealingState = initialHealingState;
  proc: LaunchedProcess | null = null;
  restartCount = 0;
  lastRestart: { ts: number; reason: Reason } | null = null;
  lastError: string | null = null;
  lastProbe: ProbeResult | null = null;
  sinceWall: number;
  startedAtWall: number | null = null;
  /** Monotonic time the service was first asked to come up in this up-cycle (critical chain). */
  upRequestedAtMono: number | null = null;
  /** Monotonic time the current generation was spawned and became ready. */
  spawnedAtMono: number | null = null;
  readyAtMono: number | null = null;
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

  /** Registered services have their own runner (`external-runner.ts`): never one of these. */
  readonly external = null;

  readonly logs: ServiceLogs;
  private monitor: HealthMonitor | null = null;
  private matcher: LogMatcher | null;
  private probeRunner;
  private timers: Timers = NO_TIMERS();
  private readonly readiness: Readiness;
  private readonly sweeper: Sweeper;
  private releaseGate: (() => void) | null = null;
  private readonly ops = new SerialQueue();
  private queuedRestart: Promise<void> | null = null;
  /** The decision waiting for dependencies (rung 3) or a free slot. */
  private pending: RestartDecision | null = null;
  private disposed = false;
  /** Set when this runner is one instance of a replicated service. */
  readonly instance: InstanceIdentity | null;
  /** Events waiting for the machine while the effects of an earlier one are carried out. */
  private readonly queue: { ev: InstanceEvent; done: () => void }[] = [];
  private stepping = false;
  /** The last instance was ready (so it was serving its port) when it exited. */
  private portWasOurs = false;
  /** The exit of the current generation, waiting for its reap (the machine's `reap` effect). */
  private lastExit: {
    gen: number;
    proc: LaunchedProcess;
    code: number | null;
    signal: string | null;
    error?: string;
  } | null = null;
  /** Told when a stop of the running operation takes long (`stop(…, { onSlow })`). */
  private onSlow: ((ms: number) => void) | undefined;

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
    this.launcher = ctx.launcher ?? realLauncher;
    this.policy = policyFor(spec, ctx.settings);
    this.sinceWall = ctx.clock.wallNow();
    this.logs = instance?.logs ?? new ServiceLogs({ name: spec.name, logsDir: ctx.logsDir });
    this.matcher =
      spec.health.probe.type === 'log' ? createLogMatcher(spec.health.probe.pattern) : null;
    this.probeRunner = createProbeRunner(spec.health.probe);
    this.readiness = new Readiness(ctx.clock, () => this.ctx.changed(this.name));
    this.sweeper = new Sweeper(ctx.clock, this.launcher);
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

  get lifecycle(): Lifecycle {
    return this.m.lifecycle;
  }

  /** Wanted up (started by the launch or a person) or down (stopped, quarantined). */
  get desired(): 'up' | 'down' {
    return this.m.desired;
  }

  get stoppedByUser(): boolean {
    return this.m.stoppedByUser;
  }

  /** "Start all" clears it before the launch (the flag is the machine's; no lifecycle moves). */
  set stoppedByUser(value: boolean) {
    this.m = { ...this.m, stoppedByUser: value };
  }

  get blocked(): string[] {
    return [...this.m.blocked];
  }

  get generation(): number {
    return this.m.generation;
  }

  get nextAttemptAtMono(): number | null {
    return this.m.backoff?.at ?? null;
  }

  /** Since when the service has been wanted up but not ready (for "down past startup timeout"). */
  get notReadySinceMono(): number | null {
    return this.readiness.notReadySinceMono;
  }

  get overdue(): boolean {
    return this.readiness.overdue;
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
    const startup = this.m.startup;
    return startup === null ? null : monoToWall(this.ctx.clock, startup.deadline);
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

  // ─── the machine ──────────────────────────────────────────────────────────────────────────

  /**
   * Feeds an event to the lifecycle machine and carries out its effects, in order. An event raised
   * while effects are carried out (a spawn's `spawned`, a failure's `decided`) waits until they
   * are done. Resolves once the asynchronous effects it started (a stop, a start) are over.
   */
  private dispatch(ev: InstanceEvent): Promise<void> {
    return new Promise<void>((resolve) => {
      this.queue.push({ ev, done: resolve });
      if (this.stepping) return;
      this.stepping = true;
      try {
        for (let item = this.queue.shift(); item; item = this.queue.shift()) {
          const waits: Promise<unknown>[] = [];
          try {
            this.apply(item.ev, waits);
          } catch (err) {
            this.ctx.logger.error(`${this.name}: ${item.ev.type}: ${String(err)}`);
          }
          const done = item.done;
          void Promise.allSettled(waits).then(() => done());
        }
      } finally {
        this.stepping = false;
      }
    });
  }

  private apply(ev: InstanceEvent, waits: Promise<unknown>[]): void {
    const out = step(this.m, ev, this.ctx.clock.now());
    this.m = out.state;
    if (out.ignored !== undefined && ev.type !== 'deps_changed') {
      this.ctx.logger.debug(`${this.name}: ${ev.type} changes nothing: ${out.ignored}`);
    }
    for (const effect of out.effects) {
      const pending = this.carryOut(effect);
      if (pending) waits.push(pending);
    }
  }

  private carryOut(e: Effect): Promise<unknown> | undefined {
    switch (e.do) {
      case 'lifecycle':
        this.announce(e);
        return undefined;
      case 'start':
        return this.tryStart(e.launch, e.reason);
      case 'spawn':
        this.spawnProcess(e.generation, e.reason);
        return undefined;
      case 'stop':
        return this.stopProcess(
          e.generation,
          { signal: e.signal, timeoutMs: e.timeoutMs },
          e.recovery,
        );
      case 'reap':
        this.reap(e.generation);
        return undefined;
      case 'fail':
        this.judge(e.generation, e.failure, e.lastError);
        return undefined;
      case 'restart':
        this.beginRestart(e.reason, e.decision);
        return undefined;
      case 'stack_restart':
        this.stackRestart(e.reason, e.decision);
        return undefined;
      case 'healing':
        this.healingEvent(e.action, e.reason, {
          ...(e.attempt !== undefined ? { attempt: e.attempt } : {}),
          ...(e.rung !== undefined ? { rung: e.rung } : {}),
          ...(e.delayMs !== undefined ? { delayMs: e.delayMs } : {}),
        });
        return undefined;
      case 'schedule': {
        const { timer, at, generation } = e;
        const fire: InstanceEvent =
          timer === 'startup'
            ? { type: 'startup_timeout', generation }
            : { type: 'backoff_elapsed', at };
        this.timers[timer]?.cancel();
        this.timers[timer] = this.ctx.clock.setTimeout(
          () => {
            this.timers[timer] = null;
            void this.dispatch(fire);
          },
          Math.max(0, at - this.ctx.clock.now()),
        );
        return undefined;
      }
      case 'cancel':
        this.timers[e.timer]?.cancel();
        this.timers[e.timer] = null;
        return undefined;
    }
  }

  private stopParams(signal?: NodeJS.Signals): StopParams {
    return {
      signal: signal ?? (this.spec.stop.signal as NodeJS.Signals),
      timeoutMs: this.spec.stop.timeoutMs,
    };
  }

  // ─── state changes ────────────────────────────────────────────────────────────────────────

  /** A lifecycle change the machine made: its bookkeeping, then its event. */
  private announce(e: Extract<Effect, { do: 'lifecycle' }>): void {
    if (e.to === 'running') {
      this.readyAtMono = this.ctx.clock.now();
      this.lastError = null;
      this.freeGate();
    }
    this.sinceWall = this.ctx.clock.wallNow();
    this.trackReadiness();
    this.ctx.emit({
      type: 'service_event',
      ts: this.sinceWall,
      service: this.name,
      from: e.from,
      to: e.to,
      status: displayStatus(e.to, this.counters.health),
      generation: this.generation,
      pid: this.pid,
      reason: e.reason,
      ...(e.blockedBy !== undefined ? { blockedBy: [...e.blockedBy] } : {}),
      ...(e.nextAttemptAt !== undefined
        ? { nextAttemptAt: monoToWall(this.ctx.clock, e.nextAttemptAt) }
        : {}),
      ...this.startingFields(e.to),
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
    const held = this.lifecycle === 'quarantined' || this.lifecycle === 'failed';
    this.readiness.track(!ready && wanted && !held, this.spec.startupTimeoutMs);
  }

  // ─── starting ─────────────────────────────────────────────────────────────────────────────

  /** The launch or a person wants it up. */
  requestUp(reason: Reason): void {
    if (this.disposed) return;
    if (this.upRequestedAtMono === null) this.upRequestedAtMono = this.ctx.clock.now();
    void this.dispatch({ type: 'up_requested', reason });
  }

  /** A dependency changed: a waiting service may go now. */
  dependencyChanged(): void {
    if (this.lifecycle === 'waiting') void this.dispatch({ type: 'deps_changed' });
  }

  /** The machine's `start` effect: dependencies first, then a launch slot and the port. */
  private tryStart(launch: number, reason: Reason): Promise<void> {
    const blocking = blockedBy(this.spec.dependsOn, (n) => this.ctx.lookup(n));
    if (blocking.length > 0) {
      return this.dispatch({
        type: 'deps_blocked',
        launch,
        blockedBy: blocking,
        reason: blockedReason(blocking),
      });
    }
    return this.spawnNow(launch, reason);
  }

  /** Is start number `launch` still the one the machine waits for? */
  private stillLaunching(launch: number): boolean {
    return this.m.launching && this.m.launch === launch && !this.disposed;
  }

  private async spawnNow(launch: number, reason: Reason): Promise<void> {
    let answered = false;
    const answer = (ev: InstanceEvent): Promise<void> => {
      answered = true;
      return this.dispatch(ev);
    };
    try {
      const release = await this.ctx.gate.acquire();
      if (!this.stillLaunching(launch)) {
        release();
        await answer({ type: 'start_abandoned', launch, why: 'superseded while waiting' });
        return;
      }
      // Dependencies may have gone down while this service waited for a slot.
      const blocking = blockedBy(this.spec.dependsOn, (n) => this.ctx.lookup(n));
      if (blocking.length > 0) {
        release();
        await answer({
          type: 'deps_blocked',
          launch,
          blockedBy: blocking,
          reason: blockedReason(blocking),
        });
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
        await answer({
          type: 'start_failed',
          launch,
          reason: { kind: 'port_in_use', message, detail: who },
        });
        return;
      }
      const before = this.generation;
      await answer({ type: 'launch_cleared', launch, reason });
      // Superseded meanwhile (stopped, held): nothing was spawned, the slot goes back.
      if (this.generation === before) this.freeGate();
    } catch (err) {
      // Never let a spawn problem escape as an unhandled rejection: it is this service's failure.
      this.freeGate();
      const message = `could not start: ${err instanceof Error ? err.message : String(err)}`;
      this.ctx.logger.error(`${this.name}: ${message}`);
      if (!answered) {
        this.lastError = message;
        await answer({ type: 'start_failed', launch, reason: { kind: 'spawn_error', message } });
      }
    } finally {
      if (!answered) void this.dispatch({ type: 'start_abandoned', launch, why: 'no outcome' });
    }
  }

  /** The machine's `spawn` effect. */
  private spawnProcess(gen: number, reason: Reason): void {
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
    let proc: LaunchedProcess;
    try {
      proc = this.launcher.spawn(
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
    } catch (err) {
      this.freeGate();
      const message = `could not start: ${err instanceof Error ? err.message : String(err)}`;
      this.lastError = message;
      this.ctx.logger.error(`${this.name}: ${message}`);
      void this.dispatch({
        type: 'start_failed',
        launch: this.m.launch,
        reason: { kind: 'spawn_error', message },
      });
      return;
    }
    this.proc = proc;
    void this.sweeper.now();
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
    void this.dispatch({
      type: 'spawned',
      generation: gen,
      reason,
      startupTimeoutMs: this.spec.startupTimeoutMs,
    });
    proc.exited.then(
      (info) => this.onExit(gen, proc, info.code, info.signal, info.error),
      (err: unknown) => this.onExit(gen, proc, null, null, String(err)),
    );
    if (proc.exitInfo === null) this.startMonitor(gen);
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
    if (gen !== this.generation || !this.proc) return;
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
      void this.dispatch({
        type: 'probe_ready',
        generation: gen,
        reason: { kind: 'probe', message: `ready: ${result.detail}`, probe: result.probe },
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
      void this.dispatch({
        type: 'probe_failed',
        generation: gen,
        reason: { kind: 'probe', message, probe: result.probe, detail: result.detail },
      });
    }
  }

  private scheduleStableCheck(): void {
    const due = nextStableResetAt(this.policy, this.healing);
    this.cancelStable();
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

  private cancelStable(): void {
    this.timers.stable?.cancel();
    this.timers.stable = null;
  }

  /** Probe now (API check-now); null when the service has no live process. */
  async checkNow(): Promise<ProbeResult | null> {
    if (!this.monitor || !this.proc) return null;
    return this.monitor.checkNow();
  }

  // ─── exits and failures ───────────────────────────────────────────────────────────────────

  private onExit(
    gen: number,
    proc: LaunchedProcess,
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
    this.freeGate();
    this.ctx.recordProcess({ forget: proc.pid });
    this.lastExit = { gen, proc, code, signal, ...(error !== undefined ? { error } : {}) };
    void this.dispatch({ type: 'exited', generation: gen });
  }

  /**
   * The machine's `reap` effect. Leftovers in the group (children of a crashed leader) would hold
   * ports and pipes: they go before anything else happens, so a restart never races them for the
   * port. Escaped descendants are swept soon after.
   */
  private reap(gen: number): void {
    const exit = this.lastExit;
    if (!exit || exit.gen !== gen) return;
    this.lastExit = null;
    this.portWasOurs = this.readyAtMono !== null;
    this.sweeper.later(exit.proc.marker);
    void this.launcher.reap(exit.proc).then(() => {
      const { failure, lastError } = this.exitFailure(exit);
      return this.dispatch({ type: 'reaped', generation: gen, failure, lastError });
    });
  }

  /** What an exit was, for the healing engine and for people. */
  private exitFailure(exit: NonNullable<ServiceRunner['lastExit']>): {
    failure: Failure;
    lastError: string | null;
  } {
    const { code, signal, error } = exit;
    // Killed by the process bound (spawn's watcher): say so rather than "killed by SIGKILL".
    const max = this.spec.limits.processes;
    const hit = exit.proc.processLimitHit;
    const reason: Reason =
      hit !== null && max !== undefined
        ? {
            kind: 'process_limit',
            message: `ended: ${hit} processes over the limit of ${max} processes (limits.processes)`,
            signal,
            exitCode: code,
          }
        : exitReason(code, signal, error);
    return {
      failure: error ? { kind: 'start_failed', reason } : { kind: 'exit', code, signal, reason },
      lastError: error ?? (code === 0 && !signal ? null : reason.message),
    };
  }

  /** The machine's `fail` effect: the healing engine decides, the machine is told. */
  private judge(gen: number, failure: Failure, lastError: string | null): void {
    this.lastError = lastError;
    if (!isCleanExit(failure)) this.failedSinceUp = true;
    let decision: Decision;
    try {
      const outcome = onFailure(
        this.policy,
        this.healing,
        failure,
        this.ctx.clock.now(),
        this.ctx.random,
      );
      this.healing = outcome.state;
      this.cancelStable();
      this.notes(outcome.notes, failure.reason);
      decision = outcome.decision;
    } catch (err) {
      decision = { do: 'none', why: `the healing engine failed: ${String(err)}` };
    }
    void this.dispatch({ type: 'decided', generation: gen, decision, stop: this.stopParams() });
  }

  /**
   * The machine's `stop` effect: the live instance's monitor ends and its group is stopped; its
   * exit is expected (no healing). Answers `stopped` once the whole group is gone.
   *
   * An instance behind a balancer (a replica, or a failover backup) stopped for failing
   * (`recovery`) is drained first (up to
   * `stop.timeout`): it failed its probe, but requests already sent to it may still be answered,
   * and a SIGKILL would cut them off. Its probes stop before the drain, so a passing one cannot
   * put it back in the pool meanwhile. Should it exit by itself during the drain, that exit ends
   * the stop (the decision that asked for it, a backoff or a hold, follows).
   */
  private async stopProcess(gen: number, stop: StopParams, recovery: boolean): Promise<void> {
    this.monitor?.stop();
    this.monitor = null;
    const drain =
      this.instance?.drain ??
      (this.ctx.drainBackup ? (ms: number) => this.ctx.drainBackup!(this.name, ms) : null);
    if (recovery && this.proc && gen === this.generation && drain) {
      try {
        await drain(this.spec.stop.timeoutMs);
      } catch (err) {
        this.ctx.logger.warn(`${this.name}: draining: ${String(err)}`);
      }
    }
    const proc = this.proc;
    if (proc && gen === this.generation) {
      const onSlow = this.onSlow;
      try {
        await this.launcher.stop(proc, stop.signal, stop.timeoutMs, onSlow ? { onSlow } : {});
      } catch (err) {
        this.ctx.logger.warn(`${this.name}: stopping: ${String(err)}`);
      }
      if (this.proc === proc && this.generation === gen) {
        this.proc = null;
        this.ctx.recordProcess({ forget: proc.pid });
      }
      this.freeGate();
    }
    await this.dispatch({ type: 'stopped', generation: gen });
  }

  /** The machine's `restart` effect: a restart attempt begins (the `start` effect follows). */
  private beginRestart(reason: Reason, decision: RestartDecision | null): void {
    this.restartCount += 1;
    this.lastRestart = { ts: this.ctx.clock.wallNow(), reason };
    if (decision === null) {
      // A dependent's recovery brought the attempt forward.
      this.healingEvent('restart', reason);
      return;
    }
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
    this.healingEvent(action, reason, {
      attempt: decision.attempt,
      rung: decision.rung,
      delayMs: decision.delayMs,
    });
    this.pending = decision;
  }

  /** The machine's `stack_restart` effect (recovery `stack_restart`). */
  private stackRestart(reason: Reason, decision: StackRestartDecision): void {
    this.healingEvent('stack_restart', reason, { attempt: decision.attempt });
    this.ctx.restartStack({
      kind: 'stack_restart',
      message: `stack restart after ${this.name} failed: ${reason.message}`,
    });
  }

  // ─── operations (serialised) ──────────────────────────────────────────────────────────────

  /** Stops the service on purpose; no automatic restart until started again. */
  stop(
    reason: Reason,
    opts: { byUser?: boolean; signal?: NodeJS.Signals; onSlow?: (ms: number) => void } = {},
  ): Promise<void> {
    return this.ops.run(() => this.doStop(reason, opts));
  }

  private async doStop(
    reason: Reason,
    opts: { byUser?: boolean; signal?: NodeJS.Signals; onSlow?: (ms: number) => void },
  ): Promise<void> {
    this.pending = null;
    this.cancelStable();
    this.onSlow = opts.onSlow;
    const stopping = this.dispatch({
      type: 'stop_requested',
      reason,
      byUser: opts.byUser !== false,
      stop: this.stopParams(opts.signal),
    });
    this.onSlow = undefined;
    await stopping;
    // Descendants that left the process group (setsid) still carry their instance's marker: one
    // scan by the service's prefix covers every instance, the pending sweeps included.
    await this.sweeper.all(this.marker);
    await this.dispatch({ type: 'stop_finished', reason });
    this.trackReadiness();
  }

  /** Starts a stopped service (manual). */
  start(reason: Reason): Promise<void> {
    return this.ops.run(async () => {
      if (refusesStart(this.lifecycle)) {
        throw new VigilError(
          'QUARANTINED',
          `${this.name} is quarantined (${this.healing.quarantine?.reason ?? 'manual'}); release it first`,
        );
      }
      if (this.proc || this.lifecycle === 'starting' || this.lifecycle === 'running') return;
      this.cancelStable();
      this.beginUpCycle();
      await this.dispatch({ type: 'start_requested', reason });
    });
  }

  /** Restarts now (manual, config change, dependency recovery). Joins a restart already queued. */
  restart(reason: Reason, opts: { force?: boolean } = {}): Promise<void> {
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
      this.cancelStable();
      this.pending = null;
      await this.dispatch({ type: 'restart_requested', reason, stop: this.stopParams() });
      this.restartCount += 1;
      this.lastRestart = { ts: this.ctx.clock.wallNow(), reason };
      this.healingEvent('restart', reason, { attempt: 0 });
      this.failedSinceUp = false;
      this.upRequestedAtMono = this.ctx.clock.now();
      await this.dispatch({ type: 'relaunch', reason });
    });
    this.queuedRestart = run;
    return run;
  }

  /** Holds the service down until released. */
  quarantine(reason: Reason): Promise<void> {
    return this.ops.run(async () => {
      this.healing = quarantineState(this.healing, reason.message, this.ctx.clock.now());
      this.cancelStable();
      this.pending = null;
      await this.dispatch({ type: 'quarantine_requested', reason, stop: this.stopParams() });
    });
  }

  /** Clears quarantine (or a give-up) and brings the service back. */
  release(reason: Reason): Promise<void> {
    return this.ops.run(async () => {
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
      await this.dispatch({ type: 'relaunch', reason });
    });
  }

  /** A dependency restart asked by a dependent (rung 3) or a stack restart. */
  restartForRecovery(reason: Reason): void {
    if (this.lifecycle === 'quarantined') return;
    if (this.lifecycle === 'backoff') {
      // Already on its way back: bring the attempt forward (if it is not under way already).
      void this.dispatch({ type: 'retry_now', reason });
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
        void this.dispatch({ type: 'limit_exceeded', generation: this.generation, reason: why });
        return;
      }
      case 'processes': {
        this.healingEvent('limit_exceeded', { kind: 'process_limit', message: verdict.message });
        const marker = this.proc.marker;
        this.proc.signalGroup('SIGKILL');
        void this.launcher.sweep((m) => m === marker);
        return;
      }
      case 'cpu':
        this.healingEvent('recommendation', { kind: 'probe', message: verdict.message });
        return;
    }
  }

  /** Final: stop timers and close files (the process must already be stopped). */
  dispose(): void {
    this.disposed = true;
    void this.sweeper.now();
    for (const key of Object.keys(this.timers) as (keyof Timers)[]) {
      this.timers[key]?.cancel();
      this.timers[key] = null;
    }
    this.readiness.cancel();
    this.monitor?.stop();
    this.freeGate();
    // A shared log belongs to the replicated service, which closes it.
    if (!this.instance) this.logs.close();
  }
}
