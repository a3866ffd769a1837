/**
 * Every process of a service runs with `VIGIL_MARKER=<marker>` in its environment. Descendants
 * inherit it even when they leave the process group (`setsid`, double fork), so scanning
 * /proc/*\/environ finds what a group signal cannot reach.
 *
 * A scan reads the environment of every process on the machine (about 10 µs a process):
 * `markedProcesses()` shares one scan between every caller of the same moment, so a wave of 500
 * stops reads /proc a handful of times, not 500 times.
 */
import { PROC_AVAILABLE, environHasEntry, isAlive, listPids, readProcFile } from './procfs.js';

export const MARKER_ENV = 'VIGIL_MARKER';

const ENTRY_PREFIX = Buffer.from(`${MARKER_ENV}=`);

function needleFor(marker: string): Buffer {
  return Buffer.from(`${MARKER_ENV}=${marker}`);
}

/** The `VIGIL_MARKER` value of a NUL-separated environment block, or null. */
export function markerOf(environ: Buffer): string | null {
  let from = 0;
  for (;;) {
    const at = environ.indexOf(ENTRY_PREFIX, from);
    if (at < 0) return null;
    if (at === 0 || environ[at - 1] === 0) {
      const start = at + ENTRY_PREFIX.length;
      const end = environ.indexOf(0, start);
      return environ.toString('utf8', start, end < 0 ? environ.length : end);
    }
    from = at + 1;
  }
}

/** Live pids (never Vigil's own, never pid 1) whose environment carries the marker. */
export function findMarked(marker: string): number[] {
  if (!PROC_AVAILABLE || marker === '') return [];
  const needle = needleFor(marker);
  const out: number[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid || pid === 1) continue;
    const environ = readProcFile(`/proc/${pid}/environ`);
    if (environ !== null && environHasEntry(environ, needle) && isAlive(pid)) out.push(pid);
  }
  return out;
}

/** Signals every live process whose environment has `VIGIL_MARKER=<marker>`; returns how many. */
export function killMarked(marker: string, signal: NodeJS.Signals): number {
  return signalAll(findMarked(marker), signal);
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): number {
  let n = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
      n += 1;
    } catch {
      // exited in between, or not ours to signal
    }
  }
  return n;
}

/** Marker -> pids, for every process that carries one. */
export type MarkedTable = ReadonlyMap<string, readonly number[]>;

/** One pass over every process's environment. A zombie's reads empty: it carries nothing. */
function scanOnce(): MarkedTable {
  const table = new Map<string, number[]>();
  if (!PROC_AVAILABLE) return table;
  for (const pid of listPids()) {
    if (pid === 1 || pid === process.pid) continue;
    const environ = readProcFile(`/proc/${pid}/environ`);
    const marker = environ === null ? null : markerOf(environ);
    if (marker === null) continue;
    const list = table.get(marker);
    if (list) list.push(pid);
    else table.set(marker, [pid]);
  }
  return table;
}

/** The next scan, while it still accepts callers (it has not begun reading /proc). */
let gathering: Promise<MarkedTable> | null = null;

/**
 * Every marked process, from a scan that begins after this call (so it sees every process that
 * existed when it was made). Callers in the same turn share one scan. Never rejects.
 */
export function markedProcesses(): Promise<MarkedTable> {
  if (gathering) return gathering;
  // The scan runs in the next turn (after the callers of this one), synchronously: once it has
  // begun, later callers start a new gathering.
  const scan = new Promise<MarkedTable>((resolve) =>
    setImmediate(() => {
      gathering = null;
      try {
        resolve(scanOnce());
      } catch {
        resolve(new Map());
      }
    }),
  );
  gathering = scan;
  return scan;
}

/** `findMarked` from a shared scan. */
export async function findMarkedShared(marker: string): Promise<number[]> {
  if (marker === '') return [];
  return [...((await markedProcesses()).get(marker) ?? [])];
}

/**
 * SIGKILLs (or `signal`s) every process whose marker satisfies `which`, from a shared scan;
 * resolves the pids signalled.
 */
export async function killMarkedShared(
  which: string | ((marker: string) => boolean),
  signal: NodeJS.Signals,
): Promise<number[]> {
  if (which === '') return [];
  const table = await markedProcesses();
  const pids: number[] = [];
  if (typeof which === 'string') pids.push(...(table.get(which) ?? []));
  else for (const [marker, list] of table) if (which(marker)) pids.push(...list);
  return pids.filter((pid) => signalAll([pid], signal) === 1);
}
