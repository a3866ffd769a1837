import { describe, expect, it } from 'vitest';
import type { Health, Lifecycle } from '../../../shared/model.js';
import { aggregate, instanceReady, type AggregateInput } from './aggregate.js';

const i = (lifecycle: Lifecycle, health: Health = 'unknown') => ({ lifecycle, health });
const up = (
  instances: AggregateInput['instances'],
  extra: Partial<AggregateInput> = {},
): ReturnType<typeof aggregate> =>
  aggregate({
    instances,
    wanted: instances.length,
    minReady: 1,
    desired: 'up',
    quarantined: false,
    setFailed: false,
    ...extra,
  });

describe('aggregate', () => {
  it('counts running instances that are not failing their probe as ready', () => {
    expect(instanceReady(i('running', 'healthy'))).toBe(true);
    expect(instanceReady(i('running', 'degraded'))).toBe(true);
    expect(instanceReady(i('running', 'unhealthy'))).toBe(false);
    expect(instanceReady(i('running', 'timeout'))).toBe(false);
    expect(instanceReady(i('starting', 'healthy'))).toBe(false);
  });

  it('is healthy with every instance ready and degraded with only min_ready of them', () => {
    expect(up([i('running', 'healthy'), i('running', 'healthy')])).toEqual({
      lifecycle: 'running',
      health: 'healthy',
      ready: 2,
    });
    expect(up([i('running', 'healthy'), i('backoff')], { minReady: 1 })).toMatchObject({
      lifecycle: 'running',
      health: 'degraded',
    });
    // Fewer than min_ready: not running, whatever the others do.
    expect(
      up([i('running', 'healthy'), i('backoff'), i('starting')], { minReady: 2 }),
    ).toMatchObject({
      lifecycle: 'starting',
      ready: 1,
    });
    expect(up([i('running', 'healthy'), i('backoff'), i('failed')], { minReady: 2 })).toMatchObject(
      {
        lifecycle: 'backoff',
      },
    );
  });

  it('counts wanted instances that do not exist yet as not ready', () => {
    expect(up([i('running', 'healthy')], { wanted: 3 })).toMatchObject({
      lifecycle: 'running',
      health: 'degraded',
    });
  });

  it('never asks for more ready instances than are wanted', () => {
    expect(up([i('running', 'healthy')], { minReady: 3, wanted: 1 })).toMatchObject({
      lifecycle: 'running',
      health: 'healthy',
    });
  });

  it('says failed when every instance failed, waiting when all wait, and carries the worst health', () => {
    expect(up([i('failed'), i('failed')]).lifecycle).toBe('failed');
    expect(up([i('waiting'), i('waiting')]).lifecycle).toBe('waiting');
    expect(up([i('starting', 'unhealthy'), i('starting', 'timeout')]).health).toBe('timeout');
    expect(up([]).lifecycle).toBe('pending');
    // Instances asked up a moment ago are on their way: starting, not waiting on nothing.
    expect(up([i('pending'), i('pending')]).lifecycle).toBe('starting');
    expect(up([i('waiting'), i('pending')]).lifecycle).toBe('starting');
    // Running below min_ready, nothing on its way up: running and unhealthy.
    expect(up([i('running', 'unhealthy')])).toMatchObject({
      lifecycle: 'running',
      health: 'unhealthy',
    });
    expect(up([i('running', 'healthy'), i('failed')], { minReady: 2 })).toMatchObject({
      lifecycle: 'running',
      health: 'unhealthy',
    });
  });

  it('is quarantined, failed (front port) or stopping/stopped when held down', () => {
    expect(up([i('running', 'healthy')], { quarantined: true }).lifecycle).toBe('quarantined');
    expect(up([i('stopping')], { quarantined: true }).lifecycle).toBe('stopping');
    expect(up([], { setFailed: true }).lifecycle).toBe('failed');
    expect(up([i('running', 'healthy')], { desired: 'down' }).lifecycle).toBe('stopping');
    expect(up([i('stopped'), i('stopped')], { desired: 'down' }).lifecycle).toBe('stopped');
    expect(up([i('pending')], { desired: 'down' }).lifecycle).toBe('pending');
  });
});
