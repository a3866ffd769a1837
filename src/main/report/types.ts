/**
 * The healing report's input (what it reads from history) and its data (what every format renders,
 * and what the JSON format is). Pure types.
 *
 * ReportData is the JSON report itself: its keys are snake_case like the rest of the API, stable,
 * and only ever added to (bump `report_version` on any other change). Times are epoch
 * milliseconds; durations are milliseconds (`*_ms`); percentages are 0..100.
 */
import type { HealingEvent, HealthEvent, ServiceEvent, StatusEvent } from '../../shared/events.js';
import type { HealthBucket, ServiceStats } from '../core/store/types.js';

export interface ReportRange {
  readonly since: number;
  readonly until: number;
}

/**
 * What a report reads. The history store provides all of it (see `reportSourceFromHistory`);
 * tests hand in a fake. Queries include both ends of the range.
 */
export interface ReportSource {
  readonly stackName: string;
  readonly stackFile: string;
  /** The services of the stack, in the order the report lists them. */
  readonly services: readonly string[];
  stats(service: string, range: ReportRange): ServiceStats;
  /** Healing events of every service, newest first. */
  healing(range: ReportRange): readonly HealingEvent[];
  /** Lifecycle changes of every service, oldest first. */
  serviceEvents(range: ReportRange): readonly ServiceEvent[];
  /** System status updates, oldest first. */
  statusEvents(range: ReportRange): readonly StatusEvent[];
  healthSeries(
    service: string,
    range: ReportRange & { readonly points: number },
  ): readonly HealthBucket[];
  /**
   * Health changes (results where the health changed) of every service, oldest first. Optional:
   * without them an unhealthy episode starts when Vigil stops the failing instance, and a service
   * counts as healthy again when it is `running`.
   */
  healthChanges?(range: ReportRange): readonly HealthEvent[];
  /**
   * Runs of Vigil overlapping the range (any order). Optional: with them an outage still going
   * when Vigil stopped ends there instead of running on into the next run.
   */
  runs?(
    range: ReportRange,
  ): readonly { readonly startedAt: number; readonly endedAt: number | null }[];
}

export interface BuildOptions {
  /** IANA time zone for the times in sentences and headers; the machine's own by default. */
  readonly timeZone?: string;
  /** Buckets per health chart (default 120). */
  readonly chartPoints?: number;
}

/**
 * What kind of entry a timeline item is:
 * - service outages (`failure: true`): `crash` (exit, signal), `start_failure` (spawn error,
 *   startup timeout, port in use), `unhealthy` (health check), `memory_limit` (a resource limit),
 *   `dependency` (held waiting for a dependency that fell), `quarantine` (quarantined by hand),
 *   `down` (already down when the report begins);
 * - other service entries: `manual` (restarted, started or stopped by a person), `restart`
 *   (restarted for a stack file change, a dependent or a stack restart), `notice` (a
 *   recommendation, e.g. CPU over its limit);
 * - whole stack: `system` (critical, emergency shutdown, launch failed), `stack` (started, ready,
 *   stopped, stack file reloaded or rejected).
 */
export type IncidentKind =
  | 'crash'
  | 'start_failure'
  | 'unhealthy'
  | 'memory_limit'
  | 'dependency'
  | 'quarantine'
  | 'down'
  | 'manual'
  | 'restart'
  | 'notice'
  | 'system'
  | 'stack';

/**
 * How an entry ended: `recovered` (healthy again, or a oneshot completed), `stopped` (stopped on
 * purpose while down), `run_ended` (Vigil stopped while it was down), `ongoing` (still going at
 * the end of the range), `resolved` (the stack no longer critical), `point` (a single moment).
 */
export type IncidentOutcome =
  'recovered' | 'stopped' | 'run_ended' | 'ongoing' | 'resolved' | 'point';

export interface ReportIncident {
  /** 1-based position in the timeline. */
  readonly id: number;
  /** Start (the range's start when it began before the report). */
  readonly ts: number;
  /** End; null while ongoing and for single moments. */
  readonly end: number | null;
  /** Null for whole-stack entries. */
  readonly service: string | null;
  readonly kind: IncidentKind;
  /** True for a service outage: counted in `incidents`. */
  readonly failure: boolean;
  readonly outcome: IncidentOutcome;
  /** From `ts` to `end`, or to the end of the range when ongoing; null for single moments. */
  readonly duration_ms: number | null;
  /** The service was already down when the report's range began. */
  readonly started_before_range: boolean;
  /** What started it, as recorded ("exited with code 1"). */
  readonly cause: string;
  /** Restart events (`restart`, `graceful_restart`, `dependency_restart`) inside it. */
  readonly restarts: number;
  /** The plain-language account: one or two sentences. */
  readonly sentence: string;
}

export interface ReportChartPoint {
  readonly ts: number;
  readonly count: number;
  readonly ok: number;
  readonly failed: number;
  readonly timed_out: number;
  readonly latency_avg_ms: number | null;
  readonly latency_max_ms: number | null;
}

export interface ReportServiceRow {
  readonly service: string;
  /** Up time / (up + down time) × 100 over the range; null when neither (see store/availability.ts). */
  readonly uptime_pct: number | null;
  /** Restart events in the range: healing actions `restart`, `graceful_restart`, `dependency_restart`. */
  readonly restarts: number;
  /** Of `restarts`, those asked for by a person. */
  readonly manual_restarts: number;
  readonly mttr_ms: number | null;
  readonly longest_outage_ms: number;
  /** Outages as the store measures them (started in the range or still going at its start). */
  readonly outages: number;
  /** Healing events `quarantine`. */
  readonly quarantines: number;
  /** Healing events `breaker_open`. */
  readonly breaker_trips: number;
  /** Timeline entries of this service with `failure: true`. */
  readonly incidents: number;
  readonly probes: number;
  readonly probe_failures: number;
  /** Times of the restart events, for chart markers. */
  readonly restart_times: readonly number[];
  /** Probe results cut into equal buckets over the range. */
  readonly health: {
    readonly bucket_ms: number;
    readonly points: readonly ReportChartPoint[];
  };
}

export interface ReportTotals {
  readonly services: number;
  /** Mean of the services' uptime_pct (those that have one); null when none has. */
  readonly uptime_pct: number | null;
  readonly incidents: number;
  /** Service outages still going at the end of the range. */
  readonly ongoing: number;
  readonly system_incidents: number;
  readonly restarts: number;
  readonly manual_restarts: number;
  readonly quarantines: number;
  readonly breaker_trips: number;
  readonly longest_outage_ms: number;
}

export interface ReportData {
  readonly report_version: 1;
  readonly stack: { readonly name: string; readonly file: string };
  readonly range: {
    readonly since: number;
    readonly until: number;
    readonly duration_ms: number;
    /** IANA zone of the times written in sentences. */
    readonly time_zone: string;
    /** The range starts and ends on different local dates: times carry their date. */
    readonly spans_days: boolean;
  };
  readonly generated_at: number;
  readonly totals: ReportTotals;
  readonly services: readonly ReportServiceRow[];
  /** Every timeline entry, oldest first. */
  readonly incidents: readonly ReportIncident[];
}

/** The formats of the API contract. */
export type { ReportFormat } from '../../shared/views.js';

export interface RenderedReport {
  readonly body: string;
  readonly contentType: string;
  readonly filename: string;
}
