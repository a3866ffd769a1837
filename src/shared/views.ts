/**
 * Over 500 lines: only type declarations, one per wire shape of the contract, so that every
 * transport, client and output schema reads them from one place.
 *
 * What the API returns: the wire shapes of the contract. Keys are snake_case, like the stack file
 * and the payload shapes that existing scripts already read (`restart_count`,
 * `startup_order`, `composite_health`, `uptime_1h`, ...). Times are ISO-8601 strings on the wire
 * where a person reads them and epoch milliseconds where a program charts them (`*_ms`, `ts`).
 */
import type {
  BalanceStrategy,
  BreakerView,
  ChangedFiles,
  DependencyCondition,
  DisplayStatus,
  Health,
  Lifecycle,
  Priority,
  ProbeResult,
  Reason,
  ScaleMetric,
  SystemState,
  WatchAction,
} from './model.js';
import type { HealingEvent, MissingDependencyView, StatusEvent } from './events.js';

export interface ServiceDependencyView {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  readonly conditions: Readonly<Record<string, DependencyCondition>>;
  readonly dependents: readonly string[];
  readonly layer: number;
}

export interface ServiceMetricsView {
  readonly cpu_percent: number | null;
  readonly rss_bytes: number | null;
  readonly processes: number | null;
  readonly uptime_percentage: number | null;
  readonly avg_response_time_ms: number | null;
  readonly probe_count: number;
  readonly probe_failures: number;
}

/** One service as lists and the stream show it. */
export interface ServiceView {
  readonly name: string;
  readonly status: DisplayStatus;
  readonly lifecycle: Lifecycle;
  readonly health: Health;
  readonly pid: number | null;
  readonly generation: number;
  readonly port: number | null;
  readonly priority: Priority;
  readonly required: boolean;
  readonly is_critical: boolean;
  readonly oneshot: boolean;
  readonly registered: boolean;
  readonly phase: number;
  readonly restart_count: number;
  readonly restart_attempts: number;
  readonly last_restart: string | null;
  readonly last_restart_reason: Reason | null;
  readonly last_error: string | null;
  readonly blocked_by: readonly string[];
  readonly next_attempt_at: string | null;
  readonly since: string;
  readonly started_at: string | null;
  readonly consecutive_failures: number;
  readonly last_check: ProbeResult | null;
  readonly breaker: BreakerView;
  readonly quarantine_reason: string | null;
  readonly version: string | null;
  readonly capabilities: readonly string[];
  readonly dependencies: ServiceDependencyView;
  readonly metrics: ServiceMetricsView;
  /** While `starting`: why it is not ready yet (see `notReadyText` in shared/notes.ts); else null. */
  readonly not_ready: NotReadyView | null;
  /** Optional dependencies it was started without that are still not there (empty otherwise). */
  readonly started_without: readonly MissingDependencyView[];
  /** File watching (`watch:`); null when the service has none. */
  readonly watch: WatchView | null;
  /**
   * Instances, balancer, failover and scaling of a replicated service (`replicas`, `scale` or
   * `balance`); null for a service that runs one process with no balancer in its path.
   */
  readonly replicas: ReplicasView | null;
}

/** One instance of a replicated service (`api#1`): its own process, probes, restarts, traffic. */
export interface InstanceView {
  /** `service#replica`, for example `api#1`; events and history of the instance carry it. */
  readonly id: string;
  /** 0-based, the instance's `VIGIL_REPLICA`. */
  readonly index: number;
  readonly status: DisplayStatus;
  readonly lifecycle: Lifecycle;
  readonly health: Health;
  readonly pid: number | null;
  /** The instance's own port (its `PORT`); null when the service has no port. */
  readonly port: number | null;
  readonly generation: number;
  readonly restart_count: number;
  readonly last_error: string | null;
  readonly since: string;
  readonly started_at: string | null;
  readonly last_check: ProbeResult | null;
  readonly breaker: BreakerView;
  /** Takes traffic: ready, not ejected, not draining. */
  readonly in_pool: boolean;
  readonly draining: boolean;
  /** Taken out by the balancer after a refused connection, until its next passing probe. */
  readonly ejected: boolean;
  /** Requests (http) or connections (tcp) through the balancer: in flight, done, failed. */
  readonly active: number;
  readonly requests: number;
  readonly errors: number;
  readonly latency_p50_ms: number | null;
  readonly latency_p95_ms: number | null;
  readonly cpu_percent: number | null;
  readonly rss_bytes: number | null;
}

