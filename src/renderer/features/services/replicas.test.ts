import { describe, expect, it } from 'vitest';
import { MAX_INSTANCES } from '../../../shared/model.js';
import { replicas } from '../../testing/support.js';
import {
  STRIP_CAP,
  decodeStrip,
  encodeStrip,
  failoverButtons,
  formatShare,
  instanceStrip,
  poolState,
  scaleBounds,
  scaleSteps,
  scaleTo,
} from './replicas.js';

const auto = { metric: 'cpu' as const, target: 70, min: 2, max: 6, cooldown_ms: 60_000 };

describe('scale control', () => {
  it('a fixed count scales by hand from 1 to the limit of instances', () => {
    expect(scaleBounds(replicas('api', 3))).toEqual({ min: 1, max: MAX_INSTANCES });
    expect(scaleSteps(replicas('api', 3))).toEqual({
      down: { kind: 'scale', replicas: 2 },
      up: { kind: 'scale', replicas: 4 },
    });
  });

  it('stops at its bounds: 1 below, the limit above', () => {
    expect(scaleSteps(replicas('api', 1)).down).toBeNull();
    expect(scaleSteps(replicas('api', 1)).up).toEqual({ kind: 'scale', replicas: 2 });
    const full = { ...replicas('api', 2), desired: MAX_INSTANCES };
    expect(scaleSteps(full).up).toBeNull();
  });

  it('an automatic one stays within its own min and max', () => {
    const r = replicas('api', 6, { scale: auto });
    expect(scaleBounds(r)).toEqual({ min: 2, max: 6 });
    expect(scaleSteps(r).up).toBeNull();
    expect(scaleSteps(r).down).toEqual({ kind: 'scale', replicas: 5 });
    expect(scaleSteps(replicas('api', 2, { scale: auto })).down).toBeNull();
  });

  it('a typed count is clamped to the bounds; nonsense or no change sends nothing', () => {
    const r = replicas('api', 3);
    expect(scaleTo(r, '20')).toEqual({ kind: 'scale', replicas: 20 });
    expect(scaleTo(r, ' 5 ')).toEqual({ kind: 'scale', replicas: 5 });
    expect(scaleTo(r, '0')).toEqual({ kind: 'scale', replicas: 1 });
    expect(scaleTo(r, '99999')).toEqual({ kind: 'scale', replicas: MAX_INSTANCES });
    expect(scaleTo(r, '3')).toBeNull();
    expect(scaleTo(r, 'abc')).toBeNull();
    expect(scaleTo(r, '2.5')).toBeNull();
    expect(scaleTo(r, '')).toBeNull();
    expect(scaleTo(replicas('api', 3, { scale: auto }), '50')).toEqual({
      kind: 'scale',
      replicas: 6,
    });
  });
});

describe('failover buttons', () => {
  it('on its own instances: fail over only', () => {
    expect(failoverButtons(replicas('api', 3, { backup: 'stub' }))).toEqual({
      failover: true,
      failback: false,
    });
  });

  it('on the backup by itself: either; held there by hand: fail back only', () => {
    const auto = replicas('api', 3, { backup: 'stub', failover: { route: 'backup' } });
    expect(failoverButtons(auto)).toEqual({ failover: true, failback: true });
    const pinned = replicas('api', 3, {
      backup: 'stub',
      failover: { route: 'backup', pinned: true },
    });
    expect(failoverButtons(pinned)).toEqual({ failover: false, failback: true });
  });

  it('no failover: neither', () => {
    expect(failoverButtons(replicas('api', 3))).toEqual({ failover: false, failback: false });
  });
});

describe('instance strip', () => {
  it('one cell per instance, its status, and an outline for one taking no traffic', () => {
    const r = replicas('api', 3, {
      sick: { 1: { status: 'unhealthy' }, 2: { draining: true, in_pool: false } },
    });
    const s = instanceStrip(r);
    expect(s.cells).toEqual([
      { id: 'api#0', status: 'healthy', out: false },
      { id: 'api#1', status: 'unhealthy', out: false },
      { id: 'api#2', status: 'healthy', out: true },
    ]);
    expect(s.more).toBe(0);
  });

  it(`caps at ${STRIP_CAP} cells; "+N" takes the worst status it hides`, () => {
    const r = replicas('api', 30, {
      sick: { 27: { status: 'degraded' }, 5: { status: 'timeout' } },
    });
    const s = instanceStrip(r);
    expect(s.cells).toHaveLength(STRIP_CAP);
    expect(s.more).toBe(6);
    expect(s.moreStatus).toBe('degraded');
    expect(instanceStrip(replicas('api', 20)).cells).toHaveLength(20);
  });

  it('goes through one string and back unchanged (graph nodes compare it by value)', () => {
    const r = replicas('api', 26, {
      sick: { 0: { status: 'stopped' }, 3: { ejected: true }, 25: { status: 'quarantined' } },
    });
    const s = instanceStrip(r);
    const text = encodeStrip(s);
    expect(text.startsWith('stopped healthy healthy healthy~ healthy')).toBe(true);
    expect(text.endsWith('+2:quarantined')).toBe(true);
    expect(decodeStrip('api', text)).toEqual({
      cells: s.cells,
      more: 2,
      moreStatus: 'quarantined',
    });
    expect(decodeStrip('api', '')).toEqual({ cells: [], more: 0, moreStatus: null });
  });
});

describe('pool and share', () => {
  it('says where an instance stands with the balancer', () => {
    const r = replicas('api', 4, {
      sick: {
        1: { draining: true, in_pool: false },
        2: { ejected: true, in_pool: false },
        3: { in_pool: false },
      },
    });
    expect(r.instances.map(poolState)).toEqual(['in pool', 'draining', 'ejected', 'out']);
  });

  it('formats shares without rounding a trickle to zero', () => {
    expect(formatShare(0.4249)).toBe('42 %');
    expect(formatShare(0.004)).toBe('<1 %');
    expect(formatShare(0)).toBe('0 %');
    expect(formatShare(null)).toBe('—');
  });
});
