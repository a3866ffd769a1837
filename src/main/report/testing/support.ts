/**
 * For tests: event builders and an in-memory ReportSource whose figures come from the same
 * pure availability rules as the history store. Used by the report's tests only.
 */
import type {
  HealingAction,
  HealingEvent,
  HealthEvent,
  ServiceEvent,
  StatusEvent,
  SystemEventName,
} from '../../../shared/events.js';
import {
  displayStatus,
  type Health,
  type Lifecycle,
  type ProbeType,
  type Reason,
  type SystemState,
} from '../../../shared/model.js';
import { RESTART_ACTIONS } from '../../../shared/lifecycle.js';
import { availabilityStats, type TimelineItem } from '../../core/store/availability.js';
import {
  addHealth,
  bucketIndex,
  finishHealth,
  newHealthAccs,
  seriesWindow,
} from '../../core/store/buckets.js';
import type { HealthBucket, ServiceStats } from '../../core/store/types.js';
import type { ReportRange, ReportSource } from '../types.js';

export const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
/** T0 + seconds. */
export const at = (seconds: number): number => T0 + Math.round(seconds * 1000);

export const exit = (code: number): Reason => ({
  kind: 'exit',
  message: `exited with code ${code}`,
  exitCode: code,
  signal: null,
});
export const killed = (signal: string): Reason => ({
  kind: 'signal',
  message: `killed by ${signal}`,
  signal,
  exitCode: null,
});
export const manual = (by: 'ui' | 'cli' | 'api', what: string): Reason => ({
  kind: 'manual',
  message: `${what} from ${by === 'ui' ? 'the UI' : by === 'cli' ? 'the CLI' : 'the API'}`,
  by,
});
export const launch: Reason = { kind: 'launch', message: 'stack launch' };

export function life(
  service: string,
  ts: number,
  from: Lifecycle,
  to: Lifecycle,
  reason: Reason,
  generation: number,
): ServiceEvent {
  return {
    type: 'service_event',
    ts,
    service,
    from,
    to,
    status: displayStatus(to, 'unknown'),
    generation,
    pid: null,
    reason,
  };
}

export function health(
  service: string,
  ts: number,
  from: Health,
  to: Health,
  generation: number,
  result: {
    ok: boolean;
    detail?: string;
    probe?: ProbeType;
    failures?: number;
    timedOut?: boolean;
  },
): HealthEvent {
  return {
    type: 'health_update',
    ts,
    service,
    generation,
    result: {
      ok: result.ok,
      timedOut: result.timedOut ?? false,
      latencyMs: 5,
      probe: result.probe ?? 'http',
      detail: result.detail ?? (result.ok ? 'HTTP 200' : 'HTTP 503'),
      ts,
    },
    from,
    to,
    consecutiveFailures: result.failures ?? (result.ok ? 0 : 1),
    consecutiveSuccesses: result.ok ? 1 : 0,
  };
}

export function heal(
  service: string,
  ts: number,
  action: HealingAction,
  reason: Reason,
  extra: { attempt?: number; rung?: number; delayMs?: number } = {},
): HealingEvent {
  return {
    type: 'healing_event',
    ts,
    service,
    action,
    reason,
    attempt: extra.attempt ?? 0,
    ...(extra.rung !== undefined ? { rung: extra.rung } : {}),
    ...(extra.delayMs !== undefined ? { delayMs: extra.delayMs } : {}),
    generation: 1,
  };
}

export function status(
  ts: number,
  system: SystemState,
  event: SystemEventName | undefined,
  message: string,
  extra: Partial<StatusEvent> = {},
): StatusEvent {
  return { type: 'status_update', ts, system, ...(event ? { event } : {}), message, ...extra };
}

/** A healthy launch at `ts`: starting, healthy, running (generation 1). */
export function launched(service: string, ts: number): (ServiceEvent | HealthEvent)[] {
  return [
    life(service, ts, 'pending', 'starting', launch, 1),
    health(service, ts + 1000, 'unknown', 'healthy', 1, { ok: true }),
    life(
      service,
      ts + 1000,
      'starting',
      'running',
      { kind: 'probe', message: 'ready: HTTP 200' },
      1,
    ),
  ];
}

export interface ProbeSample {
  readonly service: string;
  readonly ts: number;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly timedOut?: boolean;
}

export type AnyEvent = ServiceEvent | HealthEvent | HealingEvent | StatusEvent;

