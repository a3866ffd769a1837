import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { decideScale, type ScalePolicy, type ScaleSample } from './autoscale.js';

const cpu: ScalePolicy = {
  min: 1,
  max: 6,
  metric: 'cpu',
  target: 70,
  cooldownMs: 60_000,
  windowMs: 30_000,
};

/** One sample a second over the last `seconds` with the values given in turn. */
function samples(clock: FakeClock, seconds: number, values: readonly number[]): ScaleSample[] {
  const out: ScaleSample[] = [];
  for (let i = seconds; i >= 0; i--)
    out.push({ at: clock.now() - i * 1000, value: values[i % values.length]! });
  return out;
}

function clockAt(ms: number): FakeClock {
  const c = new FakeClock();
  c.advance(ms);
  return c;
}

describe('decideScale: bounds', () => {
  it('brings a count below the minimum up at once, even in cooldown and without samples', () => {
    const c = clockAt(100_000);
    const d = decideScale([], { ...cpu, min: 2 }, 1, c.now() - 1000, c.now());
    expect(d).toMatchObject({ replicas: 2, reason: 'below the minimum of 2' });
  });

  it('brings a count above the maximum down at once', () => {
    const c = clockAt(100_000);
    expect(decideScale([], cpu, 9, null, c.now()).replicas).toBe(6);
  });

  it('never goes past the maximum however high the load', () => {
    const c = clockAt(100_000);
    const d = decideScale(samples(c, 30, [500]), cpu, 4, null, c.now());
    expect(d.replicas).toBe(6);
    const at = decideScale(samples(c, 30, [500]), cpu, 6, null, c.now());
    expect(at).toMatchObject({ replicas: 6 });
    expect(at.reason).toMatch(/at the maximum/);
  });

  it('never goes below the minimum however idle', () => {
    const c = clockAt(100_000);
    const d = decideScale(samples(c, 30, [0]), { ...cpu, min: 2 }, 5, null, c.now());
    expect(d.replicas).toBe(2);
  });
});

describe('decideScale: the window', () => {
  it('changes nothing with an empty window', () => {
    const c = clockAt(100_000);
    const d = decideScale([], cpu, 3, null, c.now());
    expect(d).toEqual({ replicas: 3, reason: 'no samples in the window', observed: null });
  });

  it('ignores samples older than the window', () => {
    const c = clockAt(100_000);
    const old = [{ at: c.now() - 31_000, value: 400 }];
    expect(decideScale(old, cpu, 3, null, c.now()).reason).toBe('no samples in the window');
  });

  it('waits until the samples span half the window: one spike at start is not a trend', () => {
    const c = clockAt(100_000);
    const d = decideScale(samples(c, 10, [400]), cpu, 2, null, c.now());
    expect(d).toMatchObject({ replicas: 2, reason: 'the window is not filled yet' });
    c.advance(5000);
    const later = decideScale(samples(c, 15, [400]), cpu, 2, null, c.now());
    expect(later.replicas).toBeGreaterThan(2);
  });
});

describe('decideScale: hysteresis and the proportional rule', () => {
  it('scales up in proportion to the load for cpu', () => {
    const c = clockAt(100_000);
    // mean 140 % against 70 %: twice the capacity is needed
    const d = decideScale(samples(c, 30, [140]), cpu, 2, null, c.now());
    expect(d.replicas).toBe(4);
    expect(d.reason).toBe('cpu 140% above target 70%');
    expect(d.observed).toBe(140);
  });

  it('does nothing within the tolerance band on either side', () => {
    const c = clockAt(100_000);
    expect(decideScale(samples(c, 30, [76]), cpu, 3, null, c.now()).replicas).toBe(3);
    expect(decideScale(samples(c, 30, [64]), cpu, 3, null, c.now()).replicas).toBe(3);
  });

  it('does not scale down while any sample of the window went over the target', () => {
    const c = clockAt(100_000);
    const spiky = samples(c, 30, [10, 10, 10, 10, 10, 10, 10, 10, 10, 90]);
    const d = decideScale(spiky, cpu, 4, null, c.now());
    expect(d.replicas).toBe(4);
    const calm = samples(c, 30, [10, 20]);
    expect(decideScale(calm, cpu, 4, null, c.now()).replicas).toBe(1);
  });

  it('scales down in proportion, keeping enough capacity', () => {
    const c = clockAt(100_000);
    // 4 instances at 35 %: 140 % in all; 2 instances would run at 70 %, the target itself, and the
    // band's lower edge is 63 %: 3 instances (47 %).
    expect(decideScale(samples(c, 30, [35]), cpu, 4, null, c.now()).replicas).toBe(3);
    // 3 at 50 % would be 75 % on 2: above the band, so it stays at 3
    const d = decideScale(samples(c, 30, [50]), cpu, 3, null, c.now());
    expect(d.replicas).toBe(3);
    expect(d.reason).toMatch(/fewer instances would exceed it/);
  });

  it('treats connections per instance like cpu', () => {
    const c = clockAt(100_000);
    const policy: ScalePolicy = { ...cpu, metric: 'connections', target: 50 };
    const d = decideScale(samples(c, 30, [120]), policy, 2, null, c.now());
    expect(d.replicas).toBe(5);
    expect(d.reason).toBe('connections 120 connections above target 50 connections');
  });

  it('moves one instance at a time for latency_p95', () => {
    const c = clockAt(100_000);
    const policy: ScalePolicy = { ...cpu, metric: 'latency_p95', target: 200 };
    expect(decideScale(samples(c, 30, [900]), policy, 2, null, c.now()).replicas).toBe(3);
    expect(decideScale(samples(c, 30, [20]), policy, 4, null, c.now()).replicas).toBe(3);
  });
});

describe('decideScale: cooldown', () => {
  it('holds within the cooldown and acts once it is over', () => {
    const c = clockAt(100_000);
    const lastChange = c.now();
    c.advance(59_000);
    const held = decideScale(samples(c, 30, [200]), cpu, 2, lastChange, c.now());
    expect(held).toMatchObject({ replicas: 2, reason: 'cooling down (1 s left)' });
    c.advance(1000);
    const acted = decideScale(samples(c, 30, [200]), cpu, 2, lastChange, c.now());
    expect(acted.replicas).toBe(6);
  });

  it('a steady load settles without flapping (regression: 1 -> 3 -> 2 -> 3 ...)', () => {
    const c = clockAt(100_000);
    let replicas = 1;
    let lastChange: number | null = null;
    const history: number[] = [];
    for (let t = 0; t < 200; t++) {
      c.advance(1000);
      // the load halves with each doubling: 150 % spread over the instances
      const load = 150 / replicas;
      const d = decideScale(samples(c, 30, [load * 1]), cpu, replicas, lastChange, c.now());
      if (d.replicas !== replicas) {
        replicas = d.replicas;
        lastChange = c.now();
        history.push(replicas);
      }
    }
    expect(history).toEqual([3]);
  });
});
