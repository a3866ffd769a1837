/**
 * Over 500 lines: one case per kind of incident and timeline entry (rollbacks and file changes
 * included), sharing the event builders.
 */
import { describe, expect, it } from 'vitest';
import type { HealingEvent, HealthEvent, ServiceEvent, StatusEvent } from '../../shared/events.js';
import type { Reason } from '../../shared/model.js';
import type { ServiceStats } from '../core/store/types.js';
import { buildReport } from './build.js';
import { momentWriter, TimeFormatter } from './format.js';
import { serviceIncidents, type IncidentDraft, type TimelineContext } from './incidents.js';
import { stackIncidents } from './stack-events.js';
import {
  at,
  exit,
  fakeSource,
  heal,
  health,
  launched,
  life,
  manual,
  shopScenario,
  status,
  type AnyEvent,
} from './testing/support.js';

const ready: Reason = { kind: 'probe', message: 'ready: HTTP 200' };

function ctx(since = at(0), until = at(3600)): TimelineContext {
  return { since, until, at: momentWriter(new TimeFormatter('UTC'), since, until) };
}

function run(
  service: string,
  events: readonly AnyEvent[],
  opts: { since?: number; until?: number; runEnds?: number[]; stats?: ServiceStats } = {},
): IncidentDraft[] {
  const mine = events.filter((e) => e.type !== 'status_update' && e.service === service);
  return serviceIncidents(
    {
      service,
      life: mine.filter((e): e is ServiceEvent => e.type === 'service_event'),
      health: mine.filter((e): e is HealthEvent => e.type === 'health_update'),
      healing: mine.filter((e): e is HealingEvent => e.type === 'healing_event'),
      runEnds: opts.runEnds ?? [],
    },
    ctx(opts.since, opts.until),
    opts.stats ?? null,
  );
}

function sentences(list: readonly IncidentDraft[]): string[] {
  return list.map((i) => i.sentence);
}

/** A crash at `t` (generation `gen`), restarted after 1 s, healthy 1 s later. */
function crashAndRecover(svc: string, t: number, gen: number): AnyEvent[] {
  return [
    heal(svc, at(t), 'restart_scheduled', exit(1), { attempt: 1, delayMs: 1000 }),
    life(svc, at(t), 'running', 'backoff', exit(1), gen),
    heal(svc, at(t + 1), 'restart', exit(1), { attempt: 1, delayMs: 1000 }),
    life(svc, at(t + 1), 'backoff', 'starting', exit(1), gen),
    health(svc, at(t + 2), 'unknown', 'healthy', gen + 1, { ok: true }),
    life(svc, at(t + 2), 'starting', 'running', ready, gen + 1),
  ];
}

