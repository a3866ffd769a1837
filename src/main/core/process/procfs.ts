/**
 * Reading Linux's /proc: process table, start times, command lines and environments. The parsers
 * are pure (tested on strings); the readers are thin and never throw: a process that vanished
 * between listing and reading is simply skipped. On platforms without /proc every reader returns
 * "nothing" and callers degrade (see `PROC_AVAILABLE`).
 */
import fs from 'node:fs';

/** True when /proc can be read the Linux way. */
export const PROC_AVAILABLE: boolean =
  process.platform === 'linux' && fs.existsSync('/proc/self/stat');

/** Said once by callers that degrade without /proc. */
export const NO_PROC_MESSAGE = `process inspection needs Linux /proc (this is ${process.platform}): process trees, escaped descendants and resource samples are not available`;

/** Clock ticks per second used by /proc/PID/stat times (USER_HZ, 100 on every Linux build). */
export const CLK_TCK = 100;
/** Page size used for stat's RSS field. */
export const PAGE_SIZE = 4096;

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  /** R, S, D, Z (zombie), T, t, X (dead), I, ... */
  readonly state: string;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** utime + stime + cutime + cstime, in clock ticks (children's time once they are reaped). */
  readonly cpuTicks: number;
  readonly numThreads: number;
  /** Field 22, clock ticks since boot, as a string (identity check against pid reuse). */
  readonly startTime: string;
  readonly rssPages: number;
}

/** Parses the text of /proc/PID/stat; null when it does not look like one. */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // Field N (1-based) is rest[N - 3]: the comm may contain spaces and parentheses.
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  if (!Number.isInteger(pid) || rest.length < 22) return null;
  const num = (field: number): number => Number(rest[field - 3]);
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: num(4),
    pgid: num(5),
    sid: num(6),
    cpuTicks: num(14) + num(15) + num(16) + num(17),
    numThreads: num(20),
    startTime: rest[22 - 3] ?? '',
    rssPages: num(24),
  };
}

/** Zombies and dead entries hold a pid but run nothing: `kill(pid, 0)` still says they exist. */
export function isDeadState(state: string): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}

/** Numeric entries of /proc. */
export function listPids(): number[] {
  if (!PROC_AVAILABLE) return [];
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(n);
    if (Number.isInteger(pid) && pid > 0) pids.push(pid);
  }
  return pids;
}

/** Scratch space for /proc reads (grown when a file is bigger): no allocation per read. */
let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * The bytes of a /proc file, or null when it cannot be read. One open, read and close into a
 * reused buffer: about half the cost of `readFileSync`, which matters when every process on the
 * machine is read. The result is a view of the shared buffer: use it before the next call.
 */
export function readProcFile(file: string): Buffer | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    let size = 0;
    for (;;) {
      if (size === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, size);
        scratch = bigger;
      }
      const n = fs.readSync(fd, scratch, size, scratch.length - size, null);
      if (n === 0) break;
      size += n;
    }
    return scratch.subarray(0, size);
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

export function readStat(pid: number): ProcStat | null {
  if (!PROC_AVAILABLE || !(pid > 0)) return null;
  const raw = readProcFile(`/proc/${pid}/stat`);
  return raw === null ? null : parseStat(raw.toString('utf8'));
}

/** One pass over /proc/*\/stat: every process's stat line, read once. */
export function readAllStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of listPids()) {
    const s = readStat(pid);
    if (s) out.push(s);
  }
  return out;
}

let cached: { at: number; stats: ProcStat[] } | null = null;

/**
 * The process table, shared between callers within `maxAgeMs` (many services stopping at once
 * poll the same table instead of each scanning /proc).
 */
export function procTable(maxAgeMs: number): ProcStat[] {
  const now = performance.now();
  if (cached && now - cached.at <= maxAgeMs) return cached.stats;
  const stats = readAllStats();
  cached = { at: now, stats };
  return stats;
}

