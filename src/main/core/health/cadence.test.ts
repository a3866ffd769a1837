import { describe, expect, it } from 'vitest';
import type { HealthSpec, ProbeResult } from '../../../shared/model.js';
import { FakeClock } from '../clock.js';
import { Cadence, MIN_COALESCED_MS, slotFor } from './cadence.js';
import { HealthMonitor } from './monitor.js';

describe('slotFor', () => {
  it('keeps short delays exact and gives long ones a slot of about a fifth, at most 1 s', () => {
    expect(slotFor(0)).toBe(0);
    expect(slotFor(200)).toBe(0);
    expect(slotFor(MIN_COALESCED_MS - 1)).toBe(0);
    expect(slotFor(1_000)).toBe(200);
    expect(slotFor(1_500)).toBe(250);
    expect(slotFor(2_000)).toBe(250);
    expect(slotFor(3_000)).toBe(500);
    expect(slotFor(5_000)).toBe(1_000);
    expect(slotFor(3_600_000)).toBe(1_000);
    expect(slotFor(Number.NaN)).toBe(0);
  });
});

describe('Cadence', () => {
  it('runs delays under a second exactly, on timers of their own', () => {
    const clock = new FakeClock();
    const cadence = new Cadence(clock);
    const fired: number[] = [];
    clock.advance(123);
    cadence.after(300, () => fired.push(clock.now()));
    cadence.after(301, () => fired.push(clock.now()));
    expect(cadence.pendingSlots).toBe(0);
    clock.advance(1_000);
    expect(fired).toEqual([423, 424]);
  });

  it('runs timers due within the same slot in one wake-up', () => {
    const clock = new FakeClock();
    const cadence = new Cadence(clock);
    const fired: [string, number][] = [];
    // Due at 5 100, 5 300, 5 450 and 5 700: the first three share the wake-up at 5 000, the
    // last one is nearer to 6 000.
    clock.advance(100);
    cadence.after(5_000, () => fired.push(['a', clock.now()]));
    clock.advance(200);
    cadence.after(5_000, () => fired.push(['b', clock.now()]));
    clock.advance(150);
    cadence.after(5_000, () => fired.push(['c', clock.now()]));
    clock.advance(250);
    cadence.after(5_000, () => fired.push(['d', clock.now()]));
    expect(cadence.pendingSlots).toBe(2);
    expect(clock.pending).toBe(2);
    clock.advance(10_000);
    expect(fired).toEqual([
      ['a', 5_000],
      ['b', 5_000],
      ['c', 5_000],
      ['d', 6_000],
    ]);
    expect(cadence.pendingSlots).toBe(0);
  });

  it('moves no delay by more than half its slot, and never into the past', () => {
    const clock = new FakeClock();
    const cadence = new Cadence(clock);
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 500; i += 1) {
      clock.advance(Math.floor(random() * 997));
      const ms = Math.floor(random() * 20_000);
      const start = clock.now();
      let at = -1;
      cadence.after(ms, () => (at = clock.now()));
      clock.advance(ms + 1_000);
      const slot = slotFor(ms);
      expect(at).toBeGreaterThan(start - (ms === 0 ? 1 : 0));
      expect(Math.abs(at - start - ms)).toBeLessThanOrEqual(slot / 2);
      if (slot > 0) expect(at % slot).toBe(0);
    }
  });

  it('cancels one timer of a slot without touching the others, and frees an emptied slot', () => {
    const clock = new FakeClock();
    const cadence = new Cadence(clock);
    const fired: string[] = [];
    const a = cadence.after(5_000, () => fired.push('a'));
    const b = cadence.after(5_000, () => fired.push('b'));
    const c = cadence.after(8_000, () => fired.push('c'));
    a.cancel();
    a.cancel();
    expect(cadence.pendingSlots).toBe(2);
    c.cancel();
    expect(cadence.pendingSlots).toBe(1);
    expect(clock.pending).toBe(1);
    clock.advance(10_000);
    expect(fired).toEqual(['b']);
    b.cancel(); // after it ran: nothing to do
    expect(clock.pending).toBe(0);
  });

  it('schedules the same function twice as two timers', () => {
    const clock = new FakeClock();
    const cadence = new Cadence(clock);
    let n = 0;
    const fn = (): void => {
      n += 1;
    };
    const first = cadence.after(5_000, fn);
    cadence.after(5_000, fn);
    first.cancel();
    clock.advance(6_000);
    expect(n).toBe(1);
  });

  it('runs the rest of a slot when one callback throws, or cancels another, then reports the error', () => {
    const clock = new FakeClock();
    const cadence = new Cadence(clock);
    const fired: string[] = [];
    cadence.after(5_000, () => fired.push('a'));
    cadence.after(5_000, () => {
      later.cancel();
      throw new Error('boom');
    });
    const later = cadence.after(5_000, () => fired.push('cancelled'));
    cadence.after(5_000, () => fired.push('d'));
    expect(() => clock.advance(6_000)).toThrow('boom');
    expect(fired).toEqual(['a', 'd']);
    // A new timer for the same slot time after it fired gets a wake-up of its own.
    cadence.after(5_000, () => fired.push('e'));
    clock.advance(6_000);
    expect(fired).toEqual(['a', 'd', 'e']);
  });
});

describe('HealthMonitor with a cadence', () => {
  const spec: HealthSpec = {
    probe: { type: 'process' },
    intervalMs: 5_000,
    timeoutMs: 1_000,
    startIntervalMs: 100,
    startPeriodMs: 0,
    failureThreshold: 3,
    recoveryThreshold: 1,
  };

  it('makes monitors started at different times probe together, keeping each one’s interval', async () => {
    const clock = new FakeClock();
    const cadence = new Cadence(clock);
    const probesAt = new Map<number, number[]>();
    const monitors = Array.from({ length: 50 }, (_, i) => {
      probesAt.set(i, []);
      return new HealthMonitor({
        spec,
        clock,
        cadence,
        startedAtMono: 0,
        run: async (): Promise<ProbeResult> => {
          probesAt.get(i)!.push(clock.now());
          return {
            ok: true,
            timedOut: false,
            latencyMs: 0,
            probe: 'process',
            detail: 'process alive',
            ts: clock.wallNow(),
          };
        },
        onResult: () => {},
      });
    });
    // Started 37 ms apart: without a cadence every one would wake the process on its own.
    for (const m of monitors) {
      m.start();
      clock.advance(37);
      await Promise.resolve();
    }
    for (let t = 0; t < 60_000; t += 10) {
      clock.advance(10);
      await Promise.resolve();
    }
    for (const m of monitors) m.stop();

    const steady = [...probesAt.values()].flatMap((times) => times.slice(1));
    const wakeUps = new Set(steady);
    // ~550 steady probes over 55 s share at most one wake-up a second.
    expect(steady.length).toBeGreaterThan(500);
    expect(wakeUps.size).toBeLessThanOrEqual(60);
    for (const times of probesAt.values()) {
      const gaps = times.slice(2).map((t, k) => t - times[k + 1]!);
      for (const gap of gaps) {
        expect(gap).toBeGreaterThanOrEqual(4_500);
        expect(gap).toBeLessThanOrEqual(5_500);
      }
    }
  });
});