describe('manual actions', () => {
  it('a manual quarantine and release are one outage that says who did what', () => {
    const ev: AnyEvent[] = [
      ...launched('mq', at(0)),
      life('mq', at(100), 'running', 'stopping', manual('ui', 'quarantine'), 1),
      heal('mq', at(100.5), 'quarantine', manual('ui', 'quarantine')),
      life('mq', at(100.5), 'stopping', 'quarantined', manual('ui', 'quarantine'), 1),
      heal('mq', at(200), 'release', manual('cli', 'release')),
      life('mq', at(200), 'quarantined', 'stopped', manual('cli', 'release'), 1),
      life('mq', at(200), 'stopped', 'starting', manual('cli', 'release'), 1),
      health('mq', at(202), 'unknown', 'healthy', 2, { ok: true }),
      life('mq', at(202), 'starting', 'running', ready, 2),
    ];
    const out = run('mq', ev);
    expect(sentences(out)).toEqual([
      'mq was quarantined from the UI at 10:01:40; released from the CLI at 10:03:20; healthy again ' +
        'at 10:03:22 (down 1 min 42 s).',
    ]);
    expect(out[0]).toMatchObject({ kind: 'quarantine', failure: true, outcome: 'recovered' });
  });

  it('a manual stop of a healthy service is a single moment', () => {
    const ev: AnyEvent[] = [
      ...launched('web', at(0)),
      life('web', at(60), 'running', 'stopping', manual('cli', 'stop'), 1),
      life('web', at(61), 'stopping', 'stopped', manual('cli', 'stop'), 1),
    ];
    const out = run('web', ev);
    expect(sentences(out)).toEqual(['web was stopped from the CLI at 10:01:00.']);
    expect(out[0]).toMatchObject({
      kind: 'manual',
      outcome: 'point',
      failure: false,
      duration_ms: null,
    });
  });

  it('a manual start is followed until healthy', () => {
    const ev: AnyEvent[] = [
      life('web', at(60), 'stopped', 'starting', manual('api', 'start'), 1),
      health('web', at(63), 'unknown', 'healthy', 1, { ok: true }),
      life('web', at(63), 'starting', 'running', ready, 1),
    ];
    expect(sentences(run('web', ev))).toEqual([
      'web was started from the API at 10:01:00; healthy again at 10:01:03 (took 3 s).',
    ]);
  });

  it('a manual stop ends an outage', () => {
    const ev: AnyEvent[] = [
      ...launched('web', at(0)),
      heal('web', at(60), 'restart_scheduled', exit(1), { attempt: 1, delayMs: 30_000 }),
      life('web', at(60), 'running', 'backoff', exit(1), 1),
      life('web', at(70), 'backoff', 'stopped', manual('ui', 'stop'), 1),
    ];
    const out = run('web', ev);
    expect(sentences(out)).toEqual([
      'web crashed with exit code 1 at 10:01:00; stopped from the UI at 10:01:10 (down 10 s).',
    ]);
    expect(out[0]).toMatchObject({ outcome: 'stopped', end: at(70) });
  });

  it('a manual restart that fails turns into an outage from the failure on', () => {
    const ev: AnyEvent[] = [
      ...launched('api', at(0)),
      life('api', at(100), 'running', 'stopping', manual('cli', 'restart'), 1),
      heal('api', at(101), 'restart', manual('cli', 'restart')),
      life('api', at(101), 'stopping', 'stopped', manual('cli', 'restart'), 1),
      life('api', at(101), 'stopped', 'starting', manual('cli', 'restart'), 1),
      ...crashAndRecover('api', 103, 2).map((e) =>
        e.type === 'service_event' && e.to === 'backoff' ? { ...e, from: 'starting' as const } : e,
      ),
    ];
    const out = run('api', ev);
    expect(sentences(out)).toEqual([
      'api was restarted from the CLI at 10:01:40; crashed with exit code 1 at 10:01:43; restarted ' +
        'after 1 s (attempt 1, immediate); healthy again at 10:01:45 (down 2 s).',
    ]);
    expect(out[0]).toMatchObject({ kind: 'crash', failure: true, restarts: 2, ts: at(100) });
  });

  it('a forced restart of a service quarantined before the report reads as one step', () => {
    const ev: AnyEvent[] = [
      heal('q', at(50), 'release', {
        ...manual('api', 'restart'),
        message: 'quarantine cleared by forced restart (restart from the API)',
      }),
      heal('q', at(50), 'restart', manual('api', 'restart')),
      life('q', at(50), 'quarantined', 'stopped', manual('api', 'restart'), 3),
      life('q', at(50), 'stopped', 'starting', manual('api', 'restart'), 3),
      health('q', at(52), 'unknown', 'healthy', 4, { ok: true }),
      life('q', at(52), 'starting', 'running', ready, 4),
    ];
    const out = run('q', ev);
    expect(sentences(out)).toEqual([
      'q was already quarantined when the report began; released and restarted from the API at ' +
        '10:00:50; healthy again at 10:00:52 (down at least 52 s).',
    ]);
    expect(out[0]).toMatchObject({
      started_before_range: true,
      ts: at(0),
      kind: 'quarantine',
      restarts: 1,
    });
  });
});

