import { describe, expect, it } from 'vitest';
import { VigilError } from '../../shared/errors.js';
import type { HealingEvent } from '../../shared/events.js';
import { buildReport } from './build.js';
import { FAILURE_KINDS, RESTART_ACTIONS } from './incidents.js';
import { at, exit, fakeSource, heal, launched, life, shopScenario, T0 } from './testing/support.js';
import type { ReportData } from './types.js';

function shopReport(): { data: ReportData; healing: HealingEvent[] } {
  const sc = shopScenario();
  const src = fakeSource(sc);
  const data = buildReport(src, { since: sc.since, until: sc.until }, sc.until, {
    timeZone: 'UTC',
  });
  const healing = sc.events.filter((e): e is HealingEvent => e.type === 'healing_event');
  return { data, healing };
}

function sentenceOf(data: ReportData, service: string, kind?: string): string {
  const found = data.incidents.filter(
    (i) => i.service === service && (kind === undefined || i.kind === kind),
  );
  expect(found, `${service} ${kind ?? ''}`).toHaveLength(1);
  return found[0]!.sentence;
}

describe('buildReport: per-service figures', () => {
  it('counts exactly the recorded restart events (restart, graceful_restart, dependency_restart)', () => {
    const { data, healing } = shopReport();
    for (const row of data.services) {
      const recorded = healing.filter(
        (e) => e.service === row.service && RESTART_ACTIONS.has(e.action),
      );
      expect(row.restarts, row.service).toBe(recorded.length);
      expect(row.restart_times).toEqual(recorded.map((e) => e.ts));
    }
    expect(data.services.map((s) => [s.service, s.restarts])).toEqual([
      ['db', 0],
      ['api', 2],
      ['worker', 1],
      ['flaky', 7],
      ['cache', 3],
    ]);
    expect(data.totals.restarts).toBe(13);
    expect(data.totals.manual_restarts).toBe(1);
    // Every restart belongs to exactly one timeline entry.
    expect(data.incidents.reduce((n, i) => n + i.restarts, 0)).toBe(13);
  });

  it('counts quarantines and breaker trips from the healing events', () => {
    const { data } = shopReport();
    const flaky = data.services.find((s) => s.service === 'flaky')!;
    expect(flaky.quarantines).toBe(1);
    expect(flaky.breaker_trips).toBe(2);
    expect(data.totals.quarantines).toBe(1);
    expect(data.totals.breaker_trips).toBe(2);
  });

  it('takes uptime, MTTR and longest outage from the stats', () => {
    const { data } = shopReport();
    const row = (n: string) => data.services.find((s) => s.service === n)!;
    expect(row('db').uptime_pct).toBe(100);
    expect(row('db').incidents).toBe(0);
    expect(row('api').mttr_ms).toBe(1_200);
    expect(row('worker').mttr_ms).toBe(7_000);
    expect(row('flaky').longest_outage_ms).toBe(1_800_000);
    expect(row('flaky').mttr_ms).toBeNull();
    expect(row('cache').longest_outage_ms).toBe(30_000);
    expect(row('flaky').uptime_pct!).toBeCloseTo((1_799 / 3_599) * 100, 6);
    const mean = data.services.reduce((n, s) => n + s.uptime_pct!, 0) / 5;
    expect(data.totals.uptime_pct).toBeCloseTo(mean, 9);
    expect(data.totals.longest_outage_ms).toBe(1_800_000);
  });

  it('cuts the health chart into equal buckets over the range', () => {
    const { data } = shopReport();
    const worker = data.services.find((s) => s.service === 'worker')!;
    expect(worker.health.points).toHaveLength(120);
    expect(worker.health.bucket_ms).toBe(30_000);
    expect(worker.health.points[0]!.ts).toBe(T0);
    // The probes at 10:04:55 and 10:05:05 failed: bucket 9 covers 10:04:30–10:05:00, 10 the next.
    expect(worker.health.points[9]).toMatchObject({ count: 3, failed: 1 });
    expect(worker.health.points[10]).toMatchObject({ count: 3, failed: 1 });
    expect(worker.probe_failures).toBe(2);
  });
});

