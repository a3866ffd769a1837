import { describe, expect, it } from 'vitest';
import {
  LIMIT_FULL_SCAN_MS,
  LIMIT_GROWTH_TRIGGER,
  LIMIT_MIN_SCAN_GAP_MS,
  NPROC_HEADROOM,
  ProcessLimitWatcher,
  needsScan,
  type BoundedProcess,
  overLimit,
  prlimitPrefix,
} from './limits.js';
import { buildIndex, type ProcStat } from './procfs.js';
import type { PidsCgroup } from './cgroup.js';

const proc = (pid: number, ppid: number, pgid: number): ProcStat => ({
  pid,
  comm: 'sh',
  state: 'S',
  ppid,
  pgid,
  sid: pgid,
  cpuTicks: 0,
  numThreads: 1,
  startTime: '1',
  rssPages: 1,
});

describe('prlimitPrefix', () => {
  const env = { prlimit: '/usr/bin/prlimit', uid: 1000, userThreads: () => 300 };

  it('bounds RLIMIT_NPROC above what the user already runs', () => {
    const n = 300 + 20 + NPROC_HEADROOM;
    expect(prlimitPrefix(20, env)).toEqual(['/usr/bin/prlimit', `--nproc=${n}:${n}`, '--']);
  });

  it('is skipped for root (exempt from RLIMIT_NPROC) and without prlimit', () => {
    expect(prlimitPrefix(20, { ...env, uid: 0 })).toEqual([]);
    expect(prlimitPrefix(20, { ...env, prlimit: null })).toEqual([]);
    expect(prlimitPrefix(20, { ...env, uid: null })).toEqual([]);
  });
});

describe('overLimit', () => {
  // root 10 has 4 processes (one re-parented but in the group); root 30 has 2; root 50 is gone.
  const table = [
    proc(1, 0, 1),
    proc(10, 1, 10),
    proc(11, 10, 10),
    proc(12, 11, 10),
    proc(13, 1, 10),
    proc(30, 1, 30),
    proc(31, 30, 30),
  ];

  it('reports trees above their bound and roots that are gone', () => {
    const hits = overLimit(
      buildIndex(table),
      new Map([
        [10, 3],
        [30, 2],
        [50, 5],
      ]),
    );
    expect(hits).toHaveLength(2);
    expect(hits[0]).toMatchObject({ root: 10, gone: false });
    expect([...hits[0]!.pids].sort((a, b) => a - b)).toEqual([10, 11, 12, 13]);
    expect(hits[1]).toEqual({ root: 50, pids: [], gone: true });
  });

  it('reports nothing when every tree is within its bound', () => {
    expect(overLimit(buildIndex(table), new Map([[10, 4]]))).toEqual([]);
  });
});

describe('needsScan', () => {
  const at = (tasks: number | null, sinceScanMs: number): boolean =>
    needsScan({ tasks, tasksAtScan: 200, sinceScanMs });

  it('scans at once when the system suddenly has many more tasks', () => {
    expect(at(200 + LIMIT_GROWTH_TRIGGER, LIMIT_MIN_SCAN_GAP_MS)).toBe(true);
    expect(at(200 + LIMIT_GROWTH_TRIGGER - 1, LIMIT_MIN_SCAN_GAP_MS)).toBe(false);
  });

  it('never scans twice within the minimum gap, and always after the full period', () => {
    expect(at(10_000, LIMIT_MIN_SCAN_GAP_MS - 1)).toBe(false);
    expect(at(200, LIMIT_FULL_SCAN_MS)).toBe(true);
  });

  it('falls back to a slower cadence when the task count cannot be read', () => {
    expect(at(null, LIMIT_MIN_SCAN_GAP_MS)).toBe(false);
    expect(at(null, LIMIT_MIN_SCAN_GAP_MS * 5)).toBe(true);
  });
});

describe('ProcessLimitWatcher with a pids cgroup', () => {
  function fakeCgroup(state: { refused: number; current: number; removed: number }): PidsCgroup {
    return {
      dir: '/cg/vigil-x',
      procsFile: '/cg/vigil-x/cgroup.procs',
      max: 20,
      refused: () => state.refused,
      current: () => state.current,
      pids: () => [501, 502],
      remove: () => {
        state.removed += 1;
        return true;
      },
    };
  }
  function fakeProc(): BoundedProcess & { signals: string[]; exitInfo: unknown } {
    const p = {
      pid: 500,
      exitInfo: null as unknown,
      signals: [] as string[],
      signalGroup: (s: NodeJS.Signals) => p.signals.push(s),
    };
    return p;
  }

  it('kills the whole cgroup once the kernel refused a fork, and reports it once', () => {
    const killed: number[][] = [];
    const w = new ProcessLimitWatcher({ killPids: (p) => killed.push([...p]) });
    const state = { refused: 0, current: 20, removed: 0 };
    const proc = fakeProc();
    const counts: number[] = [];
    w.watch(proc, 20, (n) => counts.push(n), fakeCgroup(state));
    w.checkCgroups();
    expect(proc.signals).toEqual([]);
    state.refused = 3;
    w.checkCgroups();
    w.checkCgroups();
    expect(proc.signals).toEqual(['SIGKILL', 'SIGKILL']);
    expect(killed).toEqual([
      [501, 502],
      [501, 502],
    ]);
    expect(counts).toEqual([21]);
    proc.exitInfo = { code: null, signal: 'SIGKILL' };
    state.current = 0;
    w.checkCgroups();
    expect(w.size).toBe(0);
    expect(state.removed).toBe(1);
  });

  it('falls back to watching /proc when the service never entered its cgroup', () => {
    const w = new ProcessLimitWatcher({ cgroupEntryGraceMs: 0 });
    const state = { refused: 0, current: 0, removed: 0 };
    let dropped = 0;
    w.watch(
      fakeProc(),
      20,
      () => {},
      fakeCgroup(state),
      () => (dropped += 1),
    );
    w.checkCgroups();
    expect(dropped).toBe(1);
    expect(state.removed).toBe(1);
    expect(w.size).toBe(1);
    w.unwatch(500);
  });
});