export interface BalancerView {
  readonly host: string;
  /** The front port; null until the balancer listens. */
  readonly port: number | null;
  readonly listening: boolean;
  readonly mode: 'http' | 'tcp';
  readonly strategy: BalanceStrategy;
  readonly weights: readonly number[] | null;
  /** Share of the requests each instance answered since it joined (0-1), backup's included. */
  readonly split: readonly {
    readonly id: string;
    readonly pool: 'primary' | 'backup';
    readonly requests: number;
    readonly share: number;
  }[];
  /** Why it is not listening (port taken...), else null. */
  readonly error: string | null;
}

export interface FailoverView {
  readonly backup: string;
  /** Where traffic goes now. */
  readonly route: 'primary' | 'backup';
  /** A manual failover holds the backup until a manual failback. */
  readonly pinned: boolean;
  readonly failback_after_ms: number;
  readonly last_change: string | null;
}

export interface ScaleView {
  readonly min: number;
  readonly max: number;
  /** Null for a fixed count (`replicas:`): only manual scaling. */
  readonly metric: ScaleMetric | null;
  readonly target: number | null;
  readonly cooldown_ms: number | null;
  readonly window_ms: number | null;
  readonly last_decision: {
    readonly at: string;
    readonly from: number;
    readonly to: number;
    readonly reason: string;
  } | null;
}

export interface ReplicasView {
  /** How many instances are wanted now. */
  readonly desired: number;
  readonly ready: number;
  readonly min_ready: number;
  readonly instances: readonly InstanceView[];
  /** Null when the service has one instance and no `balance` (no proxy in the path). */
  readonly balancer: BalancerView | null;
  readonly failover: FailoverView | null;
  readonly scale: ScaleView;
  /** A rolling restart or scale in progress: what it does and how far it got. */
  readonly rollout: {
    readonly kind: 'restart' | 'scale' | 'update';
    readonly done: number;
    readonly total: number;
  } | null;
}

/**
 * A service's file watch. `state`: `watching`, `off` (turned off by a person), `paused` (a restart
 * loop was detected: the service writes under its own watched paths), `running_command` (the
 * `run` command of `action: run` is running), `restarting`.
 */
export interface WatchView {
  readonly enabled: boolean;
  readonly state: 'watching' | 'off' | 'paused' | 'running_command' | 'restarting';
  readonly paths: readonly string[];
  readonly ignore: readonly string[];
  readonly action: WatchAction;
  readonly run: string | null;
  readonly debounce_ms: number;
  readonly gitignore: boolean;
  readonly paused_reason: string | null;
  /** The last batch of changes that triggered the action. */
  readonly last_change: { readonly at: string; readonly files: ChangedFiles } | null;
  readonly last_error: string | null;
  /** Restarts this watch caused since Vigil started. */
  readonly restarts: number;
}

export interface WatchResponse {
  readonly success: true;
  readonly service: string;
  readonly watch: WatchView;
  readonly message: string;
}

/** Why a starting service is not ready yet. */
export interface NotReadyView {
  /** Failed health checks of this boot so far. */
  readonly failed_checks: number;
  /** What the last failed check said (`timed out after 200ms`, `HTTP 503 /health`), or null. */
  readonly last_failure: string | null;
  /** When its startup timeout runs out (ISO), or null when it has none (registered services). */
  readonly startup_deadline: string | null;
}

