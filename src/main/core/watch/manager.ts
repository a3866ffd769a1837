/**
 * File watching for every service with `watch:` (SPEC §11). A change batch restarts the service
 * through its runner's ordinary restart path (reason `file_change`, with the changed paths), or
 * first runs the watch's command and restarts only when it exits 0. A service that keeps
 * restarting itself by writing under its own watched paths is detected (see batch.ts): the watch
 * pauses for it and says why. Each service's watch can be turned off and on without editing the
 * stack file; that choice outlives reloads of the stack file.
 */
import path from 'node:path';
import type {
  ChangedFiles,
  Lifecycle,
  Reason,
  ServiceSpec,
  WatchSpec,
} from '../../../shared/model.js';
import type { VigilEvent } from '../../../shared/events.js';
import type { WatchView } from '../../../shared/views.js';
import { VigilError } from '../../../shared/errors.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../logger.js';
import type { ServiceLogs } from '../process/index.js';

/** What a watch needs of a service: a plain runner or a replicated set (restarted rolling). */
export interface WatchTarget {
  readonly lifecycle: Lifecycle;
  readonly desired: 'up' | 'down';
  readonly spec: ServiceSpec;
  readonly logs: ServiceLogs;
  readonly generation: number;
  restart(reason: Reason, opts: { force?: boolean }): Promise<unknown>;
}
import {
  addChanges,
  changedFiles,
  describeFiles,
  dueAt,
  isLoop,
  remember,
  type Batch,
  type TriggerRecord,
} from './batch.js';
import { createFilter, type PathFilter } from './filter.js';
import { commandText, runWatchCommand, type RunningCommand } from './run.js';
import { TreeWatcher } from './watcher.js';

/** What the manager needs from the supervisor. */
export interface WatchHost {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly runMarker: string;
  /** Vigil's data directory: its writes (service logs) never count as changes. */
  readonly dataDir: string;
  emit(ev: VigilEvent): void;
  /** The runner of a service, if it exists. */
  find(name: string): WatchTarget | undefined;
  /** Tells every client (a status message). */
  notify(message: string): void;
}

/** Lifecycles in which a change restarts the service (not one a person stopped or quarantined). */
const RESTARTABLE = new Set(['starting', 'running', 'backoff', 'failed', 'waiting', 'completed']);

class ServiceWatch {
  enabled = true;
  paused: string | null = null;
  tree: TreeWatcher | null = null;
  filter: PathFilter;
  batch: Batch | null = null;
  timer: TimerHandle | null = null;
  busy = false;
  history: TriggerRecord[] = [];
  lastTrigger: { ts: number; files: ChangedFiles } | null = null;
  lastError: string | null = null;
  restarts = 0;
  running: RunningCommand | null = null;
  runs = 0;

  constructor(
    readonly name: string,
    readonly spec: WatchSpec,
    readonly cwd: string,
  ) {
    this.filter = createFilter(spec, cwd);
  }

  get active(): boolean {
    return this.enabled && this.paused === null;
  }
}

export class WatchManager {
  private readonly watches = new Map<string, ServiceWatch>();
  /** Turned off (false) or on (true) by a person: outlives reloads of the stack file. */
  private readonly overrides = new Map<string, boolean>();
  private disposed = false;

  constructor(private readonly host: WatchHost) {}

  /** Arms (or re-arms) the watches for these services; a changed `watch:` starts over. */
  async sync(services: readonly ServiceSpec[]): Promise<void> {
    if (this.disposed) return;
    const wanted = new Map(services.filter((s) => s.watch).map((s) => [s.name, s]));
    const ending: Promise<void>[] = [];
    for (const [name, w] of this.watches) {
      const next = wanted.get(name);
      if (!next || JSON.stringify(next.watch) !== JSON.stringify(w.spec) || next.cwd !== w.cwd) {
        this.watches.delete(name);
        ending.push(this.disarm(w));
      }
    }
    await Promise.all(ending);
    const jobs: Promise<void>[] = [];
    for (const [name, spec] of wanted) {
      if (this.watches.has(name)) continue;
      const w = new ServiceWatch(name, spec.watch!, spec.cwd);
      w.enabled = this.overrides.get(name) ?? true;
      this.watches.set(name, w);
      if (w.enabled) jobs.push(this.arm(w));
    }
    await Promise.all(jobs);
  }

