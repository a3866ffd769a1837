/**
 * The report over the real history store (SQLite in memory): the same events give the same
 * report as the in-memory fake, and the report's restart counts equal the store's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { HistoryStore } from '../core/store/index.js';
import { buildReport } from './build.js';
import { renderReport } from './render.js';
import { reportSourceFromHistory, type HistoryReader } from './source.js';
import { at, fakeSource, shopScenario } from './testing/support.js';

let store: HistoryStore | null = null;
afterEach(() => {
  store?.close();
  store = null;
});

function filledStore(): { store: HistoryStore; sc: ReturnType<typeof shopScenario> } {
  const sc = shopScenario();
  const clock = new FakeClock(sc.until + 60_000);
  const s = HistoryStore.memory({ clock });
  store = s;
  const runId = s.beginRun({
    stackName: 'shop',
    stackFile: '/home/dev/shop/vigil.yaml',
    startedAt: at(0),
  });
  for (const e of sc.events) s.record(runId, e);
  // Every probe result too (health stays the same: stored as probe rows only).
  for (const p of sc.probes ?? []) {
    s.record(runId, {
      type: 'health_update',
      ts: p.ts,
      service: p.service,
      generation: 1,
      result: {
        ok: p.ok,
        timedOut: false,
        latencyMs: p.latencyMs,
        probe: 'http',
        detail: 'HTTP 200',
        ts: p.ts,
      },
      from: 'healthy',
      to: 'healthy',
      consecutiveFailures: 0,
      consecutiveSuccesses: 1,
    });
  }
  s.flush();
  return { store: s, sc };
}

describe('reportSourceFromHistory', () => {
  it('the history store is a HistoryReader', () => {
    const { store: s } = filledStore();
    const reader: HistoryReader = s;
    expect(typeof reader.healthChanges).toBe('function');
  });

  it('gives the same timeline as the same events held in memory, and the store’s restart counts', () => {
    const { store: s, sc } = filledStore();
    const src = reportSourceFromHistory(s, {
      name: 'shop',
      file: '/home/dev/shop/vigil.yaml',
      services: sc.services,
    });
    const range = { since: sc.since, until: sc.until };
    const fromStore = buildReport(src, range, sc.until, { timeZone: 'UTC' });
    const fromMemory = buildReport(fakeSource(sc), range, sc.until, { timeZone: 'UTC' });

    expect(fromStore.incidents).toEqual(fromMemory.incidents);
    for (const row of fromStore.services) {
      const stats = s.serviceStats(row.service, range);
      expect(row.restarts, row.service).toBe(stats.restarts);
      expect(row.quarantines, row.service).toBe(stats.quarantines);
      expect(row.breaker_trips, row.service).toBe(stats.breakerTrips);
      expect(row.uptime_pct, row.service).toBe(stats.uptimePct);
    }
    expect(fromStore.totals.restarts).toBe(13);
    // The store keeps every probe result: the samples and the health changes' own results.
    const worker = fromStore.services.find((r) => r.service === 'worker')!;
    const changes = sc.events.filter((e) => e.type === 'health_update' && e.service === 'worker');
    const failedChanges = changes.filter((e) => e.type === 'health_update' && !e.result.ok);
    expect(worker.health.points.reduce((n, p) => n + p.count, 0)).toBe(360 + changes.length);
    expect(worker.health.points.reduce((n, p) => n + p.failed, 0)).toBe(2 + failedChanges.length);

    const html = renderReport(fromStore, 'html').body;
    expect(html).toContain('flaky</span> crashed with exit code 1 at 10:30:00');
  });

  it('ends an outage at the end of a run', () => {
    const { store: s, sc } = filledStore();
    // The run ends at 10:50 with flaky still quarantined.
    s.endRun(1, { endedAt: at(3000), how: 'stopped' });
    const src = reportSourceFromHistory(s, { name: 'shop', file: 'f', services: sc.services });
    const data = buildReport(src, { since: sc.since, until: sc.until }, sc.until, {
      timeZone: 'UTC',
    });
    const flaky = data.incidents.find((i) => i.service === 'flaky')!;
    expect(flaky.outcome).toBe('run_ended');
    expect(flaky.sentence).toMatch(/still down when Vigil stopped at 10:50:00 \(down 20 min\)\.$/);
  });
});