export interface FakeSourceInput {
  readonly stackName?: string;
  readonly stackFile?: string;
  readonly services: readonly string[];
  readonly events: readonly AnyEvent[];
  readonly probes?: readonly ProbeSample[];
  readonly runs?: readonly { readonly startedAt: number; readonly endedAt: number | null }[];
  /** Leave out `healthChanges`, as a source without them would. */
  readonly withoutHealthChanges?: boolean;
}

const within = (ts: number, r: ReportRange): boolean => ts >= r.since && ts <= r.until;

/** An in-memory ReportSource over a list of events; `calls` counts the reads made. */
export function fakeSource(input: FakeSourceInput): ReportSource & { calls: string[] } {
  const events = [...input.events].sort((a, b) => a.ts - b.ts);
  const of = <T extends AnyEvent['type']>(type: T): Extract<AnyEvent, { type: T }>[] =>
    events.filter((e): e is Extract<AnyEvent, { type: T }> => e.type === type);
  const runs = input.runs ?? [{ startedAt: events[0]?.ts ?? T0, endedAt: null }];
  const calls: string[] = [];

  const timeline = (service: string): TimelineItem[] => {
    const items: TimelineItem[] = [];
    for (const run of runs) {
      items.push({ kind: 'run_start', ts: run.startedAt });
      if (run.endedAt !== null) items.push({ kind: 'run_end', ts: run.endedAt });
    }
    for (const e of events) {
      if (e.type === 'service_event' && e.service === service) {
        items.push({
          kind: 'lifecycle',
          ts: e.ts,
          to: e.to,
          reason: e.reason.kind,
          ...(e.reason.exitCode !== undefined ? { exitCode: e.reason.exitCode } : {}),
          generation: e.generation,
        });
      } else if (e.type === 'health_update' && e.service === service) {
        items.push({ kind: 'health', ts: e.ts, to: e.to, generation: e.generation });
      }
    }
    return items.sort((a, b) => a.ts - b.ts);
  };

  const source: ReportSource & { calls: string[] } = {
    calls,
    stackName: input.stackName ?? 'shop',
    stackFile: input.stackFile ?? '/home/dev/shop/vigil.yaml',
    services: input.services,
    stats(service, r): ServiceStats {
      calls.push(`stats:${service}`);
      const a = availabilityStats(timeline(service), r.since, r.until);
      const heal = of('healing_event').filter((e) => e.service === service && within(e.ts, r));
      const count = (actions: readonly HealingAction[]): number =>
        heal.filter((e) => actions.includes(e.action)).length;
      const probes = (input.probes ?? []).filter((p) => p.service === service && within(p.ts, r));
      return {
        uptimePct: a.uptimePct,
        restarts: count(RESTART_ACTIONS),
        mttrMs: a.mttrMs,
        longestOutageMs: a.longestOutageMs,
        outages: a.outages,
        quarantines: count(['quarantine']),
        breakerTrips: count(['breaker_open']),
        probes: probes.length,
        probeFailures: probes.filter((p) => !p.ok).length,
      };
    },
    healing(r) {
      calls.push('healing');
      return of('healing_event')
        .filter((e) => within(e.ts, r))
        .reverse();
    },
    serviceEvents(r) {
      calls.push('serviceEvents');
      return of('service_event').filter((e) => within(e.ts, r));
    },
    statusEvents(r) {
      calls.push('statusEvents');
      return of('status_update').filter((e) => within(e.ts, r));
    },
    healthSeries(service, r): HealthBucket[] {
      calls.push(`healthSeries:${service}`);
      const w = seriesWindow(r);
      const accs = newHealthAccs(w.points);
      for (const p of input.probes ?? []) {
        if (p.service !== service) continue;
        const b = bucketIndex(w, p.ts);
        if (b === null) continue;
        addHealth(accs[b], {
          count: 1,
          ok: p.ok ? 1 : 0,
          failed: p.ok ? 0 : 1,
          timedOut: p.timedOut ? 1 : 0,
          latencySum: p.latencyMs,
          latencyMax: p.latencyMs,
        });
      }
      return finishHealth(w, accs);
    },
    runs(r) {
      calls.push('runs');
      return runs.filter(
        (run) => run.startedAt <= r.until && (run.endedAt === null || run.endedAt >= r.since),
      );
    },
  };
  if (!input.withoutHealthChanges) {
    source.healthChanges = (r) => {
      calls.push('healthChanges');
      return of('health_update').filter((e) => within(e.ts, r));
    };
  }
  return source;
}