describe('failures', () => {
  it('a start failure, a probe timeout and a memory limit each say what happened', () => {
    const spawn: Reason = {
      kind: 'spawn_error',
      message: 'could not start: spawn nodee ENOENT',
      detail: 'spawn nodee ENOENT',
    };
    expect(sentences(run('a', [life('a', at(5), 'starting', 'backoff', spawn, 1)]))[0]).toMatch(
      /^a could not start \(spawn nodee ENOENT\) at 10:00:05; still down/,
    );

    const timeout = [
      ...launched('b', at(0)),
      health('b', at(40), 'healthy', 'timeout', 1, {
        ok: false,
        timedOut: true,
        probe: 'tcp',
        detail: 'no answer in 2s',
        failures: 1,
      }),
    ];
    expect(sentences(run('b', timeout))[0]).toMatch(
      /^b timed out on its tcp probe once \(no answer in 2s\) at 10:00:40; still down/,
    );

    const mem: Reason = { kind: 'memory_limit', message: 'memory 600 MB over the limit of 512 MB' };
    const limit = [
      ...launched('c', at(0)),
      heal('c', at(90), 'limit_exceeded', mem),
      life(
        'c',
        at(90),
        'running',
        'stopping',
        { kind: 'probe', message: 'stopping the failing instance' },
        1,
      ),
      heal('c', at(91), 'restart_scheduled', mem, { attempt: 1, delayMs: 1000 }),
      life('c', at(91), 'stopping', 'backoff', mem, 1),
    ];
    const out = run('c', limit);
    expect(out[0]!.kind).toBe('memory_limit');
    expect(out[0]!.sentence).toMatch(
      /^c went over its limit \(memory 600 MB over the limit of 512 MB\) at 10:01:30; still down/,
    );
  });

  it('without health changes an unhealthy episode starts at the stop of the failing instance', () => {
    const sc = shopScenario();
    const data = buildReport(
      fakeSource({ ...sc, withoutHealthChanges: true }),
      { since: sc.since, until: sc.until },
      sc.until,
      { timeZone: 'UTC' },
    );
    expect(data.incidents.find((i) => i.service === 'worker')!.sentence).toBe(
      'worker became unhealthy (http probe failed 3 times: HTTP 503 /health) at 10:05:00; restarted ' +
        'after 5 s (attempt 1, immediate); healthy again at 10:05:07 (down 7 s).',
    );
  });

  it('a service already down when the report begins is said to be so', () => {
    const sc = shopScenario();
    const since = at(1805);
    const data = buildReport(fakeSource(sc), { since, until: sc.until }, sc.until, {
      timeZone: 'UTC',
    });
    const flaky = data.incidents.find((i) => i.service === 'flaky')!;
    expect(flaky).toMatchObject({
      ts: since,
      started_before_range: true,
      restarts: 6,
      kind: 'down',
    });
    expect(flaky.sentence).toBe(
      'flaky was already down (waiting to restart) when the report began (last failure: exited with ' +
        'code 1); restarted 6 times between 10:30:08 and 10:34:03 (attempts 2–7: 2 immediate, 2 ' +
        'graceful, 2 with dependencies), failing again each time (last: exited with code 1); the ' +
        'circuit breaker opened twice; quarantined at 10:34:05 after 7 restart attempts (last: exited ' +
        'with code 1); still quarantined at the end of the report (down at least 29 min 55 s so far).',
    );
  });

  it('a service down for the whole report, with no events, still shows', () => {
    const stats: ServiceStats = {
      uptimePct: 0,
      restarts: 0,
      mttrMs: null,
      longestOutageMs: 7_200_000,
      outages: 1,
      quarantines: 0,
      breakerTrips: 0,
      probes: 0,
      probeFailures: 0,
    };
    const out = run('gone', [], { stats });
    expect(sentences(out)).toEqual([
      'gone was down for the whole report; still down at the end of the report (down at least 1 h so far).',
    ]);
    expect(out[0]).toMatchObject({ failure: true, outcome: 'ongoing', started_before_range: true });
  });

  it('an outage ends where Vigil stopped, and at a shutdown', () => {
    const crash = [
      ...launched('web', at(0)),
      heal('web', at(60), 'restart_scheduled', exit(1), { attempt: 1, delayMs: 60_000 }),
      life('web', at(60), 'running', 'backoff', exit(1), 1),
    ];
    const ended = run('web', crash, { runEnds: [at(90)] });
    expect(sentences(ended)).toEqual([
      'web crashed with exit code 1 at 10:01:00; still down when Vigil stopped at 10:01:30 (down 30 s).',
    ]);
    expect(ended[0]).toMatchObject({ outcome: 'run_ended', end: at(90) });

    const shutdown = [
      ...crash,
      life('web', at(80), 'backoff', 'stopped', { kind: 'shutdown', message: 'stack stopping' }, 1),
    ];
    expect(sentences(run('web', shutdown, { runEnds: [at(90)] }))).toEqual([
      'web crashed with exit code 1 at 10:01:00; stopped at 10:01:20 when the stack shut down (down 20 s).',
    ]);
  });

  it('a service held waiting for a fallen dependency is down until healthy again', () => {
    const dep: Reason = { kind: 'dependency', message: 'blocked by db', dependency: 'db' };
    const ev: AnyEvent[] = [
      ...launched('web', at(0)),
      { ...life('web', at(30), 'running', 'waiting', dep, 1), blockedBy: ['db'] },
      life(
        'web',
        at(45),
        'waiting',
        'starting',
        { kind: 'dependency', message: 'dependencies ready' },
        1,
      ),
      health('web', at(47), 'unknown', 'healthy', 2, { ok: true }),
      life('web', at(47), 'starting', 'running', ready, 2),
    ];
    const out = run('web', ev);
    expect(sentences(out)).toEqual([
      'web was held waiting for db at 10:00:30; healthy again at 10:00:47 (down 17 s).',
    ]);
    expect(out[0]!.kind).toBe('dependency');
  });

  it('a waiting service at launch is not an outage', () => {
    const ev: AnyEvent[] = [
      life('web', at(0), 'pending', 'waiting', { kind: 'dependency', message: 'blocked by db' }, 0),
      life(
        'web',
        at(5),
        'waiting',
        'starting',
        { kind: 'dependency', message: 'dependencies ready' },
        0,
      ),
      health('web', at(6), 'unknown', 'healthy', 1, { ok: true }),
      life('web', at(6), 'starting', 'running', ready, 1),
    ];
    expect(run('web', ev)).toEqual([]);
  });

  it('giving up (recovery degraded) is said, and the outage goes on', () => {
    const gaveUp: Reason = {
      ...exit(1),
      message: 'gave up after 7 restart attempts; last failure: exited with code 1',
    };
    const ev: AnyEvent[] = [
      ...launched('opt', at(0)),
      heal('opt', at(60), 'give_up', gaveUp, { attempt: 7 }),
      life('opt', at(60), 'running', 'failed', gaveUp, 1),
    ];
    expect(sentences(run('opt', ev))).toEqual([
      'opt crashed with exit code 1 at 10:01:00; gave up at 10:01:00 after 7 restart attempts; the ' +
        'stack runs without it; still down at the end of the report (down 59 min so far).',
    ]);
  });

  it('health of an older instance is ignored', () => {
    const ev: AnyEvent[] = [
      ...launched('web', at(0)),
      life('web', at(10), 'running', 'stopping', manual('ui', 'restart'), 1),
      heal('web', at(11), 'restart', manual('ui', 'restart')),
      life('web', at(11), 'stopped', 'starting', manual('ui', 'restart'), 2),
      health('web', at(12), 'degraded', 'unhealthy', 1, { ok: false, failures: 3 }),
      health('web', at(13), 'unknown', 'healthy', 2, { ok: true }),
      life('web', at(13), 'starting', 'running', ready, 2),
    ];
    const out = run('web', ev);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'manual', failure: false });
  });

  it('a breaker note recorded just before the failure belongs to it', () => {
    const ev: AnyEvent[] = [
      ...launched('web', at(0)),
      heal('web', at(59.999), 'breaker_open', { ...exit(1), message: 'circuit breaker opened' }),
      heal('web', at(60), 'restart_scheduled', exit(1), { attempt: 4, delayMs: 60_000 }),
      life('web', at(60), 'running', 'backoff', exit(1), 1),
    ];
    expect(run('web', ev)[0]!.sentence).toBe(
      'web crashed with exit code 1 at 10:01:00; the circuit breaker opened at 10:00:59; still down at ' +
        'the end of the report (down 59 min so far).',
    );
  });

  it('a restart for changed files names them; a paused watch is a notice', () => {
    const files: Reason = {
      kind: 'file_change',
      message: 'files changed: src/a.ts, src/b.ts, src/c.ts and 1 997 more',
      files: { paths: ['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/d.ts', 'src/e.ts'], count: 2_000 },
      by: 'vigil',
    };
    const ev: AnyEvent[] = [
      ...launched('web', at(0)),
      life('web', at(100), 'running', 'stopping', files, 1),
      heal('web', at(101), 'restart', files),
      life('web', at(101), 'stopping', 'stopped', files, 1),
      life('web', at(101), 'stopped', 'starting', files, 1),
      health('web', at(103), 'unknown', 'healthy', 2, { ok: true }),
      life('web', at(103), 'starting', 'running', ready, 2),
      heal('web', at(200), 'watch_paused', {
        ...files,
        message: 'restart loop: web changes files under its own watched paths (src/cache.json)',
      }),
    ];
    const out = run('web', ev);
    expect(sentences(out)).toEqual([
      'web was restarted at 10:01:40 after src/a.ts, src/b.ts, src/c.ts and 1997 more files changed; healthy again at 10:01:43 (took 3 s).',
      'web at 10:03:20: restart loop: web changes files under its own watched paths (src/cache.json).',
    ]);
    expect(out[0]).toMatchObject({ kind: 'restart', failure: false, restarts: 1 });
    expect(out[1]).toMatchObject({ kind: 'notice' });
  });

  it('tells what a replicated service did with its instances and its traffic', () => {
    const ev: AnyEvent[] = [
      ...launched('api', at(0)),
      heal('api', at(50), 'scaling_executed', {
        kind: 'probe',
        message: 'scaled api from 2 to 4 instances: automatic: cpu 91% over the target of 70%',
      }),
      heal('api', at(51), 'instance_added', {
        kind: 'probe',
        message: 'api#2 joined on port 3003',
      }),
      heal('api', at(60), 'failover_completed', {
        kind: 'probe',
        message: 'traffic goes to api-stub: no instance is ready',
      }),
    ];
    expect(sentences(run('api', ev))).toEqual([
      'api at 10:00:50: scaled api from 2 to 4 instances: automatic: cpu 91% over the target of 70%.',
      'api at 10:00:51: api#2 joined on port 3003.',
      'api at 10:01:00: traffic goes to api-stub: no instance is ready.',
    ]);
  });

  it('restarts for a stack file change or a dependent say why', () => {
    const cfg: Reason = { kind: 'config_change', message: 'definition changed' };
    const ev: AnyEvent[] = [
      ...launched('web', at(0)),
      life('web', at(100), 'running', 'stopping', cfg, 1),
      heal('web', at(101), 'restart', cfg),
      life('web', at(101), 'stopping', 'stopped', cfg, 1),
      life('web', at(101), 'stopped', 'starting', cfg, 1),
      health('web', at(104), 'unknown', 'healthy', 2, { ok: true }),
      life('web', at(104), 'starting', 'running', ready, 2),
    ];
    const out = run('web', ev);
    expect(sentences(out)).toEqual([
      'web was restarted at 10:01:40 after a change to the stack file; healthy again at 10:01:44 (took 4 s).',
    ]);
    expect(out[0]).toMatchObject({ kind: 'restart', failure: false, restarts: 1 });

    const depRec: Reason = {
      kind: 'dependency_recovery',
      message: 'restarted for api',
      dependency: 'api',
    };
    const probe: Reason = {
      kind: 'probe',
      message: 'tcp probe failed 3 times: refused',
      probe: 'tcp',
    };
    const db: AnyEvent[] = [
      ...launched('db', at(0)),
      health('db', at(200), 'degraded', 'unhealthy', 1, {
        ok: false,
        probe: 'tcp',
        detail: 'refused',
        failures: 3,
      }),
      heal('db', at(200), 'restart_scheduled', probe, { attempt: 1, delayMs: 30_000 }),
      life('db', at(200), 'running', 'backoff', probe, 1),
      heal('db', at(210), 'restart', depRec),
      life('db', at(210), 'backoff', 'starting', depRec, 1),
      health('db', at(212), 'unknown', 'healthy', 2, { ok: true, probe: 'tcp' }),
      life('db', at(212), 'starting', 'running', ready, 2),
    ];
    expect(sentences(run('db', db))).toEqual([
      'db failed its tcp probe 3 times (refused) at 10:03:20; restarted at 10:03:30 for api, which kept ' +
        'failing; healthy again at 10:03:32 (down 12 s).',
    ]);
  });

  it('recorded text is cut to one short line', () => {
    const long: Reason = {
      kind: 'spawn_error',
      message: 'x',
      detail: `line one\nline two ${'y'.repeat(300)}`,
    };
    const s = run('a', [life('a', at(5), 'starting', 'backoff', long, 1)])[0]!.sentence;
    expect(s).not.toContain('\n');
    expect(s).toContain('could not start (line one line two yyy');
    expect(s).toContain('…)');
    expect(s.length).toBeLessThan(300);
  });
});

