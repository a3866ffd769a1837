import { describe, expect, it } from 'vitest';
import type { HealthEvent, StatusEvent } from '../../shared/events.js';
import { T0, healing, replicas, serviceEvent, snapshot, view } from '../testing/support.js';
import {
  EMPTY_DATA,
  HEALING_CAP,
  applyEvent,
  applyEvents,
  applySnapshot,
  countByStatus,
  mergeHealing,
  mergeServiceDetail,
  parseInstanceId,
  reconcileServices,
  staleReplicaView,
} from './reducers.js';

const start = () =>
  applySnapshot(
    EMPTY_DATA,
    snapshot([view('web', { phase: 1, deps: { api: 'healthy' } }), view('api'), view('db')]),
    T0,
  );

describe('applySnapshot', () => {
  it('replaces the services and orders them by phase, then name', () => {
    const s = start();
    expect(Object.keys(s.services).sort()).toEqual(['api', 'db', 'web']);
    expect(s.order).toEqual(['api', 'db', 'web']);
    expect(s.system?.name).toBe('shop');
    expect(s.snapshotAt).toBe(T0);
  });

  it('keeps healing history loaded before, merged with the snapshot recent healing', () => {
    const before = { ...EMPTY_DATA, healing: [healing('db', 'restart', T0 - 5_000)] };
    const s = applySnapshot(before, snapshot([view('db')], [healing('db', 'quarantine', T0)]), T0);
    expect(s.healing.map((e) => e.action)).toEqual(['quarantine', 'restart']);
  });

  it('drops services that are gone from a new snapshot', () => {
    const s = applySnapshot(start(), snapshot([view('api')]), T0 + 1);
    expect(s.order).toEqual(['api']);
    expect(s.services['web']).toBeUndefined();
  });
});