/**
 * One hour of a five-service stack (10:00–11:00 UTC):
 * - db: stable;
 * - api: crashes at 10:02:03 (exit 1), restarted after 1 s, healthy at 10:02:04.2; the stack is
 *   critical meanwhile; restarted from the UI at 10:20:00, healthy at 10:20:02;
 * - worker: fails its http probe 3 times at 10:05:00, restarted after 5 s, healthy at 10:05:07;
 * - flaky: crash loop from 10:30:00, 7 restarts (3 immediate, 2 graceful, 2 with dependencies),
 *   breaker opened twice, quarantined at 10:34:05 and still quarantined at 11:00;
 * - cache: killed at 10:59:30, 3 restarts that crash again, next restart due at 11:00:27.
 */
export function shopScenario(): FakeSourceInput & {
  readonly since: number;
  readonly until: number;
} {
  const ev: AnyEvent[] = [];
  const services = ['db', 'api', 'worker', 'flaky', 'cache'];
  ev.push(status(at(0), 'degraded', 'stack-starting', 'starting 5 services'));
  for (const s of services) ev.push(...launched(s, at(0)));
  ev.push(status(at(3), 'healthy', 'system-ready', 'system ready', { readyInMs: 3000 }));

  // api: one crash, then a manual restart.
  ev.push(
    status(at(123), 'critical', 'system-critical', 'system critical: api down', {
      failing: ['api'],
    }),
    heal('api', at(123), 'restart_scheduled', exit(1), { attempt: 1, rung: 1, delayMs: 1000 }),
    life('api', at(123), 'running', 'backoff', exit(1), 1),
    heal('api', at(124), 'restart', exit(1), { attempt: 1, rung: 1, delayMs: 1000 }),
    life('api', at(124), 'backoff', 'starting', exit(1), 1),
    health('api', at(124.2), 'unknown', 'healthy', 2, { ok: true }),
    life('api', at(124.2), 'starting', 'running', { kind: 'probe', message: 'ready: HTTP 200' }, 2),
    status(at(124.2), 'healthy', 'system-ready', 'system healthy again'),
    life('api', at(1200), 'running', 'stopping', manual('ui', 'restart'), 2),
    heal('api', at(1200.5), 'restart', manual('ui', 'restart'), { attempt: 0 }),
    life('api', at(1200.5), 'stopping', 'stopped', manual('ui', 'restart'), 2),
    life('api', at(1200.5), 'stopped', 'starting', manual('ui', 'restart'), 2),
    health('api', at(1202), 'unknown', 'healthy', 3, { ok: true }),
    life('api', at(1202), 'starting', 'running', { kind: 'probe', message: 'ready: HTTP 200' }, 3),
  );

  // worker: an unhealthy episode.
  const probeFail: Reason = {
    kind: 'probe',
    message: 'http probe failed 3 times: HTTP 503 /health',
    probe: 'http',
    detail: 'HTTP 503 /health',
  };
  ev.push(
    health('worker', at(290), 'healthy', 'degraded', 1, { ok: false, detail: 'HTTP 503 /health' }),
    health('worker', at(300), 'degraded', 'unhealthy', 1, {
      ok: false,
      detail: 'HTTP 503 /health',
      failures: 3,
    }),
    life(
      'worker',
      at(300),
      'running',
      'stopping',
      { kind: 'probe', message: 'stopping the failing instance' },
      1,
    ),
    heal('worker', at(300.1), 'restart_scheduled', probeFail, {
      attempt: 1,
      rung: 1,
      delayMs: 5000,
    }),
    life('worker', at(300.1), 'stopping', 'backoff', probeFail, 1),
    heal('worker', at(305.1), 'restart', probeFail, { attempt: 1, rung: 1, delayMs: 5000 }),
    life('worker', at(305.1), 'backoff', 'starting', probeFail, 1),
    health('worker', at(307), 'unknown', 'healthy', 2, { ok: true }),
    life(
      'worker',
      at(307),
      'starting',
      'running',
      { kind: 'probe', message: 'ready: HTTP 200' },
      2,
    ),
  );

  // flaky: a crash loop that ends in quarantine.
  const delays = [1, 5, 15, 30, 60, 60, 60];
  const actions: HealingAction[] = [
    'restart',
    'restart',
    'restart',
    'graceful_restart',
    'graceful_restart',
    'dependency_restart',
    'dependency_restart',
  ];
  let t = 1800;
  ev.push(
    life('flaky', at(t), 'running', 'backoff', exit(1), 1),
    heal('flaky', at(t), 'restart_scheduled', exit(1), { attempt: 1, rung: 1, delayMs: 1000 }),
  );
  for (let k = 1; k <= 7; k++) {
    const d = delays[k - 1]!;
    const rung = k <= 3 ? 1 : k <= 5 ? 2 : 3;
    t += d;
    ev.push(
      heal('flaky', at(t), actions[k - 1]!, exit(1), { attempt: k, rung, delayMs: d * 1000 }),
      life('flaky', at(t), 'backoff', 'starting', exit(1), k),
    );
    t += 2;
    if (k === 2 || k === 5) {
      ev.push(
        heal(
          'flaky',
          at(t),
          'breaker_open',
          { ...exit(1), message: 'circuit breaker opened' },
          { attempt: k },
        ),
      );
    }
    if (k < 7) {
      ev.push(
        life('flaky', at(t), 'starting', 'backoff', exit(1), k + 1),
        heal('flaky', at(t), 'restart_scheduled', exit(1), {
          attempt: k + 1,
          rung: k + 1 <= 3 ? 1 : k + 1 <= 5 ? 2 : 3,
          delayMs: delays[k]! * 1000,
        }),
      );
    } else {
      const gaveUp: Reason = {
        ...exit(1),
        message: 'gave up after 7 restart attempts; last failure: exited with code 1',
      };
      ev.push(
        heal('flaky', at(t), 'quarantine', gaveUp, { attempt: 7 }),
        life('flaky', at(t), 'starting', 'quarantined', gaveUp, k + 1),
      );
    }
  }

  // cache: an outage still going at the end.
  ev.push(
    status(at(3570), 'critical', 'system-critical', 'system critical: cache down', {
      failing: ['cache'],
    }),
    life('cache', at(3570), 'running', 'backoff', killed('SIGKILL'), 1),
    heal('cache', at(3570), 'restart_scheduled', killed('SIGKILL'), {
      attempt: 1,
      rung: 1,
      delayMs: 1000,
    }),
    heal('cache', at(3571), 'restart', killed('SIGKILL'), { attempt: 1, rung: 1, delayMs: 1000 }),
    life('cache', at(3571), 'backoff', 'starting', killed('SIGKILL'), 1),
    life('cache', at(3573), 'starting', 'backoff', exit(2), 2),
    heal('cache', at(3573), 'restart_scheduled', exit(2), { attempt: 2, rung: 1, delayMs: 5000 }),
    heal('cache', at(3578), 'restart', exit(2), { attempt: 2, rung: 1, delayMs: 5000 }),
    life('cache', at(3578), 'backoff', 'starting', exit(2), 2),
    life('cache', at(3580), 'starting', 'backoff', exit(2), 3),
    heal('cache', at(3580), 'restart_scheduled', exit(2), { attempt: 3, rung: 1, delayMs: 15000 }),
    heal('cache', at(3595), 'restart', exit(2), { attempt: 3, rung: 1, delayMs: 15000 }),
    life('cache', at(3595), 'backoff', 'starting', exit(2), 3),
    life('cache', at(3597), 'starting', 'backoff', exit(2), 4),
    heal('cache', at(3597), 'restart_scheduled', exit(2), { attempt: 4, rung: 2, delayMs: 30000 }),
  );

  // Probes every 10 s, failing while the service is down.
  const down: Record<string, [number, number][]> = {
    api: [[123, 124.2]],
    worker: [[290, 307]],
    flaky: [[1800, 3600]],
    cache: [[3570, 3600]],
  };
  const probes: ProbeSample[] = [];
  for (const s of services) {
    for (let sec = 5; sec < 3600; sec += 10) {
      const isDown = (down[s] ?? []).some(([a, b]) => sec >= a && sec < b);
      probes.push({
        service: s,
        ts: at(sec),
        ok: !isDown,
        latencyMs: 4 + ((sec / 10) % 7) + (s === 'api' ? 20 : 0),
      });
    }
  }
  return { services, events: ev, probes, since: at(0), until: at(3600) };
}