/** Field 22 of /proc/PID/stat, or null when the process is gone or /proc is absent. */
export function readStartTime(pid: number): string | null {
  return readStat(pid)?.startTime ?? null;
}

/** Running (not a zombie). Without /proc: whatever `kill(pid, 0)` says. */
export function isAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  if (PROC_AVAILABLE) {
    const s = readStat(pid);
    return s !== null && !isDeadState(s.state);
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** argv of a process, or null (gone, unreadable, or a kernel thread with an empty cmdline). */
export function readCmdline(pid: number): string[] | null {
  if (!PROC_AVAILABLE) return null;
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`);
    if (raw.length === 0) return null;
    const parts = raw.toString('utf8').split('\0');
    if (parts[parts.length - 1] === '') parts.pop();
    return parts;
  } catch {
    return null;
  }
}

/** A readable one-line command: argv joined by spaces, or `[comm]`, cut at `max` characters. */
export function describeProcess(pid: number, max = 200): string {
  const argv = readCmdline(pid);
  const text = argv ? argv.join(' ') : `[${readStat(pid)?.comm ?? '?'}]`;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** True when `environ` (NUL-separated `KEY=value` entries) holds exactly the entry `needle`. */
export function environHasEntry(environ: Buffer, needle: Buffer): boolean {
  let from = 0;
  for (;;) {
    const at = environ.indexOf(needle, from);
    if (at < 0) return false;
    const end = at + needle.length;
    const startsEntry = at === 0 || environ[at - 1] === 0;
    const endsEntry = end === environ.length || environ[end] === 0;
    if (startsEntry && endsEntry) return true;
    from = at + 1;
  }
}

/** The initial environment of a process, or null when unreadable (other user, gone). */
export function readEnviron(pid: number): Buffer | null {
  if (!PROC_AVAILABLE) return null;
  const raw = readProcFile(`/proc/${pid}/environ`);
  return raw === null ? null : Buffer.from(raw);
}

/** Identifies this boot: start times and pids are only comparable within one boot. */
export function readBootId(): string | null {
  if (!PROC_AVAILABLE) return null;
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Parent -> children and group -> members, built once from a process table. */
export interface ProcIndex {
  readonly byPid: ReadonlyMap<number, ProcStat>;
  readonly children: ReadonlyMap<number, readonly number[]>;
  readonly groups: ReadonlyMap<number, readonly number[]>;
}

export function buildIndex(stats: readonly ProcStat[]): ProcIndex {
  const byPid = new Map<number, ProcStat>();
  const children = new Map<number, number[]>();
  const groups = new Map<number, number[]>();
  for (const s of stats) {
    byPid.set(s.pid, s);
    const c = children.get(s.ppid);
    if (c) c.push(s.pid);
    else children.set(s.ppid, [s.pid]);
    const g = groups.get(s.pgid);
    if (g) g.push(s.pid);
    else groups.set(s.pgid, [s.pid]);
  }
  return { byPid, children, groups };
}

/**
 * The live processes of a service: the root, its descendants, and the members of its process
 * group (the root is the group leader; a member whose parent died was re-parented away from the
 * tree but still belongs to the service). Zombies are left out.
 */
export function collectTree(index: ProcIndex, root: number): number[] {
  const seen = new Set<number>();
  const queue: number[] = [];
  const visit = (pid: number): void => {
    if (seen.has(pid)) return;
    seen.add(pid);
    queue.push(pid);
  };
  if (index.byPid.has(root)) visit(root);
  for (const m of index.groups.get(root) ?? []) visit(m);
  for (let i = 0; i < queue.length; i++) {
    for (const c of index.children.get(queue[i]!) ?? []) visit(c);
  }
  const out: number[] = [];
  for (const pid of queue) {
    const s = index.byPid.get(pid);
    if (s && !isDeadState(s.state)) out.push(pid);
  }
  return out;
}