describe('applyEvent', () => {
  it('service_event moves the lifecycle, status, pid and blocked-by list', () => {
    const s = applyEvent(
      start(),
      serviceEvent('web', 'starting', 'waiting', { blockedBy: ['api'], status: 'degraded' }),
    );
    expect(s.services['web']).toMatchObject({
      lifecycle: 'waiting',
      status: 'degraded',
      blocked_by: ['api'],
      generation: 2,
    });
    const running = applyEvent(s, serviceEvent('web', 'waiting', 'running', { status: 'healthy' }));
    expect(running.services['web']!.blocked_by).toEqual([]);
    expect(running.services['web']!.pid).toBe(5151);
  });

  it('service_event to backoff records the next attempt time', () => {
    const s = applyEvent(
      start(),
      serviceEvent('api', 'running', 'backoff', { nextAttemptAt: T0 + 5_000 }),
    );
    expect(s.services['api']!.next_attempt_at).toBe(new Date(T0 + 5_000).toISOString());
    expect(s.services['api']!.last_error).toBe('exited with code 1');
  });

  it('service_event that leaves no instance forgets the last probe result', () => {
    const healthy = applySnapshot(
      EMPTY_DATA,
      snapshot([view('api', { health: 'healthy' }), view('ext', { health: 'healthy' })]),
      T0,
    );
    const crashed = applyEvent(healthy, serviceEvent('api', 'running', 'backoff'));
    expect(crashed.services['api']).toMatchObject({ lifecycle: 'backoff', health: 'unknown' });
    // a registered service has no pid of Vigil's: its health stays what its checks said
    const ext = {
      ...healthy,
      services: { ...healthy.services, ext: { ...healthy.services['ext']!, registered: true } },
    };
    const after = applyEvent(ext, serviceEvent('ext', 'running', 'starting', { pid: null }));
    expect(after.services['ext']!.health).toBe('healthy');
  });

  it('service_event to quarantined shows the reason', () => {
    const s = applyEvent(
      start(),
      serviceEvent('api', 'backoff', 'quarantined', {
        reason: { kind: 'exit', message: 'gave up after 7 attempts' },
      }),
    );
    expect(s.services['api']!.quarantine_reason).toBe('gave up after 7 attempts');
    expect(s.services['api']!.status).toBe('quarantined');
  });

  it('health_update sets health, status, last check and failures', () => {
    const ev: HealthEvent = {
      type: 'health_update',
      ts: T0,
      service: 'db',
      generation: 1,
      result: {
        ok: false,
        timedOut: true,
        latencyMs: 2000,
        probe: 'http',
        detail: 'timeout',
        ts: T0,
      },
      from: 'healthy',
      to: 'timeout',
      consecutiveFailures: 3,
      consecutiveSuccesses: 0,
    };
    const s = applyEvent(start(), ev);
    expect(s.services['db']).toMatchObject({
      health: 'timeout',
      status: 'timeout',
      consecutive_failures: 3,
    });
    expect(s.services['db']!.last_check?.detail).toBe('timeout');
  });

  it('restart healing events count restarts and keep the reason', () => {
    const s = applyEvents(start(), [
      healing('api', 'restart_scheduled', T0 + 1),
      healing('api', 'restart', T0 + 2),
      healing('api', 'graceful_restart', T0 + 3, { attempt: 4 }),
    ]);
    expect(s.services['api']!.restart_count).toBe(2);
    expect(s.services['api']!.restart_attempts).toBe(4);
    expect(s.services['api']!.last_restart_reason?.message).toBe('exited with code 1');
    expect(s.healing.map((e) => e.action)).toEqual([
      'graceful_restart',
      'restart',
      'restart_scheduled',
    ]);
  });

  it('breaker and quarantine healing events update the breaker and the quarantine reason', () => {
    let s = applyEvent(start(), healing('api', 'breaker_open', T0 + 1, { breaker: 'open' }));
    expect(s.services['api']!.breaker).toMatchObject({ state: 'open', trips: 1 });
    s = applyEvent(
      s,
      healing('api', 'quarantine', T0 + 2, {
        reason: { kind: 'exit', message: 'too many crashes' },
      }),
    );
    expect(s.services['api']!.quarantine_reason).toBe('too many crashes');
    s = applyEvent(s, healing('api', 'release', T0 + 3, { breaker: 'closed' }));
    expect(s.services['api']!.quarantine_reason).toBeNull();
    expect(s.services['api']!.breaker.state).toBe('closed');
  });

  it('status_update changes the composite state', () => {
    const ev: StatusEvent = {
      type: 'status_update',
      ts: T0,
      system: 'critical',
      event: 'system-critical',
      message: 'db is down',
      failing: ['db'],
    };
    const s = applyEvent(start(), ev);
    expect(s.system?.status).toBe('critical');
    expect(s.system?.failing).toEqual(['db']);
    expect(s.lastStatus).toBe(ev);
  });

  it('ignores events about unknown services and log events', () => {
    const s = start();
    expect(applyEvent(s, serviceEvent('ghost', 'stopped', 'running'))).toBe(s);
    expect(
      applyEvent(s, { type: 'log', ts: T0, service: 'db', stream: 'stdout', line: 'x', seq: 1 }),
    ).toBe(s);
  });

  it('does not mutate the previous state', () => {
    const s = start();
    const before = JSON.stringify(s);
    applyEvent(s, serviceEvent('api', 'running', 'backoff'));
    expect(JSON.stringify(s)).toBe(before);
  });
});

describe('reconcileServices', () => {
  it('keeps the identity of unchanged views and the state when nothing changed', () => {
    const s = start();
    const same = reconcileServices(s, [
      view('web', { phase: 1, deps: { api: 'healthy' } }),
      view('api'),
      view('db'),
    ]);
    expect(same).toBe(s);
    const changed = reconcileServices(s, [
      view('web', { phase: 1, deps: { api: 'healthy' } }),
      view('api', { restarts: 3 }),
      view('db'),
    ]);
    expect(changed.services['api']!.restart_count).toBe(3);
    expect(changed.services['db']).toBe(s.services['db']);
  });

  it('adds and removes services after a reload', () => {
    const s = reconcileServices(start(), [view('api'), view('cache')]);
    expect(s.order).toEqual(['api', 'cache']);
  });
});

