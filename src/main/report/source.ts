/**
 * A ReportSource over the history store. Typed by the methods it uses rather than the store's
 * class, so the report does not depend on how the store is built.
 */
import type { HealingEvent, HealthEvent, ServiceEvent, StatusEvent } from '../../shared/events.js';
import type { HealthBucket, ServiceStats } from '../core/store/types.js';
import type { ReportRange, ReportSource } from './types.js';

/** Upper bound on the events a report reads per list (the store's own maximum). */
export const REPORT_EVENT_LIMIT = 100_000;

type ListOpts = { readonly since: number; readonly until: number; readonly limit: number };

export interface HistoryReader {
  serviceStats(service: string, opts: ReportRange): ServiceStats;
  healing(opts: ListOpts): readonly HealingEvent[];
  serviceEvents(opts: ListOpts): readonly ServiceEvent[];
  healthChanges(opts: ListOpts): readonly HealthEvent[];
  statusEvents(opts: ListOpts): readonly StatusEvent[];
  healthSeries(
    service: string,
    opts: ReportRange & { readonly points: number },
  ): readonly HealthBucket[];
  runs(limit?: number): readonly { readonly startedAt: number; readonly endedAt: number | null }[];
}

export interface StackInfo {
  readonly name: string;
  readonly file: string;
  readonly services: readonly string[];
}

export function reportSourceFromHistory(history: HistoryReader, stack: StackInfo): ReportSource {
  const list = (r: ReportRange): ListOpts => ({
    since: r.since,
    until: r.until,
    limit: REPORT_EVENT_LIMIT,
  });
  return {
    stackName: stack.name,
    stackFile: stack.file,
    services: stack.services,
    stats: (service, r) => history.serviceStats(service, { since: r.since, until: r.until }),
    healing: (r) => history.healing(list(r)),
    serviceEvents: (r) => history.serviceEvents(list(r)),
    healthChanges: (r) => history.healthChanges(list(r)),
    statusEvents: (r) => history.statusEvents(list(r)),
    healthSeries: (service, r) => history.healthSeries(service, r),
    runs: (r) =>
      history
        .runs(1_000)
        .filter(
          (run) => run.startedAt <= r.until && (run.endedAt === null || run.endedAt >= r.since),
        ),
  };
}
