/**
 * Starting a service as a real OS process.
 *
 * The child leads its own process group (`detached`), so one signal reaches its whole tree; stdin
 * is closed and stdout/stderr are read line by line. Every process of the service carries
 * `VIGIL_MARKER=<marker>` in its environment, which its descendants inherit even after leaving
 * the group (`setsid`): that is how escaped descendants are found at stop time and after a crash
 * of Vigil itself.
 *
 * `exited` resolves on the leader's exit, never on its pipes closing: a daemonised grandchild that
 * keeps stdout open must not make anything wait. Spawn failures never throw: they resolve
 * `exited` with an `error` text a person can act on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CommandSpec } from '../../../shared/model.js';
import { LineSplitter } from './lines.js';
import { readStartTime } from './procfs.js';
import { processLimitWatcher, systemPrlimitPrefix } from './limits.js';
import { MARKER_ENV, killMarked } from './marker.js';
import { cgroupWrapper, createPidsCgroup, type PidsCgroup } from './cgroup.js';

export { MARKER_ENV };

export interface SpawnRequest {
  /** Service name (an identifier). */
  name: string;
  /** shell: run with `/bin/sh -c script`; argv: exec'd directly. */
  command: CommandSpec;
  cwd: string;
  /** The complete environment for the child (the caller merges process.env). */
  env: Readonly<Record<string, string>>;
  /** Set as `VIGIL_MARKER=<marker>` in the child's environment. */
  marker: string;
  /** Bound on the service's processes (fork bombs); the whole service is killed past it. */
  maxProcesses?: number;
  /** Told when the bound was exceeded and the service was killed for it. */
  onProcessLimit?: (count: number) => void;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** Why the process could not be started (missing command or directory, permission). */
  error?: string;
}

export interface ServiceProcess {
  readonly name: string;
  readonly marker: string;
  /** Also the process group id (the child is a group leader); 0 when the spawn failed. */
  readonly pid: number;
  /** Field 22 of /proc/PID/stat, for identity checks. */
  readonly startTime: string | null;
  /** The command line as started (what /proc/PID/cmdline shows right after the exec). */
  readonly commandLine: string;
  /** Resolves when the leader exits (not waiting for its stdio to close). */
  readonly exited: Promise<ExitInfo>;
  readonly exitInfo: ExitInfo | null;
  /** The process count that broke `maxProcesses`, when the service was killed for it. */
  readonly processLimitHit: number | null;
  /**
   * How `maxProcesses` is enforced: a pids cgroup (kernel), RLIMIT_NPROC via prlimit (kernel,
   * per user) plus the watcher, or the watcher alone; null when unbounded.
   */
  readonly processBound: 'cgroup' | 'rlimit' | 'watcher' | null;
  /** kill(-pgid, signal), ignoring ESRCH. */
  signalGroup(signal: NodeJS.Signals): void;
}

/** A fresh marker for one run of one service: unique, and readable in `ps e` output. */
export function newMarker(name: string): string {
  return `${name}.${randomBytes(8).toString('hex')}`;
}

type Resolved = { ok: true; file: string } | { ok: false; error: string };

function executable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds the program an argv command names, the way `execvp` would, to report failures clearly. */
export function resolveExecutable(cmd: string, envPath: string | undefined, cwd: string): Resolved {
  if (cmd === '') return { ok: false, error: 'empty command' };
  if (cmd.includes('/')) {
    const file = path.resolve(cwd, cmd);
    if (executable(file)) return { ok: true, file };
    if (!fs.existsSync(file)) return { ok: false, error: `command not found: ${cmd}` };
    return { ok: false, error: `permission denied: ${cmd} is not an executable file` };
  }
  let sawNonExecutable = false;
  for (const dir of (envPath ?? '/usr/local/bin:/usr/bin:/bin').split(path.delimiter)) {
    const file = path.resolve(cwd, dir || '.', cmd);
    if (executable(file)) return { ok: true, file };
    if (fs.existsSync(file)) sawNonExecutable = true;
  }
  return {
    ok: false,
    error: sawNonExecutable
      ? `permission denied: ${cmd} is not executable`
      : `command not found: ${cmd} (not in PATH)`,
  };
}

/** Vigil's own limit of open files (`ulimit -n`), from /proc; null where unknown. */
function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function describeSpawnError(err: unknown, file: string): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return `command not found: ${file}`;
    case 'EACCES':
      return `permission denied: ${file}`;
    case 'EMFILE': {
      const limit = openFilesLimit();
      return (
        `${file}: too many open files (EMFILE): Vigil has used up its limit` +
        `${limit !== null ? ` of ${limit}` : ''} open files (ulimit -n), about 3 per service; ` +
        `raise it (for example \`ulimit -n 8192\` before \`vigil up\`) or run fewer services`
      );
    }
    case 'E2BIG':
      return (
        `${file}: its arguments or environment are too large (E2BIG): the system takes at most ` +
        `128 KiB per argument or variable and about 2 MiB in all; pass large values in a file instead`
      );
    case 'ENFILE':
      return `${file}: too many open files on this system (ENFILE); close programs or raise fs.file-max`;
    default:
      return `cannot start ${file}: ${e.message ?? String(err)}`;
  }
}

