import { describe, expect, it } from 'vitest';
import { LogRing, type LogEntry } from './ring.js';

const entry = (seq: number): LogEntry => ({
  seq,
  ts: 1000 + seq,
  stream: 'stdout',
  line: `l${seq}`,
});

function filled(capacity: number, n: number): LogRing {
  const r = new LogRing(capacity);
  for (let i = 1; i <= n; i++) r.push(entry(i));
  return r;
}

describe('LogRing', () => {
  it('is empty at first', () => {
    const r = new LogRing(3);
    expect(r.lastSeq).toBe(0);
    expect(r.tail(10)).toEqual([]);
    expect(r.since(0, 10)).toEqual([]);
  });

  it('keeps only the newest entries once full', () => {
    const r = filled(3, 5);
    expect(r.tail(10).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(r.tail(2).map((e) => e.seq)).toEqual([4, 5]);
    expect(r.tail(0)).toEqual([]);
    expect(r.lastSeq).toBe(5);
    expect(r.size).toBe(3);
  });

  it('answers since(seq) by checkpoint, with a limit', () => {
    const r = filled(5, 8);
    expect(r.since(5, 10).map((e) => e.seq)).toEqual([6, 7, 8]);
    expect(r.since(5, 2).map((e) => e.seq)).toEqual([6, 7]);
    expect(r.since(8, 10)).toEqual([]);
  });

  it('starts at the oldest kept entry when the checkpoint fell out of the ring', () => {
    const r = filled(3, 10);
    expect(r.since(2, 10).map((e) => e.seq)).toEqual([8, 9, 10]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new LogRing(0)).toThrow(RangeError);
  });
});
