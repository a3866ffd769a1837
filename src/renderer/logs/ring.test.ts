import { describe, expect, it } from 'vitest';
import { LogRing, LogStore, MAX_LINE_CHARS, searchRing, type LogEntry } from './ring.js';

const entry = (seq: number, line = `line ${seq}`): LogEntry => ({
  seq,
  ts: 1_000 + seq,
  stream: seq % 2 ? 'stdout' : 'stderr',
  line,
});

describe('LogRing', () => {
  it('keeps the newest lines up to its capacity, oldest first', () => {
    const r = new LogRing(3);
    for (let i = 1; i <= 5; i++) r.push(entry(i));
    expect(r.size).toBe(3);
    expect(r.toArray().map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(r.dropped).toBe(2);
    expect(r.firstSeq).toBe(3);
    expect(r.lastSeq).toBe(5);
    expect(r.at(3)).toBeUndefined();
  });

  it('moves its version (the checkpoint views poll) on every change', () => {
    const r = new LogRing(2);
    const v0 = r.version;
    r.push(entry(1));
    expect(r.version).toBeGreaterThan(v0);
    const v1 = r.version;
    r.seed([entry(0)]);
    expect(r.version).toBeGreaterThan(v1);
  });

  it('stays bounded under a flood', () => {
    const r = new LogRing(5_000);
    for (let i = 0; i < 50_000; i++) r.push(entry(i));
    expect(r.size).toBe(5_000);
    expect(r.firstSeq).toBe(45_000);
  });

  it('cuts very long lines', () => {
    const r = new LogRing(2);
    r.push(entry(1, 'x'.repeat(MAX_LINE_CHARS * 3)));
    expect(r.at(0)!.line.length).toBeLessThan(MAX_LINE_CHARS + 20);
    expect(r.at(0)!.line.endsWith('(line cut)')).toBe(true);
  });

  it('seed puts older history in front and skips what it already has', () => {
    const r = new LogRing(4);
    r.push(entry(10));
    r.push(entry(11));
    r.seed([entry(7), entry(8), entry(9), entry(10), entry(11)]);
    expect(r.toArray().map((e) => e.seq)).toEqual([8, 9, 10, 11]);
    r.push(entry(12));
    expect(r.toArray().map((e) => e.seq)).toEqual([9, 10, 11, 12]);
  });

  it('rejects a capacity below one', () => {
    expect(() => new LogRing(0)).toThrow(RangeError);
  });
});

describe('LogStore and searchRing', () => {
  it('routes log events to one ring per service and forgets removed services', () => {
    const store = new LogStore(10);
    store.push({ type: 'log', ts: 1, service: 'api', stream: 'stdout', line: 'hello', seq: 1 });
    store.push({ type: 'log', ts: 2, service: 'db', stream: 'stderr', line: 'oops', seq: 1 });
    expect(store.ring('api').toArray()[0]!.line).toBe('hello');
    store.retain(new Set(['api']));
    expect(store.has('db')).toBe(false);
    expect(store.has('api')).toBe(true);
  });

  it('finds lines case-insensitively, ignoring colour codes', () => {
    const r = new LogRing(10);
    r.push(entry(1, 'Server \u001b[32mREADY\u001b[0m on 8080'));
    r.push(entry(2, 'nothing here'));
    r.push(entry(3, 'ready again'));
    expect(searchRing(r, 'ready')).toEqual([0, 2]);
    expect(searchRing(r, 'mREADY')).toEqual([]);
    expect(searchRing(r, '  ')).toEqual([0, 1, 2]);
  });
});