export interface ServiceDetailView extends ServiceView {
  /** The normalised definition (env values of secret keys are masked). */
  readonly spec: Readonly<Record<string, unknown>>;
  /** The last 100 probe results, newest first. */
  readonly health_history: readonly ProbeResult[];
  readonly log_file: string | null;
}

/**
 * Whether Vigil's history is being saved. `state`: `ok` (written to its file), `recovered` (the
 * file was corrupt, was moved aside and a new one is written), `degraded` (writes are failing:
 * disk full, read-only, locked, I/O errors; the newest records wait in memory and are retried),
 * `memory` (kept in memory only until Vigil exits). `message` says what is wrong, null when `ok`.
 */
export interface HistoryStatusView {
  readonly state: 'ok' | 'recovered' | 'degraded' | 'memory';
  readonly message: string | null;
  /** Records lost since Vigil started (dropped while the disk failed, or unwritable). */
  readonly dropped_records: number;
}

export interface SystemView {
  readonly name: string;
  readonly stack_file: string;
  readonly status: SystemState;
  readonly composite_health: 'healthy' | 'degraded' | 'unhealthy' | 'unknown';
  readonly is_ready: boolean;
  readonly initialized: boolean;
  readonly started_at: string;
  readonly uptime_ms: number;
  readonly ready_in_ms: number | null;
  readonly counts: Readonly<Record<DisplayStatus, number>>;
  readonly failing: readonly string[];
  readonly stopping: boolean;
  /** Whether history is being saved. */
  readonly history: HistoryStatusView;
  /**
   * Set while the running configuration differs from the stack file because a reload was rolled
   * back (`settings.reload_rollback`): when, and the `config-rolled-back` event's message.
   */
  readonly config_rollback: { readonly at: string; readonly message: string } | null;
}

export interface StatusResponse {
  readonly success: true;
  readonly system: SystemView;
  readonly services: readonly ServiceView[];
  readonly recent_healing: readonly HealingEvent[];
  readonly last_status_event: StatusEvent | null;
}

export interface ServicesResponse {
  readonly success: true;
  readonly total_services: number;
  readonly services: readonly ServiceView[];
  readonly is_ready: boolean;
  readonly initialized: boolean;
}

export interface HealthStatusResponse {
  readonly success: true;
  readonly status: 'ok' | 'degraded' | 'critical';
  readonly composite_health: SystemView['composite_health'];
  readonly system: SystemState;
  readonly services: Readonly<
    Record<
      string,
      {
        readonly status: DisplayStatus;
        readonly health: Health;
        readonly last_check: ProbeResult | null;
        readonly consecutive_failures: number;
        readonly uptime_1h: number | null;
      }
    >
  >;
  readonly unhealthy_services: readonly string[];
  readonly degraded_services: readonly string[];
  readonly resources: {
    readonly cpu_count: number;
    readonly total_memory_bytes: number;
    readonly load_average: readonly number[];
    readonly services_cpu_percent: number;
    readonly services_rss_bytes: number;
    readonly supervisor_rss_bytes: number;
  };
}

export interface DependenciesResponse {
  readonly success: true;
  readonly nodes: readonly {
    readonly name: string;
    readonly phase: number;
    readonly status: DisplayStatus;
    readonly required: boolean;
  }[];
  readonly edges: readonly {
    readonly from: string;
    readonly to: string;
    readonly condition: DependencyCondition;
    readonly optional: boolean;
  }[];
  readonly phases: readonly (readonly string[])[];
  readonly startup_order: readonly string[];
  readonly shutdown_order: readonly string[];
  readonly dependencies: Readonly<
    Record<
      string,
      {
        readonly dependencies: readonly string[];
        readonly optional_dependencies: readonly string[];
        readonly dependents: readonly string[];
        readonly layer: number;
      }
    >
  >;
  readonly visualization: string;
}

export interface HealingHistoryResponse {
  readonly success: true;
  readonly events: readonly HealingEvent[];
}

