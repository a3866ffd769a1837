/**
 * Bounding the number of processes a service may run (fork bombs).
 *
 * Layers, strongest first:
 * - a cgroup with `pids.max` when Vigil may create one (see cgroup.ts): the kernel refuses forks
 *   past the bound, and the watcher kills the service once it tried;
 * - otherwise `prlimit --nproc` when util-linux's `prlimit` exists and Vigil does not run as root. The
 *   kernel's RLIMIT_NPROC counts every thread of the *user*, not of the service, so the limit is
 *   set to what the user already runs plus the service's bound plus headroom: a coarse backstop
 *   that stops an exponential fork bomb from exhausting the machine between two checks. Root is
 *   exempt from RLIMIT_NPROC, so for root this layer is skipped.
 * - Vigil's own watcher: one timer; a cheap check every 50 ms (the system's task count) and a
 *   pass over /proc when it jumps or every 2 s; a service whose tree (descendants plus
 *   process-group members) exceeds its bound is SIGKILLed as a whole, escaped descendants
 *   included.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  PROC_AVAILABLE,
  buildIndex,
  collectTree,
  isDeadState,
  listPids,
  readAllStats,
  readStat,
  type ProcIndex,
  type ProcStat,
} from './procfs.js';
import type { PidsCgroup } from './cgroup.js';

/** Processes in the tree of `pid` (itself, descendants, and its process group); 0 when gone. */
export function countTree(pid: number): number {
  if (!PROC_AVAILABLE || !(pid > 0)) return 0;
  return collectTree(buildIndex(readAllStats()), pid).length;
}

/** Extra RLIMIT_NPROC room on top of what the user already runs (their other programs grow too). */
export const NPROC_HEADROOM = 256;

let prlimitPath: string | null | undefined;

function findPrlimit(): string | null {
  if (prlimitPath !== undefined) return prlimitPath;
  prlimitPath = null;
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/bin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, 'prlimit');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      prlimitPath = candidate;
      break;
    } catch {
      // not here
    }
  }
  return prlimitPath;
}

/** Threads (what RLIMIT_NPROC counts) owned by the user `uid`. */
function userThreads(uid: number): number {
  let n = 0;
  for (const pid of listPids()) {
    try {
      if (fs.statSync(`/proc/${pid}`).uid !== uid) continue;
    } catch {
      continue;
    }
    n += readStat(pid)?.numThreads ?? 0;
  }
  return n;
}

/** The argv prefix that runs a command under `prlimit --nproc`, given what the system offers. */
export function prlimitPrefix(
  maxProcesses: number,
  env: { prlimit: string | null; uid: number | null; userThreads: () => number },
): string[] {
  if (env.prlimit === null || env.uid === null || env.uid === 0) return [];
  const n = env.userThreads() + maxProcesses + NPROC_HEADROOM;
  return [env.prlimit, `--nproc=${n}:${n}`, '--'];
}

/** `prlimitPrefix` for this machine and user. */
export function systemPrlimitPrefix(maxProcesses: number): string[] {
  if (!PROC_AVAILABLE) return [];
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  return prlimitPrefix(maxProcesses, {
    prlimit: uid === null || uid === 0 ? null : findPrlimit(),
    uid,
    userThreads: () => (uid === null ? 0 : userThreads(uid)),
  });
}

/** What the watcher needs from a service process. */
export interface BoundedProcess {
  readonly pid: number;
  /** Non-null once the leader exited. */
  readonly exitInfo: unknown;
  signalGroup(signal: NodeJS.Signals): void;
}

interface Watched {
  readonly proc: BoundedProcess;
  readonly max: number;
  readonly onExceeded: (count: number) => void;
  /** The kernel-enforced bound, when there is one (dropped if the service never entered it). */
  cgroup: PidsCgroup | null;
  readonly since: number;
  readonly onCgroupDropped: (() => void) | undefined;
  /** onExceeded is called once; the kills repeat while the service stays over the bound. */
  told: boolean;
}

/** Pure: the watched roots whose trees exceed their bound in this process table. */
export function overLimit(
  index: ProcIndex,
  bounds: ReadonlyMap<number, number>,
): { root: number; pids: number[]; gone: boolean }[] {
  const out: { root: number; pids: number[]; gone: boolean }[] = [];
  for (const [root, max] of bounds) {
    const pids = collectTree(index, root);
    if (pids.length === 0) out.push({ root, pids, gone: true });
    else if (pids.length > max) out.push({ root, pids, gone: false });
  }
  return out;
}

