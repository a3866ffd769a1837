/**
 * Every process of a service runs with `VIGIL_INSTANCE=<marker>` in its environment. Descendants
 * inherit it even when they leave the process group (`setsid`, double fork), so scanning
 * /proc/*\/environ finds what a group signal cannot reach.
 */
import { PROC_AVAILABLE, environHasEntry, isAlive, listPids, readEnviron } from './procfs.js';

export const MARKER_ENV = 'VIGIL_INSTANCE';

function needleFor(marker: string): Buffer {
  return Buffer.from(`${MARKER_ENV}=${marker}`);
}

/** Live pids (never Vigil's own, never pid 1) whose environment carries the marker. */
export function findMarked(marker: string): number[] {
  if (!PROC_AVAILABLE || marker === '') return [];
  const needle = needleFor(marker);
  const out: number[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid || pid === 1) continue;
    const environ = readEnviron(pid);
    if (environ !== null && environHasEntry(environ, needle) && isAlive(pid)) out.push(pid);
  }
  return out;
}

/** Signals every live process whose environment has `VIGIL_INSTANCE=<marker>`; returns how many. */
export function killMarked(marker: string, signal: NodeJS.Signals): number {
  let n = 0;
  for (const pid of findMarked(marker)) {
    try {
      process.kill(pid, signal);
      n += 1;
    } catch {
      // exited in between, or not ours to signal
    }
  }
  return n;
}
