import { describe, expect, it } from 'vitest';
import { descendants, environHasTag, parseStat } from './procfs.mjs';

// Fields 3..24 of proc(5) after the command name.
const tail = (o) =>
  [
    o.state ?? 'S',
    o.ppid ?? 1,
    o.pgrp ?? 10,
    10,
    0,
    -1,
    4194304,
    100,
    0,
    0,
    0,
    o.utime ?? 0,
    o.stime ?? 0,
    o.cutime ?? 0,
    o.cstime ?? 0,
    20,
    0,
    11,
    0,
    o.starttime ?? 5000,
    123456789,
    o.rss ?? 2000,
  ].join(' ');

describe('parseStat', () => {
  it('reads the fields after a command name holding spaces and parentheses', () => {
    const s = parseStat(
      `4242 (PM2 v7 (God) Daemon) ${tail({ ppid: 1, utime: 150, stime: 50, cutime: 7, cstime: 3, starttime: 9999, rss: 1234 })}`,
    );
    expect(s).toMatchObject({
      pid: 4242,
      comm: 'PM2 v7 (God) Daemon',
      state: 'S',
      ppid: 1,
      utime: 150,
      stime: 50,
      cutime: 7,
      cstime: 3,
      starttime: 9999,
      rssPages: 1234,
    });
  });

  it('rejects text that is not a stat line', () => {
    expect(parseStat('garbage')).toBeNull();
  });
});

describe('descendants and tags', () => {
  it('walks the whole tree below a root, not the root or unrelated processes', () => {
    const table = new Map(
      [
        [1, 0],
        [10, 1],
        [11, 10],
        [12, 11],
        [13, 10],
        [20, 1],
      ].map(([pid, ppid]) => [pid, { pid, ppid }]),
    );
    expect(descendants(table, 10).sort()).toEqual([11, 12, 13]);
    expect(descendants(table, 20)).toEqual([]);
  });

  it('matches BENCH_TAG by prefix in a NUL-separated environment', () => {
    const env = ['PATH=/bin', 'BENCH_TAG=vb1a-pm2-100-0', 'PORT=1'].join('\0');
    expect(environHasTag(env, 'vb1a')).toBe(true);
    expect(environHasTag(env, 'vb1a-pm2-100')).toBe(true);
    expect(environHasTag(env, 'vb2')).toBe(false);
    expect(environHasTag('X_BENCH_TAG=vb1a', 'vb1a')).toBe(false);
  });
});