/** How often the cheap check runs (one read of /proc/loadavg). */
export const LIMIT_POLL_MS = 50;
/** A full pass over /proc at least this often, to catch slow growth. */
export const LIMIT_FULL_SCAN_MS = 2_000;
/** System-wide task growth since the last pass that triggers a pass at once. */
export const LIMIT_GROWTH_TRIGGER = 16;
/** Passes triggered by growth are at least this far apart (a busy machine cannot make it spin). */
export const LIMIT_MIN_SCAN_GAP_MS = 100;
/** Cgroup-bound services: how often `pids.events` is read (the kernel holds the bound meanwhile). */
export const LIMIT_CGROUP_POLL_MS = 250;

/** How long a service may take to enter its cgroup (the wrapper's first command). */
const CGROUP_ENTRY_GRACE_MS = 1_000;

/** Number of tasks (threads) on the system: the 4th field of /proc/loadavg, `running/total`. */
export function readTaskCount(): number | null {
  if (!PROC_AVAILABLE) return null;
  try {
    const field = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[3] ?? '';
    const total = Number(field.slice(field.indexOf('/') + 1));
    return Number.isFinite(total) ? total : null;
  } catch {
    return null;
  }
}

/**
 * Pure: does this tick need a full pass over /proc? Yes when the system's task count grew by the
 * trigger since the last pass (a fork bomb shows up here within one tick), or when the last pass
 * is old; never twice within the minimum gap.
 */
export function needsScan(s: {
  tasks: number | null;
  tasksAtScan: number | null;
  sinceScanMs: number;
}): boolean {
  if (s.sinceScanMs >= LIMIT_FULL_SCAN_MS) return true;
  if (s.sinceScanMs < LIMIT_MIN_SCAN_GAP_MS) return false;
  if (s.tasks === null || s.tasksAtScan === null) return s.sinceScanMs >= LIMIT_MIN_SCAN_GAP_MS * 5;
  return s.tasks - s.tasksAtScan >= LIMIT_GROWTH_TRIGGER;
}

/**
 * One timer for every bounded service. A service in a pids cgroup costs one small read every
 * `LIMIT_CGROUP_POLL_MS`. For the others each tick costs one small read (the system's task
 * count), and the pass over /proc runs when that count jumps or every `LIMIT_FULL_SCAN_MS`. A
 * service stays watched until its leader exited and its processes are all gone (a fork bomb may
 * outlive its leader), or until `unwatch`.
 */
export class ProcessLimitWatcher {
  private readonly watched = new Map<number, Watched>();
  private timer: NodeJS.Timeout | null = null;
  private lastScan = Number.NEGATIVE_INFINITY;
  private lastCgroupCheck = Number.NEGATIVE_INFINITY;
  private tasksAtScan: number | null = null;

  private readonly pollMs: number;
  private readonly killPidList: (pids: readonly number[]) => void;
  private readonly cgroupEntryGraceMs: number;

  constructor(
    opts: {
      pollMs?: number;
      killPids?: (pids: readonly number[]) => void;
      cgroupEntryGraceMs?: number;
    } = {},
  ) {
    this.pollMs = opts.pollMs ?? LIMIT_POLL_MS;
    this.killPidList = opts.killPids ?? killPids;
    this.cgroupEntryGraceMs = opts.cgroupEntryGraceMs ?? CGROUP_ENTRY_GRACE_MS;
  }

  watch(
    proc: BoundedProcess,
    max: number,
    onExceeded: (count: number) => void,
    cgroup: PidsCgroup | null = null,
    onCgroupDropped?: () => void,
  ): void {
    if (!PROC_AVAILABLE || !(proc.pid > 0)) return;
    this.watched.set(proc.pid, {
      proc,
      max,
      onExceeded,
      cgroup,
      since: performance.now(),
      onCgroupDropped,
      told: false,
    });
    if (this.timer === null) {
      this.lastScan = performance.now();
      this.tasksAtScan = readTaskCount();
      this.timer = setInterval(() => this.tick(), this.pollMs);
      this.timer.unref();
    }
  }