  /** The watch of one service for the API (null: it has no `watch:`). */
  view(name: string): WatchView | null {
    const w = this.watches.get(name);
    if (!w) return null;
    return {
      enabled: w.enabled,
      state: !w.enabled
        ? 'off'
        : w.paused !== null
          ? 'paused'
          : w.running
            ? 'running_command'
            : w.busy
              ? 'restarting'
              : 'watching',
      paths: w.spec.shown,
      ignore: w.spec.ignore,
      action: w.spec.action,
      run: w.spec.run ? commandText(w.spec.run) : null,
      debounce_ms: w.spec.debounceMs,
      gitignore: w.spec.gitignore,
      paused_reason: w.paused,
      last_change: w.lastTrigger
        ? { at: new Date(w.lastTrigger.ts).toISOString(), files: w.lastTrigger.files }
        : null,
      last_error: w.lastError,
      restarts: w.restarts,
    };
  }

  /** Turns a service's watch on or off; on also resumes a watch paused by a loop. */
  async setEnabled(name: string, enabled: boolean, by: string): Promise<WatchView> {
    const w = this.watches.get(name);
    if (!w) {
      throw new VigilError('CONFLICT', `${name} has no "watch:" in the stack file`, {
        field: 'name',
        hint: `add \`watch: { paths: [src/] }\` to service "${name}" to restart it when its files change`,
      });
    }
    this.overrides.set(name, enabled);
    const wasActive = w.active;
    w.enabled = enabled;
    if (enabled) {
      w.paused = null;
      w.history = [];
      w.lastError = null;
    }
    if (w.active && (!wasActive || !w.tree)) await this.arm(w);
    if (!w.active) await this.disarm(w, false);
    this.status(`file watch of ${name} turned ${enabled ? 'on' : 'off'} ${by}`);
    return this.view(name)!;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all([...this.watches.values()].map((w) => this.disarm(w)));
    this.watches.clear();
  }

  // ─── arming ─────────────────────────────────────────────────────────────────────────────

  private async arm(w: ServiceWatch): Promise<void> {
    if (w.tree || this.disposed) return;
    w.filter = createFilter(w.spec, w.cwd, [path.resolve(this.host.dataDir)]);
    const tree = new TreeWatcher({
      paths: w.spec.paths,
      prunedDirs: w.filter.prunedDirs,
      prunedPaths: [path.resolve(this.host.dataDir)],
      logger: this.host.logger,
      onChanges: (paths) => this.onChanges(w, paths),
    });
    w.tree = tree;
    try {
      await tree.start();
    } catch (err) {
      w.lastError = `could not watch ${w.spec.shown.join(', ')}: ${String(err)}`;
      this.host.logger.warn(`${w.name}: ${w.lastError}`);
    }
  }

  /** Stops watching; `all` also ends a running watch command (removal, reload, shutdown). */
  private async disarm(w: ServiceWatch, all = true): Promise<void> {
    w.timer?.cancel();
    w.timer = null;
    w.batch = null;
    const tree = w.tree;
    w.tree = null;
    if (all && w.running) {
      w.running.proc.signalGroup('SIGTERM');
      const t = setTimeout(() => w.running?.proc.signalGroup('SIGKILL'), 2_000);
      await w.running.done.catch(() => undefined);
      clearTimeout(t);
    }
    await tree?.close();
  }

  // ─── changes ────────────────────────────────────────────────────────────────────────────

  private onChanges(w: ServiceWatch, abs: readonly string[]): void {
    if (!w.active || this.watches.get(w.name) !== w) return;
    const rel: string[] = [];
    for (const p of abs) {
      if (!w.filter.accepts(p)) continue;
      rel.push(path.relative(w.cwd, p).split(path.sep).join('/') || '.');
    }
    if (rel.length === 0) return;
    w.batch = addChanges(w.batch, rel, this.host.clock.now());
    this.schedule(w);
  }

  private schedule(w: ServiceWatch): void {
    if (w.busy || !w.batch) return;
    w.timer?.cancel();
    const delay = dueAt(w.batch, w.spec.debounceMs) - this.host.clock.now();
    w.timer = this.host.clock.setTimeout(() => {
      w.timer = null;
      void this.fire(w);
    }, delay);
  }

