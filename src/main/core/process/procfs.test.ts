import { describe, expect, it } from 'vitest';
import { buildIndex, collectTree, environHasEntry, parseStat, type ProcStat } from './procfs.js';

// Fields 1..24 of a real stat line, with a comm that contains spaces and parentheses.
const STAT =
  '4242 (my (odd) name) S 100 4242 4242 0 -1 4194560 300 0 0 0 7 3 2 1 20 0 5 0 123456 1000000 250 18446744073709551615';

describe('parseStat', () => {
  it('reads the fields after a comm with spaces and parentheses', () => {
    expect(parseStat(STAT)).toEqual({
      pid: 4242,
      comm: 'my (odd) name',
      state: 'S',
      ppid: 100,
      pgid: 4242,
      sid: 4242,
      cpuTicks: 7 + 3 + 2 + 1,
      numThreads: 5,
      startTime: '123456',
      rssPages: 250,
    });
  });

  it('rejects text that is not a stat line', () => {
    expect(parseStat('')).toBeNull();
    expect(parseStat('12 (x) S 1 2')).toBeNull();
  });
});

describe('environHasEntry', () => {
  const env = Buffer.from('A=1\0VIGIL_MARKER=api.1\0VIGIL_MARKER=api.12x\0B=2');
  it('matches whole entries only', () => {
    expect(environHasEntry(env, Buffer.from('VIGIL_MARKER=api.1'))).toBe(true);
    expect(environHasEntry(env, Buffer.from('VIGIL_MARKER=api.12x'))).toBe(true);
    expect(environHasEntry(env, Buffer.from('VIGIL_MARKER=api.12'))).toBe(false);
    expect(environHasEntry(env, Buffer.from('INSTANCE=api.1'))).toBe(false);
    expect(environHasEntry(env, Buffer.from('A=1'))).toBe(true);
    expect(environHasEntry(env, Buffer.from('B=2'))).toBe(true);
  });
});

const proc = (pid: number, ppid: number, pgid: number, state = 'S'): ProcStat => ({
  pid,
  comm: 'x',
  state,
  ppid,
  pgid,
  sid: pgid,
  cpuTicks: 0,
  numThreads: 1,
  startTime: '1',
  rssPages: 1,
});

describe('collectTree', () => {
  const table = [
    proc(1, 0, 1),
    proc(10, 1, 10), // root (group leader)
    proc(11, 10, 10),
    proc(12, 11, 10),
    proc(13, 1, 10), // re-parented to init but still in the group
    proc(14, 12, 14), // left the group (setsid) but a descendant
    proc(15, 10, 10, 'Z'), // zombie
    proc(20, 1, 20), // unrelated
  ];

  it('collects descendants and group members, without zombies or strangers', () => {
    expect(collectTree(buildIndex(table), 10).sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14]);
  });

  it('finds the group when its leader is gone', () => {
    const rest = table.filter((p) => p.pid !== 10);
    expect(collectTree(buildIndex(rest), 10).sort((a, b) => a - b)).toEqual([11, 12, 13, 14]);
  });

  it('is empty for a root that is gone with its group', () => {
    expect(collectTree(buildIndex(table), 99)).toEqual([]);
  });
});
