/**
 * A kernel-enforced process bound: a cgroup with the `pids` controller (`pids.max`), when Vigil
 * may create one (root, or a delegated subtree). The kernel refuses forks beyond the bound, so an
 * exponential fork bomb never gets past it, and `pids.events` tells Vigil that it tried.
 * Membership is inherited whatever the child does (`setsid`, double fork), so `cgroup.procs`
 * lists every process of the service.
 *
 * Works with cgroup v1 (a hierarchy mounted with `pids`) and v2 (when Vigil's own cgroup hands
 * `pids` to its children). Anything else: `createPidsCgroup` returns null and callers fall back to
 * the /proc watcher.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROC_AVAILABLE } from './procfs.js';

export interface PidsCgroup {
  readonly dir: string;
  /** File the service's first process writes its pid into (before exec). */
  readonly procsFile: string;
  readonly max: number;
  /** Forks the kernel refused because of `pids.max`. */
  refused(): number;
  /** Processes in the cgroup now (0 when empty or unreadable). */
  current(): number;
  /** Pids of every process in the cgroup. */
  pids(): number[];
  /** Removes the cgroup; false while processes remain in it. */
  remove(): boolean;
}

/** Pure: the directory under which pids cgroups can be made, from /proc/mounts and /proc/self/cgroup. */
export function findPidsBase(
  mounts: string,
  selfCgroup: string,
  v2SubtreeControl: (dir: string) => string | null,
): string | null {
  const lines = selfCgroup.split('\n');
  for (const m of mounts.split('\n')) {
    const [, mountPoint, type, options] = m.split(' ');
    if (!mountPoint || !options) continue;
    if (type === 'cgroup2') {
      const rel = lines.find((l) => l.startsWith('0::'))?.slice(3);
      if (rel === undefined) continue;
      const dir = path.join(mountPoint, rel);
      if ((v2SubtreeControl(dir) ?? '').split(/\s+/).includes('pids')) return dir;
    }
  }
  for (const m of mounts.split('\n')) {
    const [, mountPoint, type, options] = m.split(' ');
    if (type !== 'cgroup' || !mountPoint || !options?.split(',').includes('pids')) continue;
    const line = lines.find((l) => l.split(':')[1]?.split(',').includes('pids'));
    const rel = line?.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    if (rel !== undefined) return path.join(mountPoint, rel);
  }
  return null;
}

let base: string | null | undefined;
let enabled = true;

/** Turns the cgroup layer off (or on again): the /proc watcher then bounds services alone. */
export function usePidsCgroups(on: boolean): void {
  enabled = on;
}

/** True when bounded services get a pids cgroup on this system. */
export function pidsCgroupsAvailable(): boolean {
  return pidsBase() !== null;
}

function pidsBase(): string | null {
  if (!enabled) return null;
  if (base !== undefined) return base;
  base = null;
  if (!PROC_AVAILABLE) return base;
  try {
    base = findPidsBase(
      fs.readFileSync('/proc/mounts', 'utf8'),
      fs.readFileSync('/proc/self/cgroup', 'utf8'),
      (dir) => {
        try {
          return fs.readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8');
        } catch {
          return null;
        }
      },
    );
  } catch {
    base = null;
  }
  if (base !== null) removeStale(base);
  return base;
}

/** Empty cgroups left by a Vigil that was killed: rmdir refuses the ones still in use. */
function removeStale(dir: string): void {
  try {
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith('vigil-')) fs.rmdir(path.join(dir, name), () => {});
    }
  } catch {
    // not listable: nothing to tidy
  }
}

function readNumber(file: string, key?: string): number {
  try {
    const text = fs.readFileSync(file, 'utf8');
    if (key === undefined) return Number(text.trim()) || 0;
    const line = text.split('\n').find((l) => l.startsWith(`${key} `));
    return Number(line?.slice(key.length + 1)) || 0;
  } catch {
    return 0;
  }
}

/**
 * A new cgroup `vigil-<id>-<random>` bounded to `max` processes, or null when the system offers
 * none. The random part keeps a restarted service clear of its previous cgroup, which lingers
 * until the kernel has released the last of its processes.
 */
export function createPidsCgroup(id: string, max: number): PidsCgroup | null {
  const root = pidsBase();
  if (root === null || !(max > 0)) return null;
  const safe = id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
  const dir = path.join(root, `vigil-${safe}-${randomBytes(3).toString('hex')}`);
  try {
    fs.mkdirSync(dir);
  } catch (err) {
    // Not ours to create in: stop trying (a name clash only skips this one).
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') base = null;
    return null;
  }
  try {
    fs.writeFileSync(path.join(dir, 'pids.max'), String(Math.floor(max)));
  } catch {
    fs.rmdir(dir, () => {});
    return null;
  }
  return {
    dir,
    procsFile: path.join(dir, 'cgroup.procs'),
    max,
    refused: () => readNumber(path.join(dir, 'pids.events'), 'max'),
    current: () => readNumber(path.join(dir, 'pids.current')),
    pids: () => {
      try {
        return fs
          .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map(Number);
      } catch {
        return [];
      }
    },
    remove: () => {
      try {
        fs.rmdirSync(dir);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOENT';
      }
    },
  };
}

/**
 * argv that enters the cgroup, then execs the command (same pid, so no fork escapes it). When the
 * system refuses the move, the command still runs (and says why on stderr); Vigil notices the
 * empty cgroup and watches the service through /proc instead.
 */
export const CGROUP_ENTER_SCRIPT =
  '{ echo $$ > "$1"; } 2>/dev/null || echo "vigil: could not enter cgroup $1; the process bound is watched instead" >&2; shift; exec "$@"';

export function cgroupWrapper(cg: PidsCgroup, argv: readonly string[]): string[] {
  return ['/bin/sh', '-c', CGROUP_ENTER_SCRIPT, 'vigil-cgroup', cg.procsFile, ...argv];
}
