/**
 * A launcher whose processes are scripts on a clock: they write lines, exit when told (or after a
 * while), honour or ignore their stop signal, or never start at all. It stops them the way
 * `stopService` does (signal, wait up to the timeout on the clock, then SIGKILL), so a runner can
 * be tested through crash loops, startup timeouts and stubborn stops in microseconds.
 */
import type { Clock } from '../../clock.js';
import type { ExitInfo, SpawnRequest } from '../spawn.js';
import type { StopResult } from '../stop.js';
import type { LaunchedProcess, Launcher, OutputSink } from '../launcher.js';

export interface ProcessScript {
  /** Lines written right after the start. */
  readonly output?: readonly string[];
  /** Exits by itself this long after the start. */
  readonly exitAfterMs?: number;
  /** With `exitAfterMs`: the exit code (default 1). */
  readonly exitCode?: number;
  /** What a signal other than SIGKILL does: exit by it (default), exit 0, or nothing. */
  readonly onSignal?: 'die' | 'exit0' | 'ignore';
  /** The start fails (missing command): `exited` resolves at once with this error. */
  readonly spawnError?: string;
}

/** One scripted process. */
export class FakeProcess implements LaunchedProcess {
  readonly name: string;
  readonly marker: string;
  readonly pid: number;
  readonly startTime: string | null;
  readonly commandLine: string;
  readonly exited: Promise<ExitInfo>;
  readonly processBound = null;
  readonly processLimitHit: number | null = null;
  /** Every signal it received, in order. */
  readonly signals: NodeJS.Signals[] = [];
  readonly env: Readonly<Record<string, string>>;
  private info: ExitInfo | null = null;
  private settle!: (info: ExitInfo) => void;

  constructor(
    req: SpawnRequest,
    pid: number,
    readonly script: ProcessScript,
    private readonly onOutput: OutputSink,
  ) {
    this.name = req.name;
    this.marker = req.marker;
    this.env = req.env;
    this.pid = script.spawnError !== undefined ? 0 : pid;
    this.startTime = script.spawnError !== undefined ? null : String(pid);
    this.commandLine =
      req.command.kind === 'shell' ? req.command.script : req.command.argv.join(' ');
    this.exited = new Promise((resolve) => {
      this.settle = resolve;
    });
    if (script.spawnError !== undefined) {
      this.exit({ code: null, signal: null, error: script.spawnError });
    }
  }

  get exitInfo(): ExitInfo | null {
    return this.info;
  }

  get alive(): boolean {
    return this.info === null;
  }

  /** Writes a line on its stdout (or stderr). */
  write(line: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    if (this.alive) this.onOutput(stream, line);
  }

  /** Ends it now, as an exit with `code` or a death by `signal`. */
  exit(info: ExitInfo): void {
    if (this.info !== null) return;
    this.info = info;
    this.settle(info);
  }

  signalGroup(signal: NodeJS.Signals): void {
    if (!this.alive || this.pid === 0) return;
    this.signals.push(signal);
    if (signal === 'SIGKILL') return this.exit({ code: null, signal: 'SIGKILL' });
    switch (this.script.onSignal ?? 'die') {
      case 'die':
        return this.exit({ code: null, signal });
      case 'exit0':
        return this.exit({ code: 0, signal: null });
      case 'ignore':
        return;
    }
  }
}

export class FakeLauncher implements Launcher {
  /** Every process started, in order. */
  readonly spawned: FakeProcess[] = [];
  /** Every sweep's result: the markers of live processes it matched. */
  readonly sweeps: string[][] = [];
  /** Every spawn request, in order. */
  readonly requests: SpawnRequest[] = [];
  private nextPid = 4_000;

  /**
   * `script(req, n)` says what the n-th process (0-based) does; by default it starts and runs
   * until stopped.
   */
  constructor(
    private readonly clock: Clock,
    private readonly script: (req: SpawnRequest, n: number) => ProcessScript = () => ({}),
  ) {}

  /** Processes that have not exited. */
  live(): FakeProcess[] {
    return this.spawned.filter((p) => p.alive && p.pid !== 0);
  }

  /** The last process started. */
  get last(): FakeProcess {
    const p = this.spawned[this.spawned.length - 1];
    if (!p) throw new Error('no process was started');
    return p;
  }

  spawn(req: SpawnRequest, onOutput: OutputSink): LaunchedProcess {
    const script = this.script(req, this.spawned.length);
    const proc = new FakeProcess(req, this.nextPid++, script, onOutput);
    this.requests.push(req);
    this.spawned.push(proc);
    if (proc.alive) {
      for (const line of script.output ?? []) proc.write(line);
      if (script.exitAfterMs !== undefined) {
        this.clock.setTimeout(
          () => proc.exit({ code: script.exitCode ?? 1, signal: null }),
          script.exitAfterMs,
        );
      }
    }
    return proc;
  }

  async stop(
    proc: LaunchedProcess,
    signal: NodeJS.Signals,
    timeoutMs: number,
  ): Promise<StopResult> {
    const t0 = this.clock.now();
    if (proc.exitInfo !== null) return { graceful: true, tookMs: 0, killedDescendants: 0 };
    proc.signalGroup(signal);
    const exitedInTime = await new Promise<boolean>((resolve) => {
      if (proc.exitInfo !== null) return resolve(true);
      const timer = this.clock.setTimeout(() => resolve(false), Math.max(0, timeoutMs));
      void proc.exited.then(() => {
        timer.cancel();
        resolve(true);
      });
    });
    if (!exitedInTime) {
      proc.signalGroup('SIGKILL');
      await proc.exited;
    }
    return { graceful: exitedInTime, tookMs: this.clock.now() - t0, killedDescendants: 0 };
  }

  reap(proc: LaunchedProcess): Promise<void> {
    proc.signalGroup('SIGKILL');
    return Promise.resolve();
  }

  sweep(which: (marker: string) => boolean): Promise<number[]> {
    const hit = this.live().filter((p) => which(p.marker));
    this.sweeps.push(hit.map((p) => p.marker));
    for (const p of hit) p.signalGroup('SIGKILL');
    return Promise.resolve(hit.map((p) => p.pid));
  }
}
