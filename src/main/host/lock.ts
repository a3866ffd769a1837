/**
 * One Vigil per data directory. `<dataDir>/vigil.lock` is created with O_EXCL (mode 0600) and
 * holds the owner's `InstanceInfo` as JSON; the CLI reads it to find the running instance's API.
 *
 * A lock is stale, and replaced, when its pid is dead, is a zombie (Linux: state `Z`/`X` in
 * /proc/PID/stat), or is alive with another start time than recorded (the pid was reused). On
 * platforms without /proc only the pid is checked. Taking over a stale lock renames it aside first
 * and checks that what was moved is what was judged stale, so two starting Vigils cannot both win.
 */
import fs from 'node:fs';
import path from 'node:path';
import { VigilError } from '../../shared/errors.js';

export interface InstanceInfo {
  pid: number;
  /** The process's start time as the OS counts it (Linux: /proc/PID/stat field 22), or null. */
  startTime: string | null;
  startedAt: number;
  stackFile: string;
  api?: { url: string };
}

export interface DataDirLock {
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
  /** Rewrites the lock file (atomically) with these fields changed, e.g. the API address. */
  update(info: Partial<InstanceInfo>): void;
}

export const LOCK_FILE = 'vigil.lock';
/** An unreadable lock file younger than this may be one being written right now. */
const PARTIAL_LOCK_GRACE_MS = 2_000;

/** The start time of a process (Linux), or null when unknown. */
export function processStartTime(pid: number): string | null {
  const stat = readProcStat(pid);
  return stat?.startTime ?? null;
}

interface ProcStat {
  readonly state: string;
  readonly startTime: string;
}

function readProcStat(pid: number): ProcStat | null {
  if (process.platform !== 'linux') return null;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid ..." where comm may contain spaces and parentheses.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return null;
  return { state, startTime };
}

export type Liveness = 'alive' | 'dead' | 'zombie' | 'reused';

/** Whether the process that wrote a lock still runs. */
export function lockOwnerLiveness(info: Pick<InstanceInfo, 'pid' | 'startTime'>): Liveness {
  if (!Number.isInteger(info.pid) || info.pid <= 0) return 'dead';
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  const stat = readProcStat(info.pid);
  if (stat) {
    if (stat.state === 'Z' || stat.state === 'X') return 'zombie';
    if (info.startTime !== null && stat.startTime !== info.startTime) return 'reused';
  }
  return 'alive';
}

function parseInfo(text: string): InstanceInfo | null {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof x !== 'object' || x === null) return null;
  const o = x as Record<string, unknown>;
  if (typeof o.pid !== 'number' || typeof o.startedAt !== 'number') return null;
  const api = o.api as { url?: unknown } | undefined;
  return {
    pid: o.pid,
    startTime: typeof o.startTime === 'string' ? o.startTime : null,
    startedAt: o.startedAt,
    stackFile: typeof o.stackFile === 'string' ? o.stackFile : '',
    ...(api && typeof api.url === 'string' ? { api: { url: api.url } } : {}),
  };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function sameOwner(a: InstanceInfo, b: InstanceInfo): boolean {
  return a.pid === b.pid && a.startTime === b.startTime && a.startedAt === b.startedAt;
}

function formatStarted(ts: number, now = Date.now()): string {
  const d = new Date(ts);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return new Date(now).toDateString() === d.toDateString()
    ? hm
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

/** "pid 1234 (vigil up -f shop/vigil.yaml), started 10:02, API http://127.0.0.1:9000" */
export function describeInstance(info: InstanceInfo): string {
  let stack = info.stackFile;
  if (stack) {
    const rel = path.relative(process.cwd(), stack);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) stack = rel;
  }
  return (
    `pid ${info.pid}` +
    (stack ? ` (vigil up -f ${stack})` : '') +
    `, started ${formatStarted(info.startedAt)}` +
    (info.api ? `, API ${info.api.url}` : '')
  );
}