function failed(req: SpawnRequest, error: string): ServiceProcess {
  const info: ExitInfo = { code: null, signal: null, error };
  return {
    name: req.name,
    marker: req.marker,
    pid: 0,
    startTime: null,
    commandLine: '',
    exited: Promise.resolve(info),
    exitInfo: info,
    processLimitHit: null,
    processBound: null,
    signalGroup: () => {},
  };
}

function signalGroupOf(pid: number, signal: NodeJS.Signals, leaderRunning: boolean): void {
  if (!(pid > 0)) return;
  try {
    process.kill(-pid, signal);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH' && code !== 'EINVAL' && code !== 'ENOSYS') return;
  }
  // No such group: the leader may have moved to another group (or the platform has none).
  if (leaderRunning) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

export function spawnService(
  req: SpawnRequest,
  onOutput: (stream: 'stdout' | 'stderr', line: string) => void,
): ServiceProcess {
  try {
    if (!fs.statSync(req.cwd).isDirectory()) {
      return failed(req, `working directory ${req.cwd} is not a directory`);
    }
  } catch {
    return failed(req, `working directory ${req.cwd} does not exist`);
  }
  const env: Record<string, string> = { ...req.env, [MARKER_ENV]: req.marker };

  let argv: string[];
  let argv0: string | undefined;
  if (req.command.kind === 'shell') {
    argv = ['/bin/sh', '-c', req.command.script];
  } else {
    const [cmd, ...args] = req.command.argv;
    if (cmd === undefined) return failed(req, 'empty command');
    const found = resolveExecutable(cmd, env.PATH, req.cwd);
    if (!found.ok) return failed(req, found.error);
    argv = [found.file, ...args];
    argv0 = cmd;
  }
  let commandLine = [argv0 ?? argv[0], ...argv.slice(1)].join(' ');
  const max = req.maxProcesses;
  const bounded = max !== undefined && Number.isFinite(max) && max > 0;
  let cgroup: PidsCgroup | null = null;
  let processBound: ServiceProcess['processBound'] = null;
  if (bounded) {
    // The wrappers exec the command, so after the exec /proc shows the command itself.
    cgroup = createPidsCgroup(req.marker, max);
    const prefix = cgroup === null ? systemPrlimitPrefix(max) : [];
    if (cgroup !== null || prefix.length > 0) {
      argv0 = undefined;
      commandLine = argv.join(' ');
    }
    if (cgroup !== null) argv = cgroupWrapper(cgroup, argv);
    else if (prefix.length > 0) argv = [...prefix, ...argv];
    processBound = cgroup !== null ? 'cgroup' : prefix.length > 0 ? 'rlimit' : 'watcher';
  }

  let child: ChildProcess;
  try {
    child = spawn(argv[0]!, argv.slice(1), {
      cwd: req.cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      ...(argv0 !== undefined ? { argv0 } : {}),
    });
  } catch (err) {
    cgroup?.remove();
    return failed(req, describeSpawnError(err, argv[0]!));
  }

  let exitInfo: ExitInfo | null = null;
  let limitHit: number | null = null;
  let settle!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((resolve) => {
    settle = (info) => {
      if (exitInfo !== null) return;
      exitInfo = info;
      if (cgroup !== null && pid > 0) processLimitWatcher.leaderExited(pid);
      resolve(info);
    };
  });
  const pid = child.pid ?? 0;

  child.once('exit', (code, signal) => settle({ code, signal }));
  child.on('error', (err) => {
    // Emitted for a failed spawn; later errors (a failed kill) are moot.
    if (pid === 0) settle({ code: null, signal: null, error: describeSpawnError(err, argv[0]!) });
  });

  const deliver = (stream: 'stdout' | 'stderr') => (line: string) => {
    try {
      onOutput(stream, line);
    } catch {
      // a failing consumer must not stop the reading of the pipe
    }
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    const pipe = child[stream];
    if (!pipe) continue;
    const splitter = new LineSplitter(deliver(stream));
    pipe.on('data', (chunk: Buffer) => splitter.push(chunk));
    pipe.once('end', () => splitter.end());
    pipe.on('error', () => splitter.end());
  }

  const proc: ServiceProcess = {
    name: req.name,
    marker: req.marker,
    pid,
    startTime: pid > 0 ? readStartTime(pid) : null,
    commandLine,
    exited,
    get exitInfo() {
      return exitInfo;
    },
    get processLimitHit() {
      return limitHit;
    },
    get processBound() {
      return processBound;
    },
    signalGroup(signal: NodeJS.Signals): void {
      signalGroupOf(pid, signal, exitInfo === null);
    },
  };

  if (bounded && pid > 0) {
    processLimitWatcher.watch(
      proc,
      max,
      (count) => {
        limitHit ??= count;
        // Descendants that left the group: a cgroup holds them all (the watcher killed them);
        // otherwise they are found by marker, now, before a restart could reuse the marker.
        if (processBound !== 'cgroup') killMarked(req.marker, 'SIGKILL');
        req.onProcessLimit?.(count);
      },
      cgroup,
      () => {
        processBound = 'watcher';
      },
    );
  } else {
    cgroup?.remove();
  }
  return proc;
}
