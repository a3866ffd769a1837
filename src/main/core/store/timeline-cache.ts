/**
 * Service timelines kept in memory, so that a status snapshot does not run SQLite queries per
 * service for its uptime figures. The runs and, per service and window start, the lifecycle and
 * health changes are cached without an upper end; each read cuts them at `until` and merges them
 * exactly as the query does (queries.ts `timeline`), so the answer is the query's, item for item.
 * A service's changes are dropped when one of its changes is written; everything is dropped when
 * a run begins or ends, old rows are pruned, or the database is replaced after corruption.
 */
import type { TimelineItem } from './availability.js';
import {
  mergeTimeline,
  runsInTimeline,
  timelineEvents,
  timelineFrom,
  type HistoryReader,
  type RunSpan,
  type TimelineEvent,
} from './queries.js';

/** Distinct window starts kept per service (the snapshot's windows are 1 h, 24 h and 7 d). */
const MAX_STARTS_PER_SERVICE = 8;
const MAX_TS = Number.MAX_SAFE_INTEGER;

export class TimelineCache {
  private runs: readonly RunSpan[] | null = null;
  private readonly byService = new Map<string, Map<number, readonly TimelineEvent[]>>();
  private hitCount = 0;
  private missCount = 0;

  /** Reads of a service's changes answered from memory, and those that queried. */
  get stats(): { readonly hits: number; readonly misses: number } {
    return { hits: this.hitCount, misses: this.missCount };
  }

  /** A lifecycle or health change of the service was written. */
  invalidateService(service: string): void {
    this.byService.delete(service);
  }

  /** Runs changed, rows were pruned, or the database was replaced. */
  invalidateAll(): void {
    this.runs = null;
    this.byService.clear();
  }

  /** The same items as `timeline(r, service, since, until)`. Call after flushing. */
  timeline(r: HistoryReader, service: string, since: number, until: number): TimelineItem[] {
    this.runs ??= r.query(
      'SELECT started_at AS startedAt, ended_at AS endedAt FROM runs',
      (s) => s.all() as RunSpan[],
    );
    const from = timelineFrom(this.runs, since);
    let starts = this.byService.get(service);
    let events = starts?.get(from);
    if (events === undefined) {
      this.missCount += 1;
      events = timelineEvents(r, service, from, MAX_TS);
      if (!starts) {
        starts = new Map();
        this.byService.set(service, starts);
      }
      const oldest = starts.keys().next();
      if (starts.size >= MAX_STARTS_PER_SERVICE && !oldest.done) starts.delete(oldest.value);
      starts.set(from, events);
    } else this.hitCount += 1;
    return mergeTimeline(
      runsInTimeline(this.runs, from, until),
      events.filter((e) => e.item.ts <= until),
    );
  }
}