describe('mergeServiceDetail', () => {
  it('merges the view fields of a detail and ignores unknown services', () => {
    const s = start();
    const detail = {
      ...view('api', { restarts: 5 }),
      spec: {},
      health_history: [],
      log_file: null,
    };
    const next = mergeServiceDetail(s, detail);
    expect(next.services['api']!.restart_count).toBe(5);
    expect('spec' in next.services['api']!).toBe(false);
    expect(mergeServiceDetail(s, { ...detail, name: 'ghost' })).toBe(s);
  });
});

describe('mergeHealing and countByStatus', () => {
  it('dedupes, sorts newest first and caps', () => {
    const a = [healing('db', 'restart', T0 + 2), healing('db', 'restart', T0 + 1)];
    const merged = mergeHealing(a, [healing('db', 'restart', T0 + 2)]);
    expect(merged.map((e) => e.ts)).toEqual([T0 + 2, T0 + 1]);
    const many = Array.from({ length: HEALING_CAP + 10 }, (_, i) =>
      healing('db', 'restart', T0 + i),
    );
    expect(mergeHealing(many, [])).toHaveLength(HEALING_CAP);
  });

  it('counts services per display status', () => {
    const s = applyEvent(start(), serviceEvent('api', 'running', 'quarantined'));
    const counts = countByStatus(s.services);
    expect(counts.healthy).toBe(2);
    expect(counts.quarantined).toBe(1);
  });
});

describe('why a starting service is not ready', () => {
  it('follows the boot: startup deadline from the event, failed checks from the health updates', () => {
    const deadline = T0 + 60_000;
    let s = applyEvent(
      start(),
      serviceEvent('api', 'stopped', 'starting', {
        startupDeadline: deadline,
        startedWithout: [{ service: 'metrics', reason: 'exited with code 3' }],
      }),
    );
    expect(s.services['api']!.not_ready).toEqual({
      failed_checks: 0,
      last_failure: null,
      startup_deadline: new Date(deadline).toISOString(),
    });
    expect(s.services['api']!.started_without).toEqual([
      { service: 'metrics', reason: 'exited with code 3' },
    ]);
    const hung: HealthEvent = {
      type: 'health_update',
      ts: T0 + 2_000,
      service: 'api',
      generation: 2,
      result: {
        ok: false,
        timedOut: true,
        latencyMs: 200,
        probe: 'http',
        detail: 'timed out after 200ms',
        ts: T0 + 2_000,
      },
      from: 'unknown',
      to: 'timeout',
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      startFailures: 25,
    };
    s = applyEvent(s, hung);
    expect(s.services['api']!.health).toBe('timeout');
    expect(s.services['api']!.not_ready).toMatchObject({
      failed_checks: 25,
      last_failure: 'timed out after 200ms',
    });
    s = applyEvent(s, serviceEvent('api', 'starting', 'running'));
    expect(s.services['api']!.not_ready).toBeNull();
    expect(s.services['api']!.started_without).toHaveLength(1);
    s = applyEvent(s, serviceEvent('api', 'running', 'backoff'));
    expect(s.services['api']!.started_without).toEqual([]);
  });
});

describe('mergeServiceDetail', () => {
  it('regression: keeps why a service is not ready and what it started without (the panel read them)', () => {
    const detail = {
      ...view('api'),
      lifecycle: 'starting' as const,
      not_ready: {
        failed_checks: 3,
        last_failure: 'timed out after 200ms',
        startup_deadline: null,
      },
      started_without: [{ service: 'metrics', reason: 'exited with code 3' }],
    };
    const s = mergeServiceDetail(start(), detail);
    expect(s.services['api']!.not_ready).toEqual(detail.not_ready);
    expect(s.services['api']!.started_without).toEqual(detail.started_without);
  });
});

