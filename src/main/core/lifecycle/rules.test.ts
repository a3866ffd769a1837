import { describe, expect, it } from 'vitest';
import {
  assessSystem,
  blockedBy,
  conditionMet,
  isDown,
  missingOptional,
  optionalStillComing,
  type DependencyFacts,
  type ServiceFacts,
} from './rules.js';

const facts = (over: Partial<ServiceFacts> & { name: string }): ServiceFacts => ({
  lifecycle: 'running',
  health: 'healthy',
  required: true,
  priority: 'medium',
  oneshot: false,
  overdue: false,
  stoppedByUser: false,
  ...over,
});

describe('dependency conditions', () => {
  it('started is met once the process is spawned', () => {
    expect(conditionMet('started', { lifecycle: 'starting', health: 'unknown' })).toBe(true);
    expect(conditionMet('started', { lifecycle: 'waiting', health: 'unknown' })).toBe(false);
    expect(conditionMet('started', { lifecycle: 'backoff', health: 'unknown' })).toBe(false);
  });
  it('healthy needs a ready, healthy (or degraded below threshold) dependency', () => {
    expect(conditionMet('healthy', { lifecycle: 'starting', health: 'unknown' })).toBe(false);
    expect(conditionMet('healthy', { lifecycle: 'running', health: 'healthy' })).toBe(true);
    expect(conditionMet('healthy', { lifecycle: 'running', health: 'degraded' })).toBe(true);
    expect(conditionMet('healthy', { lifecycle: 'running', health: 'unhealthy' })).toBe(false);
    expect(conditionMet('healthy', { lifecycle: 'completed', health: 'unknown' })).toBe(true);
  });
  it('completed needs a oneshot that exited 0', () => {
    expect(conditionMet('completed', { lifecycle: 'running', health: 'healthy' })).toBe(false);
    expect(conditionMet('completed', { lifecycle: 'completed', health: 'unknown' })).toBe(true);
  });
});

describe('blockedBy', () => {
  const states: Record<string, Pick<ServiceFacts, 'lifecycle' | 'health'>> = {
    db: { lifecycle: 'starting', health: 'unknown' },
    cache: { lifecycle: 'running', health: 'healthy' },
    metrics: { lifecycle: 'failed', health: 'unknown' },
    search: { lifecycle: 'starting', health: 'unknown' },
  };
  const lookup = (n: string) => states[n];
  it('lists required dependencies that do not meet their condition', () => {
    expect(
      blockedBy(
        [
          { name: 'db', condition: 'healthy', optional: false },
          { name: 'cache', condition: 'healthy', optional: false },
        ],
        lookup,
      ),
    ).toEqual(['db']);
  });
  it('does not wait for an optional dependency that gave up or does not exist', () => {
    expect(
      blockedBy(
        [
          { name: 'metrics', condition: 'healthy', optional: true },
          { name: 'ghost', condition: 'healthy', optional: true },
        ],
        lookup,
      ),
    ).toEqual([]);
  });
  it('waits for an optional dependency that is still on its way up', () => {
    expect(blockedBy([{ name: 'search', condition: 'healthy', optional: true }], lookup)).toEqual([
      'search',
    ]);
  });
  it('a missing required dependency blocks', () => {
    expect(blockedBy([{ name: 'ghost', condition: 'started', optional: false }], lookup)).toEqual([
      'ghost',
    ]);
  });
});

