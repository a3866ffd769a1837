import { describe, expect, it } from 'vitest';
import { killTargets, readinessPollMs } from './scenario.mjs';
import { candidateBases } from './ports.mjs';

describe('run plan', () => {
  it('spreads the killed services over the stack, never twice the same', () => {
    expect(killTargets(100, 3)).toEqual([16, 50, 83]);
    expect(killTargets(2, 5)).toEqual([0, 1]);
    expect(new Set(killTargets(250, 5)).size).toBe(5);
    expect(killTargets(10, 0)).toEqual([]);
  });

  it('polls few services often and many services less often, within bounds', () => {
    expect(readinessPollMs(10)).toBe(20);
    expect(readinessPollMs(100)).toBe(50);
    expect(readinessPollMs(250)).toBe(125);
    expect(readinessPollMs(10_000)).toBe(125);
  });

  it('takes ports outside the ephemeral range, highest first', () => {
    const bases = candidateBases(250, [32768, 60999]);
    expect(bases[0]).toBe(61000);
    for (const b of bases) {
      expect(b + 249 <= 65535).toBe(true);
      expect(b + 249 < 32768 || b > 60999).toBe(true);
      expect(b >= 20000).toBe(true);
    }
  });
});
