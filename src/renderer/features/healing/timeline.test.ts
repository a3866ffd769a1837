import { describe, expect, it } from 'vitest';
import { T0, healing } from '../../testing/support.js';
import { describeHealing, filterHealing, healingTone, kindOf } from './timeline.js';

describe('healing timeline', () => {
  const events = [
    healing('api', 'restart', T0 + 3),
    healing('db', 'quarantine', T0 + 2),
    healing('api', 'breaker_open', T0 + 1),
    healing('db', 'counter_reset', T0),
  ];

  it('filters by service and by kind', () => {
    expect(filterHealing(events, 'api', 'all').map((e) => e.action)).toEqual([
      'restart',
      'breaker_open',
    ]);
    expect(filterHealing(events, null, 'quarantine').map((e) => e.service)).toEqual(['db']);
    expect(filterHealing(events, 'db', 'restarts')).toEqual([]);
    expect(filterHealing(events, null, 'all')).toHaveLength(4);
    expect(filterHealing(events, null, 'other').map((e) => e.action)).toEqual(['counter_reset']);
  });

  it('groups every action into a kind', () => {
    expect(kindOf('graceful_restart')).toBe('restarts');
    expect(kindOf('give_up')).toBe('quarantine');
    expect(kindOf('breaker_half_open')).toBe('breaker');
    expect(kindOf('limit_exceeded')).toBe('other');
  });

  it('tells each event as a sentence with its reason', () => {
    expect(
      describeHealing(healing('api', 'restart_scheduled', T0, { delayMs: 5_000, attempt: 2 })),
    ).toBe('restart scheduled in 5.0 s (attempt 2): exited with code 1');
    expect(
      describeHealing(
        healing('api', 'quarantine', T0, { reason: { kind: 'exit', message: 'crashed 7 times' } }),
      ),
    ).toBe('quarantined: crashed 7 times');
    expect(healingTone('quarantine')).toBe('quarantine');
    expect(healingTone('breaker_open')).toBe('bad');
    expect(healingTone('release')).toBe('ok');
  });
});
