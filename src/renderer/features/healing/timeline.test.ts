import { describe, expect, it } from 'vitest';
import { T0, healing } from '../../testing/support.js';
import {
  HEALING_KINDS,
  HEALING_KIND_LABEL,
  actionText,
  describeHealing,
  filterHealing,
  healingTone,
  kindOf,
  serviceOf,
} from './timeline.js';

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

  it('tells replica events with their instance, counts and metric', () => {
    const say = (action: Parameters<typeof healing>[1], replica: object, message = '') =>
      describeHealing(
        healing('api', action, T0, { replica, reason: { kind: 'manual', message, by: 'ui' } }),
      );
    expect(say('instance_added', { instance: 'api#3' }, 'scaled up')).toBe(
      'instance api#3 added: scaled up',
    );
    expect(say('instance_lost', { instance: 'api#1' }, 'exited with code 1')).toBe(
      'instance api#1 lost: exited with code 1',
    );
    expect(say('scaling_executed', { from: 2, to: 4 }, 'asked from the UI')).toBe(
      'scaled from 2 to 4 instances: asked from the UI',
    );
    expect(
      say(
        'scaling_executed',
        { from: 4, to: 3, metric: { name: 'cpu', value: 12.345, target: 70 } },
        'below target for 30 s',
      ),
    ).toBe('scaled from 4 to 3 instances (cpu 12.3, target 70): below target for 30 s');
    expect(say('topology_updated', { pool: ['api#0'] })).toBe(
      'pool changed (1 instance taking traffic)',
    );
    expect(say('failover_completed', {}, 'no instance of api was ready')).toBe(
      'failed over to the backup: no instance of api was ready',
    );
    expect(say('failback_completed', {})).toBe('failed back to its own instances');
  });

  it('labels, kinds and tones for replica events', () => {
    expect(actionText('scaling_executed')).toBe('scaled');
    expect(actionText('topology_updated')).toBe('pool changed');
    expect(actionText('failover_completed')).toBe('failed over');
    for (const a of [
      'instance_added',
      'instance_lost',
      'scaling_executed',
      'failover_completed',
      'failback_completed',
      'topology_updated',
    ] as const) {
      expect(kindOf(a)).toBe('replicas');
    }
    expect(HEALING_KINDS).toContain('replicas');
    expect(HEALING_KIND_LABEL.replicas).toBe('Instances, scaling, failover');
    expect(healingTone('instance_lost')).toBe('warn');
    expect(healingTone('failback_completed')).toBe('ok');
  });

  it("an instance's events belong to its service", () => {
    const list = [
      healing('api#1', 'restart', T0 + 3),
      healing('api', 'instance_lost', T0 + 2),
      healing('api-stub', 'restart', T0 + 1),
    ];
    expect(serviceOf(list[0]!)).toBe('api');
    expect(filterHealing(list, 'api', 'all').map((e) => e.service)).toEqual(['api#1', 'api']);
    expect(filterHealing(list, 'api', 'restarts').map((e) => e.service)).toEqual(['api#1']);
    expect(filterHealing(list, null, 'replicas').map((e) => e.action)).toEqual(['instance_lost']);
  });
});