describe('system assessment', () => {
  it('is healthy when every service is ready', () => {
    const a = assessSystem([
      facts({ name: 'a' }),
      facts({ name: 'm', oneshot: true, lifecycle: 'completed', health: 'unknown' }),
    ]);
    expect(a).toEqual({ state: 'healthy', critical: [], failing: [], ready: true });
  });
  it('is critical when a required service is quarantined', () => {
    const a = assessSystem([
      facts({ name: 'a' }),
      facts({ name: 'db', lifecycle: 'quarantined', health: 'unknown' }),
    ]);
    expect(a.state).toBe('critical');
    expect(a.critical).toEqual(['db']);
  });
  it('is degraded, not critical, when an optional service is down', () => {
    const a = assessSystem([
      facts({ name: 'a' }),
      facts({ name: 'flaky', required: false, lifecycle: 'backoff' }),
    ]);
    expect(a.state).toBe('degraded');
    expect(a.failing).toEqual(['flaky']);
    expect(a.ready).toBe(true);
  });
  it('a critical-priority service crash-looping makes the system critical', () => {
    const a = assessSystem([facts({ name: 'db', priority: 'critical', lifecycle: 'backoff' })]);
    expect(a.state).toBe('critical');
  });
  it('a required service down past its startup timeout is critical', () => {
    const a = assessSystem([
      facts({ name: 'api', lifecycle: 'waiting', health: 'unknown', overdue: true }),
    ]);
    expect(a.state).toBe('critical');
  });
  it('a service stopped on purpose counts neither as down nor as not ready', () => {
    const s = facts({ name: 'api', lifecycle: 'stopped', health: 'unknown', stoppedByUser: true });
    expect(isDown(s)).toBe(false);
    expect(assessSystem([s]).state).toBe('healthy');
  });
  it('starting services make the system degraded and not ready', () => {
    const a = assessSystem([facts({ name: 'api', lifecycle: 'starting', health: 'unknown' })]);
    expect(a.state).toBe('degraded');
    expect(a.ready).toBe(false);
  });
});

describe('optional dependencies (regression: a crash-looping optional dependency stalled the launch)', () => {
  const metrics = (over: Partial<DependencyFacts>): DependencyFacts => ({
    lifecycle: 'starting',
    health: 'unknown',
    overdue: false,
    failedSinceUp: false,
    lastError: null,
    ...over,
  });
  const dep = [{ name: 'metrics', condition: 'healthy' as const, optional: true }];

  it('is waited for only while on its way up for the first time', () => {
    expect(optionalStillComing(metrics({ lifecycle: 'pending' }))).toBe(true);
    expect(optionalStillComing(metrics({ lifecycle: 'waiting' }))).toBe(true);
    expect(optionalStillComing(metrics({ lifecycle: 'starting' }))).toBe(true);
    expect(optionalStillComing(metrics({ lifecycle: 'starting', health: 'timeout' }))).toBe(true);
  });

  it.each([
    ['crash-looping (backoff)', metrics({ lifecycle: 'backoff', failedSinceUp: true })],
    ['starting again after a crash', metrics({ lifecycle: 'starting', failedSinceUp: true })],
    ['past its startup timeout', metrics({ lifecycle: 'starting', overdue: true })],
    ['quarantined', metrics({ lifecycle: 'quarantined' })],
    ['given up', metrics({ lifecycle: 'failed' })],
    ['stopped', metrics({ lifecycle: 'stopped' })],
    ['running but unhealthy', metrics({ lifecycle: 'running', health: 'unhealthy' })],
  ])('does not block once %s', (_what, facts) => {
    expect(optionalStillComing(facts)).toBe(false);
    expect(blockedBy(dep, () => facts)).toEqual([]);
  });

  it('a required dependency in the same state still blocks', () => {
    const crashed = metrics({ lifecycle: 'backoff', failedSinceUp: true });
    expect(blockedBy([{ ...dep[0]!, optional: false }], () => crashed)).toEqual(['metrics']);
  });

  it('names what it starts without, and why', () => {
    const crashed = metrics({
      lifecycle: 'backoff',
      failedSinceUp: true,
      lastError: 'exited with code 3',
    });
    expect(missingOptional(dep, () => crashed)).toEqual([
      { service: 'metrics', reason: 'exited with code 3' },
    ]);
    expect(missingOptional(dep, () => undefined)).toEqual([
      { service: 'metrics', reason: 'metrics is not in the stack' },
    ]);
    expect(
      missingOptional(dep, () => metrics({ lifecycle: 'running', health: 'healthy' })),
    ).toEqual([]);
    expect(
      missingOptional([{ name: 'db', condition: 'healthy', optional: false }], () => crashed),
    ).toEqual([]);
  });
});
