import { describe, expect, it } from 'vitest';
import { holdsPhase, serialSettled, type LaunchFacts } from './launch.js';
import type { DependencyFacts } from './rules.js';

const svc = (over: Partial<LaunchFacts> = {}): LaunchFacts => ({
  name: 'api',
  lifecycle: 'starting',
  health: 'unknown',
  required: true,
  priority: 'medium',
  oneshot: false,
  overdue: false,
  stoppedByUser: false,
  failedSinceUp: false,
  wantedUp: true,
  blocked: [],
  dependsOn: [],
  ...over,
});

describe('serialSettled', () => {
  it('lets the next serial service go once this one is ready or settled', () => {
    for (const l of ['running', 'completed', 'failed', 'quarantined', 'stopped'] as const)
      expect(serialSettled(svc({ lifecycle: l }))).toBe(true);
  });
  it('holds the next one while a required service is on its way up or crash-looping', () => {
    for (const l of ['waiting', 'starting', 'backoff', 'stopping'] as const)
      expect(serialSettled(svc({ lifecycle: l, failedSinceUp: l === 'backoff' }))).toBe(false);
    expect(serialSettled(svc({ lifecycle: 'pending' }))).toBe(false);
    expect(serialSettled(svc({ lifecycle: 'pending', wantedUp: false }))).toBe(true);
  });
  it('does not hold it for an optional service that has failed once', () => {
    const opt = { required: false };
    expect(serialSettled(svc({ ...opt, lifecycle: 'starting' }))).toBe(false);
    expect(serialSettled(svc({ ...opt, lifecycle: 'backoff', failedSinceUp: true }))).toBe(true);
    expect(serialSettled(svc({ ...opt, lifecycle: 'starting', failedSinceUp: true }))).toBe(true);
    expect(serialSettled(svc({ ...opt, lifecycle: 'starting', overdue: true }))).toBe(true);
  });
});

describe('holdsPhase', () => {
  const deps: Record<string, DependencyFacts> = {
    db: { lifecycle: 'starting', health: 'unknown' },
    gone: { lifecycle: 'failed', health: 'unknown' },
    metrics: { lifecycle: 'starting', health: 'unknown' },
  };
  const lookup = (n: string) => deps[n];
  it('is held by a required service not spawned yet or waiting on a required dependency', () => {
    expect(holdsPhase(svc({ lifecycle: 'pending' }), lookup)).toBe(true);
    const waiting = svc({
      lifecycle: 'waiting',
      blocked: ['db'],
      dependsOn: [{ name: 'db', condition: 'healthy', optional: false }],
    });
    expect(holdsPhase(waiting, lookup)).toBe(true);
  });
  it('is not held by a spawned service, nor by one waiting on a dependency that gave up', () => {
    expect(holdsPhase(svc({ lifecycle: 'starting' }), lookup)).toBe(false);
    expect(holdsPhase(svc({ lifecycle: 'backoff' }), lookup)).toBe(false);
    const onGone = svc({
      lifecycle: 'waiting',
      blocked: ['gone'],
      dependsOn: [{ name: 'gone', condition: 'healthy', optional: false }],
    });
    expect(holdsPhase(onGone, lookup)).toBe(false);
  });
  it('is never held by an optional service or by a wait on an optional dependency', () => {
    expect(holdsPhase(svc({ lifecycle: 'pending', required: false }), lookup)).toBe(false);
    const onOptional = svc({
      lifecycle: 'waiting',
      blocked: ['metrics'],
      dependsOn: [{ name: 'metrics', condition: 'healthy', optional: true }],
    });
    expect(holdsPhase(onOptional, lookup)).toBe(false);
  });
});
