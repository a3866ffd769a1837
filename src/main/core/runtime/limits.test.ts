import { describe, expect, it } from 'vitest';
import { CPU_SUSTAINED_MS, judgeSample } from './limits.js';

const sample = (
  over: Partial<{ cpuPercent: number | null; rssBytes: number; processes: number }> = {},
) => ({
  cpuPercent: 10,
  rssBytes: 10 * 1048576,
  processes: 1,
  ...over,
});

describe('judgeSample', () => {
  it('is ok within every limit and without limits', () => {
    expect(judgeSample({}, sample({ rssBytes: 1e12, processes: 1e6 }), null, 0).kind).toBe('ok');
    expect(
      judgeSample({ memoryBytes: 64 * 1048576, processes: 5, cpuPercent: 50 }, sample(), null, 0)
        .kind,
    ).toBe('ok');
  });
  it('memory over the limit is a failure with both figures', () => {
    const v = judgeSample(
      { memoryBytes: 48 * 1048576 },
      sample({ rssBytes: 130 * 1048576 }),
      null,
      0,
    );
    expect(v).toMatchObject({ kind: 'memory', message: 'memory 130 MB over the limit of 48 MB' });
  });
  it('too many processes', () => {
    expect(judgeSample({ processes: 20 }, sample({ processes: 21 }), null, 0)).toMatchObject({
      kind: 'processes',
      message: '21 processes over the limit of 20',
    });
  });
  it('CPU above its limit only counts when sustained, then recommends and starts a new window', () => {
    const limits = { cpuPercent: 90 };
    const first = judgeSample(limits, sample({ cpuPercent: 150 }), null, 1_000);
    expect(first).toEqual({ kind: 'ok', cpuOverSince: 1_000 });
    const still = judgeSample(
      limits,
      sample({ cpuPercent: 150 }),
      1_000,
      1_000 + CPU_SUSTAINED_MS - 1,
    );
    expect(still).toEqual({ kind: 'ok', cpuOverSince: 1_000 });
    const warn = judgeSample(limits, sample({ cpuPercent: 150 }), 1_000, 1_000 + CPU_SUSTAINED_MS);
    expect(warn).toMatchObject({ kind: 'cpu', cpuOverSince: 1_000 + CPU_SUSTAINED_MS });
    expect(warn.kind === 'cpu' && warn.message).toMatch(/CPU 150% above the limit of 90% for 30s/);
  });
  it('CPU back under the limit resets the window; an unknown CPU keeps it', () => {
    expect(judgeSample({ cpuPercent: 90 }, sample({ cpuPercent: 20 }), 5, 100)).toEqual({
      kind: 'ok',
      cpuOverSince: null,
    });
    expect(judgeSample({ cpuPercent: 90 }, sample({ cpuPercent: null }), 5, 100)).toEqual({
      kind: 'ok',
      cpuOverSince: 5,
    });
  });
});