function writeNew(file: string, info: InstanceInfo): boolean {
  let fd: number;
  try {
    fd = fs.openSync(
      file,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL,
      0o600,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, JSON.stringify(info));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

type Existing =
  | { readonly kind: 'gone' }
  | { readonly kind: 'live'; readonly info: InstanceInfo }
  | { readonly kind: 'stale'; readonly text: string; readonly why: string }
  | { readonly kind: 'partial' };

function inspect(file: string): Existing {
  let text: string;
  let mtimeMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    throw err;
  }
  const info = parseInfo(text);
  if (!info) {
    return Date.now() - mtimeMs > PARTIAL_LOCK_GRACE_MS
      ? { kind: 'stale', text, why: 'unreadable' }
      : { kind: 'partial' };
  }
  const live = lockOwnerLiveness(info);
  return live === 'alive'
    ? { kind: 'live', info }
    : {
        kind: 'stale',
        text,
        why: `pid ${info.pid} is ${live === 'reused' ? 'another process now' : live}`,
      };
}

/** Moves a stale lock away, making sure it is still the file judged stale. */
function removeStale(file: string, staleText: string): void {
  const aside = `${file}.stale-${process.pid}-${Date.now()}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  let moved = '';
  try {
    moved = fs.readFileSync(aside, 'utf8');
  } catch {
    // vanished: nothing to put back
  }
  if (moved === staleText) {
    fs.rmSync(aside, { force: true });
    return;
  }
  // Another Vigil replaced the stale lock in the meantime: put its lock back.
  try {
    fs.linkSync(aside, file);
  } catch {
    // a third one got there first; its lock stands
  }
  fs.rmSync(aside, { force: true });
}

/**
 * Takes the data directory for this instance, creating the directory (0700) if needed. Throws
 * `DATA_DIR_LOCKED` naming the instance that holds it, or `INVALID_CONFIGURATION` when the
 * directory cannot be created or written.
 */
export function acquireDataDirLock(dataDir: string, info: InstanceInfo): DataDirLock {
  const unusable = (err: unknown): VigilError =>
    new VigilError(
      'INVALID_CONFIGURATION',
      `cannot use the data directory ${dataDir}: ${err instanceof Error ? err.message : String(err)}`,
      { hint: 'choose a writable directory with --data-dir or VIGIL_DATA_DIR' },
    );
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw unusable(err);
  }
  const file = path.join(dataDir, LOCK_FILE);
  let mine: InstanceInfo = { ...info, startTime: info.startTime ?? processStartTime(info.pid) };
  const handle = (): DataDirLock =>
    makeHandle(
      file,
      () => mine,
      (next) => (mine = next),
    );

  for (let attempt = 0; attempt < 20; attempt++) {
    let created: boolean;
    try {
      created = writeNew(file, mine);
    } catch (err) {
      throw unusable(err);
    }
    if (created) return handle();
    const existing = inspect(file);
    switch (existing.kind) {
      case 'gone':
        continue;
      case 'live':
        throw new VigilError(
          'DATA_DIR_LOCKED',
          `another Vigil is using ${dataDir}: ${describeInstance(existing.info)}`,
          {
            hint: 'stop it with `vigil down`, or run this stack with another --data-dir',
          },
        );
      case 'stale':
        removeStale(file, existing.text);
        continue;
      case 'partial':
        sleepSync(50);
        continue;
    }
  }
  throw new VigilError(
    'DATA_DIR_LOCKED',
    `another Vigil is starting in ${dataDir} (its lock file ${file} is being written); try again`,
  );
}

function makeHandle(
  file: string,
  get: () => InstanceInfo,
  set: (info: InstanceInfo) => void,
): DataDirLock {
  let released = false;
  const stillMine = (): boolean => {
    try {
      const current = parseInfo(fs.readFileSync(file, 'utf8'));
      return current !== null && sameOwner(current, get());
    } catch {
      return false;
    }
  };
  return {
    release() {
      if (released) return;
      released = true;
      if (stillMine()) fs.rmSync(file, { force: true });
    },
    update(patch) {
      if (released) return;
      const next: InstanceInfo = { ...get(), ...patch };
      if (!stillMine()) return;
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(next), { mode: 0o600 });
      fs.renameSync(tmp, file);
      set(next);
    },
  };
}

/** The instance holding the data directory, or null when none (or its lock is stale). */
export function readInstance(dataDir: string): InstanceInfo | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  const info = parseInfo(text);
  if (!info) return null;
  return lockOwnerLiveness(info) === 'alive' ? info : null;
}
