/**
 * CPU and memory of service process trees, read from /proc. One round reads every
 * /proc/PID/stat once, builds the parent/child and group index once, and answers for all roots:
 * 100 services sampled every 5 s cost one directory listing and a few hundred small reads.
 * Without /proc (not Linux) the samples are empty.
 */
import os from 'node:os';
import {
  CLK_TCK,
  PAGE_SIZE,
  PROC_AVAILABLE,
  buildIndex,
  collectTree,
  readAllStats,
  type ProcStat,
} from '../process/procfs.js';

export interface TreeSample {
  readonly rootPid: number;
  /** The root, its descendants and its process group's members (zombies left out). */
  readonly pids: number[];
  readonly rssBytes: number;
  /** utime + stime of every process, plus what their reaped children used, in clock ticks. */
  readonly cpuTicks: number;
}

/** Pure: samples for the roots found in a process table. */
export function sampleTreesFrom(
  stats: readonly ProcStat[],
  rootPids: readonly number[],
): Map<number, TreeSample> {
  const out = new Map<number, TreeSample>();
  if (rootPids.length === 0) return out;
  const index = buildIndex(stats);
  for (const root of rootPids) {
    if (!(root > 0) || out.has(root)) continue;
    const pids = collectTree(index, root);
    if (pids.length === 0) continue;
    let rssPages = 0;
    let cpuTicks = 0;
    for (const pid of pids) {
      const s = index.byPid.get(pid)!;
      rssPages += s.rssPages;
      cpuTicks += s.cpuTicks;
    }
    out.set(root, { rootPid: root, pids, rssBytes: rssPages * PAGE_SIZE, cpuTicks });
  }
  return out;
}

/** One pass over /proc for all roots; roots that are gone are absent from the map. */
export function sampleTrees(rootPids: readonly number[]): Map<number, TreeSample> {
  if (!PROC_AVAILABLE || rootPids.length === 0) return new Map();
  return sampleTreesFrom(readAllStats(), rootPids);
}

/** CPU % from successive tick counts (100 = one core fully busy). */
export class CpuMeter {
  private readonly last = new Map<number, { ticks: number; monoMs: number }>();

  constructor(private readonly ticksPerSecond = CLK_TCK) {}

  /** CPU % since the previous sample of this root; null for the first one or after a reset. */
  update(rootPid: number, cpuTicks: number, monoMs: number): number | null {
    const prev = this.last.get(rootPid);
    this.last.set(rootPid, { ticks: cpuTicks, monoMs });
    if (!prev) return null;
    const dt = monoMs - prev.monoMs;
    const dticks = cpuTicks - prev.ticks;
    // Fewer ticks than before: a process of the tree exited unreaped; start over.
    if (dt <= 0 || dticks < 0) return null;
    return ((dticks / this.ticksPerSecond) * 100_000) / dt;
  }

  forget(rootPid: number): void {
    this.last.delete(rootPid);
  }
}

export function systemTotals(): { cpuCount: number; totalMemBytes: number; loadAvg: number[] } {
  const cpuCount =
    typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return { cpuCount, totalMemBytes: os.totalmem(), loadAvg: os.loadavg() };
}