describe('buildReport: the timeline', () => {
  it('tells a crash and its recovery in one sentence', () => {
    const { data } = shopReport();
    expect(sentenceOf(data, 'api', 'crash')).toBe(
      'api crashed with exit code 1 at 10:02:03; restarted after 1 s (attempt 1, immediate); ' +
        'healthy again at 10:02:04 (down 1.2 s).',
    );
    const crash = data.incidents.find((i) => i.service === 'api' && i.kind === 'crash')!;
    expect(crash).toMatchObject({
      ts: at(123),
      end: at(124.2),
      failure: true,
      outcome: 'recovered',
      duration_ms: 1_200,
      cause: 'exited with code 1',
      restarts: 1,
    });
  });

  it('tells an unhealthy episode with the probe and its detail', () => {
    const { data } = shopReport();
    expect(sentenceOf(data, 'worker')).toBe(
      'worker failed its http probe 3 times (HTTP 503 /health) at 10:05:00; restarted after 5 s ' +
        '(attempt 1, immediate); healthy again at 10:05:07 (down 7 s).',
    );
  });

  it('says who restarted a service by hand', () => {
    const { data } = shopReport();
    expect(sentenceOf(data, 'api', 'manual')).toBe(
      'api was restarted from the UI at 10:20:00; healthy again at 10:20:02 (took 2 s).',
    );
    const m = data.incidents.find((i) => i.kind === 'manual')!;
    expect(m.failure).toBe(false);
    expect(m.restarts).toBe(1);
  });

  it('sums up a crash loop that ends in quarantine', () => {
    const { data } = shopReport();
    const s = sentenceOf(data, 'flaky');
    expect(s).toBe(
      'flaky crashed with exit code 1 at 10:30:00; restarted 7 times between 10:30:01 and 10:34:03 ' +
        '(attempts 1–7: 3 immediate, 2 graceful, 2 with dependencies), failing again each time ' +
        '(last: exited with code 1); the circuit breaker opened twice; quarantined at 10:34:05 after ' +
        '7 restart attempts (last: exited with code 1); still quarantined at the end of the report ' +
        '(down 30 min so far).',
    );
    const i = data.incidents.find((x) => x.service === 'flaky')!;
    expect(i).toMatchObject({ outcome: 'ongoing', end: null, duration_ms: 1_800_000, restarts: 7 });
  });

  it('lists the steps of an outage still going at the end, with the next attempt', () => {
    const { data } = shopReport();
    expect(sentenceOf(data, 'cache')).toBe(
      'cache was killed by SIGKILL at 10:59:30; restarted after 1 s (attempt 1, immediate); ' +
        'crashed with exit code 2 again at 10:59:33; restarted after 5 s (attempt 2, immediate); ' +
        'crashed with exit code 2 again at 10:59:40; restarted after 15 s (attempt 3, immediate); ' +
        'crashed with exit code 2 again at 10:59:57; still down at the end of the report, next ' +
        'restart due at 11:00:27 (down 30 s so far).',
    );
  });

  it('shows whole-stack events: start, ready, critical spells', () => {
    const { data } = shopReport();
    const stack = data.incidents.filter((i) => i.service === null).map((i) => i.sentence);
    expect(stack).toEqual([
      'The stack started at 10:00:00.',
      'The stack was ready at 10:00:03 (in 3 s).',
      'The stack became critical at 10:02:03 (api down); healthy again at 10:02:04 (critical for 1.2 s).',
      'The stack became critical at 10:59:30 (cache down); still critical at the end of the report ' +
        '(critical for 30 s so far).',
    ]);
    expect(data.totals.system_incidents).toBe(2);
  });

  it('orders the timeline by time, numbers it, and counts outages', () => {
    const { data } = shopReport();
    expect(data.incidents.map((i) => i.id)).toEqual(data.incidents.map((_, k) => k + 1));
    const times = data.incidents.map((i) => i.ts);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(data.totals.incidents).toBe(4);
    expect(data.totals.ongoing).toBe(2);
    for (const i of data.incidents) expect(i.failure).toBe(FAILURE_KINDS.has(i.kind));
    expect(data.services.reduce((n, s) => n + s.incidents, 0)).toBe(data.totals.incidents);
  });

  it('writes dates into times when the range spans days', () => {
    const sc = shopScenario();
    const data = buildReport(fakeSource(sc), { since: at(-86_400), until: sc.until }, sc.until, {
      timeZone: 'UTC',
    });
    expect(data.range.spans_days).toBe(true);
    expect(sentenceOf(data, 'worker')).toContain('at 2026-01-01 10:05:00;');
  });

  it('writes times in the requested zone', () => {
    const sc = shopScenario();
    const data = buildReport(fakeSource(sc), { since: sc.since, until: sc.until }, sc.until, {
      timeZone: 'Europe/Paris',
    });
    expect(data.range.time_zone).toBe('Europe/Paris');
    expect(sentenceOf(data, 'api', 'crash')).toContain('at 11:02:03;');
  });
});

describe('buildReport: range and sources', () => {
  it('clips the range at now and rejects an empty one', () => {
    const sc = shopScenario();
    const src = fakeSource(sc);
    const data = buildReport(src, { since: sc.since, until: sc.until + 3_600_000 }, sc.until, {
      timeZone: 'UTC',
    });
    expect(data.range.until).toBe(sc.until);
    expect(data.range.duration_ms).toBe(3_600_000);
    for (const bad of [
      { since: sc.until, until: sc.until },
      { since: sc.until + 1, until: sc.until + 10 },
      { since: Number.NaN, until: sc.until },
    ]) {
      let err: unknown;
      try {
        buildReport(src, bad, sc.until);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('BAD_REQUEST');
    }
  });

  it('lists services that are only in the history after the configured ones', () => {
    const src = fakeSource({
      services: ['web'],
      events: [
        ...launched('web', at(0)),
        ...launched('old', at(0)),
        heal('old', at(60), 'restart_scheduled', exit(3), { attempt: 1, delayMs: 1000 }),
        life('old', at(60), 'running', 'backoff', exit(3), 1),
      ],
    });
    const data = buildReport(src, { since: at(0), until: at(120) }, at(120), { timeZone: 'UTC' });
    expect(data.services.map((s) => s.service)).toEqual(['web', 'old']);
    expect(data.incidents.find((i) => i.service === 'old')!.sentence).toBe(
      'old crashed with exit code 3 at 10:01:00; still down at the end of the report (down 1 min so far).',
    );
  });

  it('reports an empty stack without failing', () => {
    const src = fakeSource({ services: [], events: [] });
    const data = buildReport(src, { since: at(0), until: at(60) }, at(60), { timeZone: 'UTC' });
    expect(data.services).toEqual([]);
    expect(data.incidents).toEqual([]);
    expect(data.totals.uptime_pct).toBeNull();
  });

  it('uses the number of chart points asked for', () => {
    const sc = shopScenario();
    const src = fakeSource(sc);
    const data = buildReport(src, { since: sc.since, until: sc.until }, sc.until, {
      timeZone: 'UTC',
      chartPoints: 12,
    });
    expect(data.services[0]!.health.points).toHaveLength(12);
    expect(src.calls.filter((c) => c.startsWith('healthSeries:'))).toHaveLength(5);
  });
});
