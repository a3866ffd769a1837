import { describe, expect, it } from 'vitest';
import type { ProcStat } from '../process/procfs.js';
import { CpuMeter, sampleTreesFrom, systemTotals } from './sample.js';

const proc = (
  pid: number,
  ppid: number,
  pgid: number,
  cpu: number,
  rss: number,
  state = 'S',
): ProcStat => ({
  pid,
  comm: 'x',
  state,
  ppid,
  pgid,
  sid: pgid,
  cpuTicks: cpu,
  numThreads: 1,
  startTime: '1',
  rssPages: rss,
});

describe('sampleTreesFrom', () => {
  const table = [
    proc(1, 0, 1, 999, 999),
    proc(10, 1, 10, 5, 100),
    proc(11, 10, 10, 7, 50),
    proc(12, 11, 12, 1, 10), // left the group, still a descendant
    proc(13, 10, 10, 100, 0, 'Z'), // zombie: not counted
    proc(20, 1, 20, 3, 30),
    proc(21, 20, 20, 4, 40),
  ];

  it('sums RSS and CPU ticks over each tree in one pass', () => {
    const m = sampleTreesFrom(table, [10, 20, 99]);
    expect([...m.keys()]).toEqual([10, 20]);
    const a = m.get(10)!;
    expect([...a.pids].sort((x, y) => x - y)).toEqual([10, 11, 12]);
    expect(a.rssBytes).toBe(160 * 4096);
    expect(a.cpuTicks).toBe(13);
    expect(m.get(20)).toEqual({ rootPid: 20, pids: [20, 21], rssBytes: 70 * 4096, cpuTicks: 7 });
  });

  it('returns nothing for no roots', () => {
    expect(sampleTreesFrom(table, []).size).toBe(0);
  });
});

describe('CpuMeter', () => {
  it('gives CPU % between samples, 100 meaning one core', () => {
    const m = new CpuMeter();
    expect(m.update(10, 1000, 0)).toBeNull();
    expect(m.update(10, 1050, 1000)).toBeCloseTo(50);
    expect(m.update(10, 1250, 2000)).toBeCloseTo(200);
    expect(m.update(20, 5, 2000)).toBeNull();
  });

  it('starts over when ticks go backwards or time does not move', () => {
    const m = new CpuMeter();
    m.update(10, 1000, 0);
    expect(m.update(10, 900, 1000)).toBeNull();
    expect(m.update(10, 950, 1000)).toBeNull();
    expect(m.update(10, 1000, 2000)).toBeCloseTo(50);
    m.forget(10);
    expect(m.update(10, 2000, 3000)).toBeNull();
  });
});

describe('systemTotals', () => {
  it('reports the machine', () => {
    const t = systemTotals();
    expect(t.cpuCount).toBeGreaterThanOrEqual(1);
    expect(t.totalMemBytes).toBeGreaterThan(0);
    expect(t.loadAvg).toHaveLength(3);
  });
});
