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

  it('drops a line delivered twice (with the fetched history and on the stream)', () => {
    const r = new LogRing(10);
    r.push(entry(1));
    r.seed([entry(1), entry(2), entry(3)]);
    // the stream's copies of 2 and 3 arrive after the history that already had them
    r.push(entry(2));
    r.push(entry(3));
    r.push(entry(4));
    expect(r.toArray().map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(r.find(3)?.line).toBe('line 3');
    expect(r.find(9)).toBeUndefined();
  });

  it('starts afresh when the numbering starts over (service replaced, Vigil restarted)', () => {
    const r = new LogRing(10);
    for (let seq = 1; seq <= 6; seq++) r.push(entry(seq));
    r.push({ seq: 1, ts: 9_000, stream: 'stdout', line: 'booting again' });
    r.push({ seq: 2, ts: 9_001, stream: 'stdout', line: 'ready' });
    expect(r.toArray().map((e) => e.line)).toEqual(['booting again', 'ready']);
    expect(r.dropped).toBe(0);
    // a number seen in the old run that is also new in this one is not taken for a repeat
    r.push({ seq: 3, ts: 9_002, stream: 'stderr', line: 'warn' });
    expect(r.size).toBe(3);
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
    expect(searchRing(r, 'ready').map((e) => e.seq)).toEqual([1, 3]);
    expect(searchRing(r, 'mREADY')).toEqual([]);
    expect(searchRing(r, '  ').map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('keeps a match list true while a full ring goes on turning', () => {
    const r = new LogRing(6);
    for (let seq = 1; seq <= 9; seq++)
      r.push(entry(seq, seq % 3 === 0 ? `warning ${seq}` : `tick ${seq}`));
    const matches = searchRing(r, 'warning');
    expect(matches.map((e) => e.seq)).toEqual([6, 9]);
    // lines keep arriving before the next refresh of the list: what it holds must not change
    for (let seq = 10; seq <= 14; seq++) r.push(entry(seq, `tick ${seq}`));
    expect(matches.map((e) => e.line)).toEqual(['warning 6', 'warning 9']);
    // history seeded in front does not move them either
    r.seed([entry(0, 'warning 0')]);
    expect(matches.map((e) => e.line)).toEqual(['warning 6', 'warning 9']);
    expect(searchRing(r, 'warning').map((e) => e.seq)).toEqual([9]);
  });

  it("keeps each line's instance and narrows the list to one instance", () => {
    const store = new LogStore(20);
    for (let seq = 1; seq <= 9; seq++) {
      store.push({
        type: 'log',
        ts: seq,
        service: 'api',
        instance: `api#${seq % 3}`,
        stream: 'stdout',
        line: seq === 4 ? 'ready on 3002' : `tick ${seq}`,
        seq,
      });
    }
    store.seed('api', [{ seq: 0, ts: 0, stream: 'stdout', line: 'boot', instance: 'api#1' }]);
    const r = store.ring('api');
    expect(r.toArray().map((e) => e.instance)).toEqual([
      'api#1',
      'api#1',
      'api#2',
      'api#0',
      'api#1',
      'api#2',
      'api#0',
      'api#1',
      'api#2',
      'api#0',
    ]);
    expect(searchRing(r, '', 'api#1').map((e) => e.seq)).toEqual([0, 1, 4, 7]);
    expect(searchRing(r, 'ready', 'api#1').map((e) => e.seq)).toEqual([4]);
    expect(searchRing(r, 'ready', 'api#0')).toEqual([]);
    expect(searchRing(r, '', null)).toHaveLength(10);
  });
});
