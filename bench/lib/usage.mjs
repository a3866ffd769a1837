// A supervisor's own cost, services excluded: CPU ticks and RSS of the supervisor process and its
// helper processes (descendants that are not services or their children), read from /proc.
import { CLK_TCK, descendants, processTable, rssBytes } from './procfs.mjs';

/** Pids that count as the supervisor: the roots and their descendants outside the services' trees. */
export function supervisorProcesses(table, roots, servicePids) {
  const excluded = new Set(servicePids);
  for (const s of servicePids) for (const d of descendants(table, s)) excluded.add(d);
  const out = new Set();
  for (const r of roots) {
    if (!table.has(r)) continue;
    out.add(r);
    for (const d of descendants(table, r)) if (!excluded.has(d)) out.add(d);
  }
  return [...out];
}

/** Ticks and RSS at one moment. `reaped` = children's CPU that the roots have already collected. */
export function usageSnapshot(roots, servicePids, table = processTable()) {
  const procs = new Map();
  let reaped = 0;
  let rss = 0;
  for (const pid of supervisorProcesses(table, roots, servicePids)) {
    const s = table.get(pid);
    procs.set(pid, { starttime: s.starttime, ticks: s.utime + s.stime });
    if (roots.includes(pid)) reaped += s.cutime + s.cstime;
    rss += rssBytes(pid) ?? 0;
  }
  return { procs, reaped, rss };
}

/** CPU seconds spent between two snapshots (processes born in between count in full). */
export function cpuSecondsBetween(a, b) {
  let ticks = b.reaped - a.reaped;
  for (const [pid, p] of b.procs) {
    const before = a.procs.get(pid);
    ticks += before && before.starttime === p.starttime ? p.ticks - before.ticks : p.ticks;
  }
  return ticks / CLK_TCK;
}