  unwatch(pid: number): void {
    const w = this.watched.get(pid);
    this.watched.delete(pid);
    w?.cgroup?.remove();
    if (this.watched.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  get size(): number {
    return this.watched.size;
  }

  /** Called by the timer; public for tests. */
  tick(): void {
    if (this.watched.size === 0) return;
    const now = performance.now();
    if (now - this.lastCgroupCheck >= LIMIT_CGROUP_POLL_MS) {
      this.lastCgroupCheck = now;
      this.checkCgroups();
    }
    let uncontained = false;
    for (const [pid, w] of this.watched) {
      if (w.cgroup !== null) continue;
      if (w.proc.exitInfo !== null && groupGone(pid)) this.unwatch(pid);
      else uncontained = true;
    }
    if (!uncontained) return;
    const tasks = readTaskCount();
    // Exits lower the baseline, so growth is measured from the lowest point since the last pass.
    if (tasks !== null && this.tasksAtScan !== null && tasks < this.tasksAtScan) {
      this.tasksAtScan = tasks;
    }
    if (needsScan({ tasks, tasksAtScan: this.tasksAtScan, sinceScanMs: now - this.lastScan })) {
      this.scan();
    }
  }

  /**
   * Services in a pids cgroup: the kernel refused a fork, or everything is gone. A running
   * service whose cgroup stays empty never entered it (the system refused the move): it is then
   * watched through /proc like the others.
   */
  checkCgroups(): void {
    const now = performance.now();
    for (const [pid, w] of this.watched) {
      const cg = w.cgroup;
      if (cg === null) continue;
      const current = cg.current();
      if (w.proc.exitInfo !== null && current === 0) this.unwatch(pid);
      else if (cg.refused() > 0) this.enforce(w, cg.max + 1, cg.pids());
      else if (current === 0 && now - w.since >= this.cgroupEntryGraceMs) {
        w.cgroup = null;
        cg.remove();
        try {
          w.onCgroupDropped?.();
        } catch {
          // informational only
        }
      }
    }
  }

  /** The leader exited: stop watching at once if nothing of the service is left. */
  leaderExited(pid: number): void {
    const cg = this.watched.get(pid)?.cgroup;
    if (cg && cg.current() === 0) this.unwatch(pid);
  }

  /**
   * One pass over /proc for the services without a cgroup (public for tests). Newest pids first,
   * counting members of each watched process group as it goes: a fork bomb's processes are the
   * newest, so it is killed after about `max` reads, before the machine is too busy to finish a
   * pass. The pass stops there; the next one accounts for descendants that left the group.
   */
  scan(): void {
    this.lastScan = performance.now();
    this.tasksAtScan = readTaskCount();
    const byGroup = new Map<number, Watched>();
    for (const [pid, w] of this.watched) if (w.cgroup === null) byGroup.set(pid, w);
    if (byGroup.size === 0) return;
    const inGroup = new Map<number, number>();
    const stats: ProcStat[] = [];
    let killedAny = false;
    for (const pid of listPids().sort((a, b) => b - a)) {
      const st = readStat(pid);
      if (!st) continue;
      stats.push(st);
      const w = byGroup.get(st.pgid);
      if (!w || isDeadState(st.state)) continue;
      const n = (inGroup.get(st.pgid) ?? 0) + 1;
      inGroup.set(st.pgid, n);
      if (n === w.max + 1) {
        this.enforce(w, n, []);
        killedAny = true;
      }
    }
    if (killedAny) return;
    const bounds = new Map<number, number>();
    for (const [pid, w] of byGroup) bounds.set(pid, w.max);
    for (const hit of overLimit(buildIndex(stats), bounds)) {
      const w = byGroup.get(hit.root)!;
      if (!hit.gone) this.enforce(w, hit.pids.length, hit.pids);
      else if (w.proc.exitInfo !== null) this.unwatch(hit.root);
    }
  }

  private enforce(w: Watched, count: number, pids: readonly number[]): void {
    // The group first (the kernel delivers it to members forked concurrently too), then the
    // processes that left the group.
    w.proc.signalGroup('SIGKILL');
    if (pids.length > 0) this.killPidList(pids);
    if (w.told) return;
    w.told = true;
    try {
      w.onExceeded(count);
    } catch {
      // a failing listener must not stop the watcher
    }
  }
}

/** No process is left in the group (zombies still count until reaped: the pass decides then). */
function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    if (pid === process.pid || pid <= 1) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** The watcher `spawnService` uses for `maxProcesses`. */
export const processLimitWatcher = new ProcessLimitWatcher();
