import { describe, expect, it } from 'vitest';
import { CLK_TCK } from './procfs.mjs';
import { cpuSecondsBetween, supervisorProcesses, usageSnapshot } from './usage.mjs';

const proc = (pid, ppid, o = {}) => ({
  pid,
  ppid,
  utime: o.utime ?? 0,
  stime: o.stime ?? 0,
  cutime: o.cutime ?? 0,
  cstime: o.cstime ?? 0,
  starttime: o.starttime ?? 1,
  rssPages: 0,
});
const tableOf = (...procs) => new Map(procs.map((p) => [p.pid, p]));

describe('supervisor usage', () => {
  // 100 = supervisor; 101 = helper; 200, 201 = services (201 a service's child); 300 = helper's child.
  const table = tableOf(
    proc(100, 1),
    proc(101, 100),
    proc(300, 101),
    proc(200, 100),
    proc(201, 200),
    proc(999, 1),
  );

  it('counts the supervisor and its helpers, never the services or their children', () => {
    expect(supervisorProcesses(table, [100], [200]).sort()).toEqual([100, 101, 300]);
    expect(supervisorProcesses(table, [555], [200])).toEqual([]);
  });

  it('adds helpers born in the window in full, reaped children, and spots a reused pid', () => {
    const a = usageSnapshot(
      [100],
      [200],
      tableOf(proc(100, 1, { utime: 50, cutime: 5 }), proc(101, 100, { utime: 10, starttime: 7 })),
    );
    const b = usageSnapshot(
      [100],
      [200],
      tableOf(
        proc(100, 1, { utime: 60, stime: 5, cutime: 9 }), // +15 own, +4 reaped
        proc(101, 100, { utime: 3, starttime: 8 }), // same pid, new process: 3 in full
        proc(102, 100, { utime: 2 }), // born in the window: 2 in full
      ),
    );
    expect(cpuSecondsBetween(a, b)).toBeCloseTo((15 + 4 + 3 + 2) / CLK_TCK, 10);
  });
});