describe('stack events', () => {
  it('ends a critical spell at an emergency shutdown and a stack stop', () => {
    const ev: StatusEvent[] = [
      status(at(10), 'critical', 'system-critical', 'system critical: db down'),
      status(
        at(11),
        'critical',
        'emergency-shutdown',
        'emergency shutdown: db down and on_critical is shutdown',
      ),
      status(at(12), 'critical', 'stack-stopping', 'stopping 3 services'),
      status(at(15), 'critical', 'stack-stopped', 'every service stopped'),
      status(at(20), 'degraded', 'launch-failed', 'port 5433 is already in use'),
      status(
        at(30),
        'healthy',
        'config-rejected',
        'vigil.yaml:3:5 services.db.port: expected a number',
      ),
      status(
        at(40),
        'degraded',
        'config-rolled-back',
        'stack file change rolled back (api: exited with code 1); running the last good configuration of api, which differs from the file on disk',
      ),
    ];
    expect(sentences(stackIncidents(ev, ctx()))).toEqual([
      'The stack became critical at 10:00:10 (db down); until the stack stopped at 10:00:15 (critical for 5 s).',
      'Emergency shutdown at 10:00:11: db down and on_critical is shutdown.',
      'The stack stopped at 10:00:15.',
      'The stack failed to start at 10:00:20: port 5433 is already in use.',
      'A change to the stack file was rejected at 10:00:30: vigil.yaml:3:5 services.db.port: expected a number.',
      'A change to the stack file was rolled back at 10:00:40: stack file change rolled back (api: exited with code 1); running the last good configuration of api, which differs from the file on disk.',
    ]);
  });

  it('a critical spell that eases to degraded says so', () => {
    const ev: StatusEvent[] = [
      status(at(10), 'critical', 'system-critical', 'system critical: db down'),
      status(at(40), 'degraded', 'system-degraded', 'system degraded: web not healthy'),
    ];
    const out = stackIncidents(ev, ctx());
    expect(sentences(out)).toEqual([
      'The stack became critical at 10:00:10 (db down); no longer critical at 10:00:40, still degraded (critical for 30 s).',
    ]);
    expect(out[0]).toMatchObject({ kind: 'system', outcome: 'resolved', duration_ms: 30_000 });
  });
});