describe('a replicated service', () => {
  const withApi = () =>
    applySnapshot(
      EMPTY_DATA,
      snapshot([{ ...view('api'), replicas: replicas('api', 3) }, view('db')]),
      T0,
    );

  it('reads instance ids: `api#1` belongs to api', () => {
    expect(parseInstanceId('api#1')).toEqual({ service: 'api', index: 1 });
    expect(parseInstanceId('my-api#12')).toEqual({ service: 'my-api', index: 12 });
    expect(parseInstanceId('api')).toBeNull();
    expect(parseInstanceId('#1')).toBeNull();
    expect(parseInstanceId('api#x')).toBeNull();
  });

  it("an instance's events make its service's view stale; a plain service's do not", () => {
    const s = withApi();
    expect(staleReplicaView(s, serviceEvent('api#0', 'running', 'backoff'))).toBe('api');
    expect(staleReplicaView(s, healing('api#2', 'restart'))).toBe('api');
    expect(
      staleReplicaView(s, {
        type: 'health_update',
        ts: T0,
        service: 'api#1',
        generation: 1,
        result: { ok: false, timedOut: false, latencyMs: 3, probe: 'http', detail: '503', ts: T0 },
        from: 'healthy',
        to: 'unhealthy',
        consecutiveFailures: 1,
        consecutiveSuccesses: 0,
      }),
    ).toBe('api');
    // replica events name the service itself
    expect(staleReplicaView(s, healing('api', 'instance_added'))).toBe('api');
    expect(staleReplicaView(s, healing('api', 'topology_updated'))).toBe('api');
    // not about instances
    expect(staleReplicaView(s, healing('api', 'restart'))).toBeNull();
    expect(staleReplicaView(s, serviceEvent('db', 'running', 'backoff'))).toBeNull();
    expect(staleReplicaView(s, serviceEvent('db#0', 'running', 'backoff'))).toBeNull();
    expect(staleReplicaView(s, serviceEvent('gone#0', 'running', 'backoff'))).toBeNull();
    expect(
      staleReplicaView(s, {
        type: 'log',
        ts: T0,
        service: 'api',
        instance: 'api#0',
        stream: 'stdout',
        line: 'x',
        seq: 1,
      }),
    ).toBeNull();
  });

  it("an instance's lifecycle and health move its row before the view is re-read", () => {
    const crashed = applyEvent(
      withApi(),
      serviceEvent('api#1', 'running', 'backoff', { status: 'unhealthy' }),
    );
    const i = crashed.services['api']!.replicas!.instances;
    expect(i[1]).toMatchObject({
      lifecycle: 'backoff',
      status: 'unhealthy',
      pid: null,
      in_pool: false,
      health: 'unknown',
    });
    expect(i[0]!.lifecycle).toBe('running');
    // the service itself is untouched (its own aggregate event moves it)
    expect(crashed.services['api']!.lifecycle).toBe('running');
    const probed = applyEvent(withApi(), {
      type: 'health_update',
      ts: T0,
      service: 'api#2',
      generation: 1,
      result: {
        ok: false,
        timedOut: true,
        latencyMs: 900,
        probe: 'http',
        detail: 'timeout',
        ts: T0,
      },
      from: 'healthy',
      to: 'timeout',
      consecutiveFailures: 1,
      consecutiveSuccesses: 0,
    });
    expect(probed.services['api']!.replicas!.instances[2]).toMatchObject({
      health: 'timeout',
      status: 'timeout',
    });
    // an instance the view does not list yet changes nothing
    const s = withApi();
    expect(applyEvent(s, serviceEvent('api#7', 'pending', 'starting'))).toBe(s);
  });

  it('replica events go on the timeline and are not restarts; an instance restart is its own', () => {
    let s = withApi();
    for (const action of [
      'instance_added',
      'instance_lost',
      'scaling_executed',
      'failover_completed',
      'failback_completed',
      'topology_updated',
    ] as const) {
      s = applyEvent(s, healing('api', action, T0 + s.healing.length + 1));
    }
    s = applyEvent(s, healing('api#1', 'restart', T0 + 100));
    expect(s.healing).toHaveLength(7);
    expect(s.healing[0]!.service).toBe('api#1');
    expect(s.services['api']!.restart_count).toBe(0);
    expect(s.services['api']!.last_restart).toBeNull();
  });

  it('a detail with new instances replaces the view; the same ones keep it', () => {
    const s = withApi();
    expect(mergeServiceDetail(s, { ...view('api'), replicas: replicas('api', 3) })).toBe(s);
    const scaled = mergeServiceDetail(s, { ...view('api'), replicas: replicas('api', 5) });
    expect(scaled.services['api']!.replicas!.instances).toHaveLength(5);
  });
});