export interface ActionResponse {
  readonly success: true;
  readonly service: string;
  readonly status: DisplayStatus;
  readonly lifecycle: Lifecycle;
  readonly restart_count: number;
  readonly last_restart: string | null;
  readonly message: string;
}

/** `vigil scale` and `vigil failover`: the action's message and the service's instances after it. */
export interface ReplicaActionResponse extends ActionResponse {
  readonly replicas: ReplicasView;
}

export interface CheckNowResponse {
  readonly success: true;
  readonly timestamp: string;
  readonly composite_health: SystemView['composite_health'];
  readonly results: Readonly<
    Record<
      string,
      {
        readonly service_name: string;
        readonly status: Health;
        readonly timestamp: string;
        readonly message: string;
        readonly response_time_ms: number;
        readonly ok: boolean;
        readonly probe: string;
      }
    >
  >;
}

export interface UptimeWindows {
  readonly '1h': number | null;
  readonly '24h': number | null;
  readonly '7d': number | null;
}

export interface StatsResponse {
  readonly success: true;
  readonly metrics: {
    readonly total_services: number;
    readonly running_services: number;
    readonly healthy_services: number;
    readonly unhealthy_services: number;
    readonly failed_services: number;
    readonly stopped_services: number;
    readonly quarantined_services: number;
    readonly total_restarts: number;
    readonly is_ready: boolean;
    readonly initialized: boolean;
    readonly uptime_ms: number;
    readonly mttr_ms: number | null;
    readonly uptime_percentage: UptimeWindows;
  };
  readonly service_details: Readonly<
    Record<
      string,
      {
        readonly restarts: number;
        readonly mttr_ms: number | null;
        readonly longest_outage_ms: number;
        readonly uptime_percentage: UptimeWindows;
        readonly breaker_trips: number;
        readonly quarantines: number;
      }
    >
  >;
}

export interface LogLine {
  readonly seq: number;
  readonly ts: number;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
  /** The instance that wrote it (`api#1`), for a replicated service. */
  readonly instance?: string;
}

export interface LogsResponse {
  readonly success: true;
  readonly service: string;
  readonly lines: readonly LogLine[];
  /** Highest sequence number seen; pass it back as `since` to get only newer lines. */
  readonly last_seq: number;
  readonly file: string | null;
}

export interface HistoryPoint {
  readonly ts: number;
  readonly count: number;
  readonly ok: number;
  readonly failed: number;
  readonly timed_out: number;
  readonly latency_avg_ms: number | null;
  readonly latency_max_ms: number | null;
}

export interface ResourcePoint {
  readonly ts: number;
  readonly cpu_percent: number | null;
  readonly rss_bytes: number | null;
}

export interface ServiceHistoryResponse {
  readonly success: true;
  readonly service: string;
  readonly since: number;
  readonly until: number;
  readonly health: readonly HistoryPoint[];
  readonly resources: readonly ResourcePoint[];
  /** Restarts in the range, for chart markers. */
  readonly restarts: readonly {
    readonly ts: number;
    readonly reason: Reason;
    readonly action: string;
  }[];
}

export type ReportFormat = 'md' | 'html' | 'json' | 'csv';

export interface ReportResponse {
  readonly format: ReportFormat;
  readonly content_type: string;
  readonly filename: string;
  readonly body: string;
}

export interface ReloadResponse {
  readonly success: boolean;
  readonly applied: boolean;
  readonly changes: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly restarted: readonly string[];
    readonly updated_in_place: readonly string[];
    readonly unchanged: readonly string[];
  };
  readonly errors: readonly {
    readonly message: string;
    readonly file: string;
    readonly line: number;
    readonly col: number;
    readonly path: string;
  }[];
}

export interface RegisterResponse {
  readonly success: true;
  readonly service: string;
  readonly heartbeat_interval_ms: number;
  readonly message: string;
}

export interface OkResponse {
  readonly success: true;
  readonly message: string;
}
