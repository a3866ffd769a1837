import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './queue.js';

describe('BoundedQueue', () => {
  it('keeps items in order', () => {
    const q = new BoundedQueue<number>(10);
    for (let i = 0; i < 5; i++) q.push(i);
    expect(q.toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(q.length).toBe(5);
    expect(q.dropped).toBe(0);
  });

  it('drops the oldest items beyond its capacity and counts them', () => {
    const q = new BoundedQueue<number>(3);
    for (let i = 0; i < 10_000; i++) q.push(i);
    expect(q.toArray()).toEqual([9_997, 9_998, 9_999]);
    expect(q.length).toBe(3);
    expect(q.dropped).toBe(9_997);
    q.clear();
    expect(q.length).toBe(0);
    q.push(1);
    expect(q.toArray()).toEqual([1]);
  });

  it('refuses a capacity below one', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