  private async fire(w: ServiceWatch): Promise<void> {
    const batch = w.batch;
    if (!batch || w.busy || !w.active) return;
    w.batch = null;
    const now = this.host.clock.now();
    const files = changedFiles(batch);
    const runner = this.host.find(w.name);
    if (!runner || !RESTARTABLE.has(runner.lifecycle) || runner.desired !== 'up') return;
    if (isLoop(w.history, batch.firstAtMono, now)) {
      this.pause(w, files);
      return;
    }
    w.busy = true;
    w.lastTrigger = { ts: this.host.clock.wallNow(), files };
    const reason: Reason = {
      kind: 'file_change',
      message: `files changed: ${describeFiles(files)}`,
      files,
      by: 'vigil',
    };
    try {
      if (w.spec.action === 'run' && w.spec.run) {
        const ok = await this.runCommand(w, runner, files);
        if (!ok) return;
      }
      // One instance today. With replicas, this is where a rolling restart (one instance at a
      // time, each ready before the next) replaces the single restart.
      await runner.restart(reason, { force: false });
      w.restarts += 1;
      w.lastError = null;
      w.history = remember(w.history, {
        firstChangeMono: batch.firstAtMono,
        triggeredAtMono: now,
        restartedAtMono: this.host.clock.now(),
      });
    } catch (err) {
      w.lastError = `restart after a file change failed: ${err instanceof Error ? err.message : String(err)}`;
      this.host.logger.warn(`${w.name}: ${w.lastError}`);
    } finally {
      w.busy = false;
      this.schedule(w);
    }
  }

  /** Runs the watch's command; true when it exited 0. A failure keeps the running instance. */
  private async runCommand(
    w: ServiceWatch,
    runner: WatchTarget,
    files: ChangedFiles,
  ): Promise<boolean> {
    const cmd = commandText(w.spec.run!);
    const line = (stream: 'stdout' | 'stderr', text: string): void => {
      const entry = runner.logs.append(stream, text, this.host.clock.wallNow());
      this.host.emit({
        type: 'log',
        ts: entry.ts,
        service: w.name,
        stream,
        line: entry.line,
        seq: entry.seq,
      });
    };
    line('stdout', `[watch] ${describeFiles(files)} changed: running ${cmd}`);
    w.runs += 1;
    const running = runWatchCommand({
      service: w.name,
      command: w.spec.run!,
      cwd: w.cwd,
      env: { ...this.host.baseEnv, ...runner.spec.env },
      marker: `${this.host.runMarker}:${w.name}/watch-${w.runs}`,
      onLine: line,
    });
    w.running = running;
    const outcome = await running.done;
    w.running = null;
    if (outcome.ok) {
      line('stdout', `[watch] "${cmd}" succeeded: restarting`);
      return true;
    }
    const message = `"${cmd}" ${outcome.message}; kept the running instance`;
    w.lastError = message;
    line('stderr', `[watch] ${message}`);
    this.host.emit({
      type: 'healing_event',
      ts: this.host.clock.wallNow(),
      service: w.name,
      action: 'watch_run_failed',
      reason: { kind: 'file_change', message, files, by: 'vigil' },
      attempt: 0,
      generation: runner.generation,
    });
    return false;
  }

  private pause(w: ServiceWatch, files: ChangedFiles): void {
    const message =
      `restart loop: ${w.name} changes files under its own watched paths (${describeFiles(files)}) ` +
      `right after each start; file watch paused. Add those paths to "ignore:", then ` +
      `\`vigil watch ${w.name} on\``;
    w.paused = message;
    w.lastError = message;
    w.timer?.cancel();
    w.timer = null;
    w.batch = null;
    this.host.logger.warn(`${w.name}: ${message}`);
    const gen = this.host.find(w.name)?.generation ?? 0;
    this.host.emit({
      type: 'healing_event',
      ts: this.host.clock.wallNow(),
      service: w.name,
      action: 'watch_paused',
      reason: { kind: 'file_change', message, files, by: 'vigil' },
      attempt: 0,
      generation: gen,
    });
    void this.disarm(w, false);
  }

  private status(message: string): void {
    this.host.logger.info(message);
    this.host.notify(message);
  }
}
