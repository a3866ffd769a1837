/**
 * Builds a healing report's data from history. Pure apart from the reads it makes through the
 * ReportSource.
 *
 * Figures per service: uptime %, MTTR, longest outage and outages come from the store's
 * `stats` (defined in store/availability.ts); restarts, quarantines and breaker trips are counted
 * from the healing events themselves, so that the report's restart count is always the number of
 * restart events it lists (`restart`, `graceful_restart`, `dependency_restart`).
 */
import { VigilError } from '../../shared/errors.js';
import type { HealingEvent, HealthEvent, ServiceEvent } from '../../shared/events.js';
import { localTimeZone, momentWriter, TimeFormatter } from './format.js';
import {
  RESTART_ACTIONS,
  serviceIncidents,
  type IncidentDraft,
  type TimelineContext,
} from './incidents.js';
import { stackIncidents } from './stack-events.js';
import type {
  BuildOptions,
  ReportChartPoint,
  ReportData,
  ReportIncident,
  ReportRange,
  ReportServiceRow,
  ReportSource,
  ReportTotals,
} from './types.js';

export const DEFAULT_CHART_POINTS = 120;
const MAX_CHART_POINTS = 2_000;

function byTime<T extends { readonly ts: number }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => a.ts - b.ts);
}

function inRange<T extends { readonly ts: number }>(list: readonly T[], r: ReportRange): T[] {
  return list.filter((e) => e.ts >= r.since && e.ts <= r.until);
}

function groupBy<T extends { readonly service: string }>(list: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const e of list) {
    const g = m.get(e.service);
    if (g) g.push(e);
    else m.set(e.service, [e]);
  }
  return m;
}

function round1(n: number | null): number | null {
  return n === null ? null : Math.round(n * 10) / 10;
}

/** Checks and clips the range: it ends at `now` at the latest and must not be empty. */
export function reportRange(range: ReportRange, now: number): ReportRange {
  const { since } = range;
  const until = Math.min(range.until, now);
  if (!Number.isFinite(since) || !Number.isFinite(range.until)) {
    throw new VigilError(
      'BAD_REQUEST',
      `invalid report range: since ${since}, until ${range.until}`,
      {
        field: 'since',
      },
    );
  }
  if (until <= since) {
    throw new VigilError(
      'BAD_REQUEST',
      `the report range is empty: since (${new Date(since).toISOString()}) must be before until ` +
        `(${new Date(until).toISOString()}) and before now`,
      { field: 'since', hint: 'give a start in the past, e.g. since=1h' },
    );
  }
  return { since, until };
}

/** Reads history through `src` and builds the report for `[since, until]` (until clipped to now). */
export function buildReport(
  src: ReportSource,
  range: ReportRange,
  now: number,
  opts: BuildOptions = {},
): ReportData {
  const r = reportRange(range, now);
  const fmt = new TimeFormatter(opts.timeZone ?? localTimeZone());
  const ctx: TimelineContext = {
    since: r.since,
    until: r.until,
    at: momentWriter(fmt, r.since, r.until),
  };
  const points = Math.max(
    1,
    Math.min(MAX_CHART_POINTS, Math.round(opts.chartPoints ?? DEFAULT_CHART_POINTS)),
  );

  // Newest first from the store: reversed, then sorted (stable) so ties keep their recorded order.
  const healing = byTime(inRange([...src.healing(r)].reverse(), r));
  const life = byTime(inRange(src.serviceEvents(r), r));
  const health = byTime(inRange(src.healthChanges?.(r) ?? [], r));
  const status = byTime(inRange(src.statusEvents(r), r));
  const runEnds = (src.runs?.(r) ?? [])
    .map((run) => run.endedAt)
    .filter((t): t is number => t !== null && t >= r.since && t <= r.until);

  const healingBy = groupBy<HealingEvent>(healing);
  const lifeBy = groupBy<ServiceEvent>(life);
  const healthBy = groupBy<HealthEvent>(health);

  const extra = new Set<string>();
  for (const m of [healingBy, lifeBy, healthBy]) {
    for (const name of m.keys()) if (!src.services.includes(name)) extra.add(name);
  }
  const services = [...new Set(src.services), ...[...extra].sort()];

  const drafts: { d: IncidentDraft; order: number }[] = [];
  const rows: ReportServiceRow[] = [];
  services.forEach((service, order) => {
    const stats = src.stats(service, r);
    const heal = healingBy.get(service) ?? [];
    const incidents = serviceIncidents(
      {
        service,
        life: lifeBy.get(service) ?? [],
        health: healthBy.get(service) ?? [],
        healing: heal,
        runEnds,
      },
      ctx,
      stats,
    );
    for (const d of incidents) drafts.push({ d, order });
    const restarts = heal.filter((e) => RESTART_ACTIONS.has(e.action));
    const buckets = src.healthSeries(service, { since: r.since, until: r.until, points });
    rows.push({
      service,
      uptime_pct: stats.uptimePct,
      restarts: restarts.length,
      manual_restarts: restarts.filter((e) => e.reason.kind === 'manual').length,
      mttr_ms: stats.mttrMs,
      longest_outage_ms: stats.longestOutageMs,
      outages: stats.outages,
      quarantines: heal.filter((e) => e.action === 'quarantine').length,
      breaker_trips: heal.filter((e) => e.action === 'breaker_open').length,
      incidents: incidents.filter((d) => d.failure).length,
      probes: stats.probes,
      probe_failures: stats.probeFailures,
      restart_times: restarts.map((e) => e.ts),
      health: {
        bucket_ms: (r.until - r.since) / points,
        points: buckets.map((b): ReportChartPoint => ({
          ts: b.ts,
          count: b.count,
          ok: b.ok,
          failed: b.failed,
          timed_out: b.timedOut,
          latency_avg_ms: round1(b.latencyAvg),
          latency_max_ms: round1(b.latencyMax),
        })),
      },
    });
  });
  for (const d of stackIncidents(status, ctx)) drafts.push({ d, order: -1 });

  drafts.sort((a, b) => a.d.ts - b.d.ts || a.order - b.order);
  const incidents: ReportIncident[] = drafts.map(({ d }, i) => ({ id: i + 1, ...d }));

  return {
    report_version: 1,
    stack: { name: src.stackName, file: src.stackFile },
    range: {
      since: r.since,
      until: r.until,
      duration_ms: r.until - r.since,
      time_zone: fmt.timeZone,
      spans_days: fmt.date(r.since) !== fmt.date(r.until),
    },
    generated_at: now,
    totals: totalsOf(rows, incidents),
    services: rows,
    incidents,
  };
}

function totalsOf(
  rows: readonly ReportServiceRow[],
  incidents: readonly ReportIncident[],
): ReportTotals {
  const uptimes = rows.map((s) => s.uptime_pct).filter((p): p is number => p !== null);
  const sum = (f: (s: ReportServiceRow) => number): number => rows.reduce((n, s) => n + f(s), 0);
  return {
    services: rows.length,
    uptime_pct: uptimes.length > 0 ? uptimes.reduce((a, b) => a + b, 0) / uptimes.length : null,
    incidents: incidents.filter((i) => i.failure).length,
    ongoing: incidents.filter((i) => i.failure && i.outcome === 'ongoing').length,
    system_incidents: incidents.filter((i) => i.kind === 'system').length,
    restarts: sum((s) => s.restarts),
    manual_restarts: sum((s) => s.manual_restarts),
    quarantines: sum((s) => s.quarantines),
    breaker_trips: sum((s) => s.breaker_trips),
    longest_outage_ms: rows.reduce((m, s) => Math.max(m, s.longest_outage_ms), 0),
  };
}
