/**
 * Over 500 lines: one short declaration per wire type of views.ts and events.ts, nothing else;
 * split, the responses would sit apart from the pieces they are made of.
 *
 * Output schemas of the read commands (status, services, history, health, dependencies, stats,
 * logs) and of reload and check-now, with the pieces they share (reasons, probe results, breakers,
 * events, a service's view and its replicas). Like outputs.ts, every schema is checked at compile
 * time against its type in views.ts, events.ts or model.ts, both ways.
 *
 * Objects are `z.object`: the OpenAPI document shows them with `additionalProperties: false`, and
 * the contract tests check that parsing an answer strips nothing, so a field the types do not
 * declare is caught there.
 */
import { z } from 'zod';
import {
  BALANCE_MODES,
  BALANCE_STRATEGIES,
  DISPLAY_STATUSES,
  HEALTHS,
  LIFECYCLES,
  SCALE_METRICS,
  type Actor,
  type BreakerState,
  type BreakerView,
  type ChangedFiles,
  type DependencyCondition,
  type Priority,
  type ProbeResult,
  type ProbeType,
  type Reason,
  type ReasonKind,
  type SystemState,
} from './model.js';
import type {
  CriticalChainStep,
  HealingAction,
  HealingEvent,
  MissingDependencyView,
  ReplicaEventFields,
  StatusEvent,
  SystemEventName,
} from './events.js';
import type {
  BalancerView,
  CheckNowResponse,
  DependenciesResponse,
  FailoverView,
  HealingHistoryResponse,
  HealthStatusResponse,
  HistoryPoint,
  HistoryStatusView,
  InstanceView,
  LogLine,
  LogsResponse,
  NotReadyView,
  ReloadResponse,
  ReplicasView,
  ResourcePoint,
  ScaleView,
  ServiceDependencyView,
  ServiceDetailView,
  ServiceHistoryResponse,
  ServiceMetricsView,
  ServiceView,
  ReplicaActionResponse,
  ServicesResponse,
  StatsResponse,
  StatusResponse,
  SystemView,
  UptimeWindows,
  WatchView,
} from './views.js';
import {
  actionFields,
  actionResponse,
  matches,
  okResponse,
  registerResponse,
  watchResponse,
} from './outputs.js';

// ─── building blocks ───

const strings = z.array(z.string()).readonly();
/** Counters, indexes, sequence numbers, process ids. */
const count = z.number().int().min(0);
const port = z.number().int().min(0).max(65_535);
/** A time as ISO-8601 text. */
const isoTime = z.string();

const lifecycle = z.enum(LIFECYCLES);
const health = z.enum(HEALTHS);
const displayStatus = z.enum(DISPLAY_STATUSES);
const systemState = matches<SystemState>()(z.enum(['healthy', 'degraded', 'critical']));
const priority = matches<Priority>()(z.enum(['critical', 'high', 'medium', 'low']));
const dependencyCondition = matches<DependencyCondition>()(
  z.enum(['started', 'healthy', 'completed']),
);
const breakerState = matches<BreakerState>()(z.enum(['closed', 'open', 'half-open']));
const probeType = matches<ProbeType>()(
  z.enum(['http', 'tcp', 'exec', 'log', 'process', 'default']),
);
const actor = matches<Actor>()(z.enum(['ui', 'cli', 'api', 'vigil']));
const compositeHealth = matches<SystemView['composite_health']>()(
  z.enum(['healthy', 'degraded', 'unhealthy', 'unknown']),
);

const reasonKind = matches<ReasonKind>()(
  z.enum([
    'exit',
    'signal',
    'probe',
    'memory_limit',
    'process_limit',
    'manual',
    'config_change',
    'dependency_recovery',
    'breaker_trial',
    'startup_timeout',
    'spawn_error',
    'port_in_use',
    'dependency',
    'stack_restart',
    'launch',
    'shutdown',
    'file_change',
  ]),
);

export const changedFiles = matches<ChangedFiles>()(z.object({ paths: strings, count }));

export const reason = matches<Reason>()(
  z.object({
    kind: reasonKind,
    message: z.string(),
    exitCode: z.number().int().nullable().optional(),
    signal: z.string().nullable().optional(),
    probe: probeType.optional(),
    detail: z.string().optional(),
    by: actor.optional(),
    dependency: z.string().optional(),
    files: changedFiles.optional(),
  }),
);

export const probeResult = matches<ProbeResult>()(
  z.object({
    ok: z.boolean(),
    timedOut: z.boolean(),
    latencyMs: z.number().min(0),
    probe: probeType,
    detail: z.string(),
    ts: z.number(),
  }),
);

export const breakerView = matches<BreakerView>()(
  z.object({
    state: breakerState,
    failures: count,
    reason: z.string().nullable(),
    nextTrialAt: z.number().nullable(),
    trips: count,
  }),
);

// ─── events ───

const healingAction = matches<HealingAction>()(
  z.enum([
    'restart_scheduled',
    'restart',
    'graceful_restart',
    'dependency_restart',
    'reset',
    'quarantine',
    'release',
    'breaker_open',
    'breaker_half_open',
    'breaker_closed',
    'give_up',
    'stack_restart',
    'counter_reset',
    'limit_exceeded',
    'recommendation',
    'watch_paused',
    'watch_run_failed',
    'instance_added',
    'instance_lost',
    'scaling_executed',
    'failover_completed',
    'failback_completed',
    'topology_updated',
  ]),
);

const systemEventName = matches<SystemEventName>()(
  z.enum([
    'system-ready',
    'system-degraded',
    'system-critical',
    'emergency-shutdown',
    'stack-starting',
    'stack-stopping',
    'stack-stopped',
    'launch-failed',
    'config-reloaded',
    'config-rejected',
    'config-rolled-back',
  ]),
);

export const missingDependencyView = matches<MissingDependencyView>()(
  z.object({ service: z.string(), reason: z.string() }),
);

export const replicaEventFields = matches<ReplicaEventFields>()(
  z.object({
    instance: z.string().optional(),
    from: count.optional(),
    to: count.optional(),
    metric: z
      .object({ name: z.string(), value: z.number().nullable(), target: z.number() })
      .nullable()
      .optional(),
    pool: strings.optional(),
  }),
);

export const healingEvent = matches<HealingEvent>()(
  z.object({
    type: z.literal('healing_event'),
    ts: z.number(),
    service: z.string(),
    action: healingAction,
    reason,
    attempt: count,
    rung: z.number().int().min(1).max(4).optional(),
    delayMs: z.number().min(0).optional(),
    breaker: breakerState.optional(),
    generation: count,
    replica: replicaEventFields.optional(),
  }),
);

const criticalChainStep = matches<CriticalChainStep>()(
  z.object({ service: z.string(), atMs: z.number(), tookMs: z.number() }),
);

export const statusEvent = matches<StatusEvent>()(
  z.object({
    type: z.literal('status_update'),
    ts: z.number(),
    system: systemState,
    event: systemEventName.optional(),
    message: z.string(),
    readyInMs: z.number().optional(),
    criticalChain: z.array(criticalChainStep).readonly().optional(),
    failing: strings.optional(),
  }),
);

// ─── a service and its replicas ───

export const instanceView = matches<InstanceView>()(
  z.object({
    id: z.string(),
    index: count,
    status: displayStatus,
    lifecycle,
    health,
    pid: count.nullable(),
    port: port.nullable(),
    generation: count,
    restart_count: count,
    last_error: z.string().nullable(),
    since: isoTime,
    started_at: isoTime.nullable(),
    last_check: probeResult.nullable(),
    breaker: breakerView,
    in_pool: z.boolean(),
    draining: z.boolean(),
    ejected: z.boolean(),
    active: count,
    requests: count,
    errors: count,
    latency_p50_ms: z.number().min(0).nullable(),
    latency_p95_ms: z.number().min(0).nullable(),
    cpu_percent: z.number().min(0).nullable(),
    rss_bytes: count.nullable(),
  }),
);

export const balancerView = matches<BalancerView>()(
  z.object({
    host: z.string(),
    port: port.nullable(),
    listening: z.boolean(),
    mode: z.enum(BALANCE_MODES),
    strategy: z.enum(BALANCE_STRATEGIES),
    weights: z.array(z.number()).readonly().nullable(),
    split: z
      .array(
        z.object({
          id: z.string(),
          pool: z.enum(['primary', 'backup']),
          requests: count,
          share: z.number().min(0).max(1),
        }),
      )
      .readonly(),
    error: z.string().nullable(),
  }),
);

export const failoverView = matches<FailoverView>()(
  z.object({
    backup: z.string(),
    route: z.enum(['primary', 'backup']),
    pinned: z.boolean(),
    failback_after_ms: z.number().min(0),
    last_change: isoTime.nullable(),
  }),
);

export const scaleView = matches<ScaleView>()(
  z.object({
    min: count,
    max: count,
    metric: z.enum(SCALE_METRICS).nullable(),
    target: z.number().nullable(),
    cooldown_ms: z.number().min(0).nullable(),
    window_ms: z.number().min(0).nullable(),
    last_decision: z.object({ at: isoTime, from: count, to: count, reason: z.string() }).nullable(),
  }),
);

export const replicasView = matches<ReplicasView>()(
  z.object({
    desired: count,
    ready: count,
    min_ready: count,
    instances: z.array(instanceView).readonly(),
    balancer: balancerView.nullable(),
    failover: failoverView.nullable(),
    scale: scaleView,
    rollout: z
      .object({ kind: z.enum(['restart', 'scale', 'update']), done: count, total: count })
      .nullable(),
  }),
);

/** The same object as in `watchResponse`: one declaration of a service's file watch. */
export const watchView = matches<WatchView>()(watchResponse.shape.watch);

const serviceDependencyView = matches<ServiceDependencyView>()(
  z.object({
    required: strings,
    optional: strings,
    conditions: z.record(z.string(), dependencyCondition),
    dependents: strings,
    layer: count,
  }),
);

const serviceMetricsView = matches<ServiceMetricsView>()(
  z.object({
    cpu_percent: z.number().min(0).nullable(),
    rss_bytes: count.nullable(),
    processes: count.nullable(),
    uptime_percentage: z.number().min(0).max(100).nullable(),
    avg_response_time_ms: z.number().min(0).nullable(),
    probe_count: count,
    probe_failures: count,
  }),
);

const notReadyView = matches<NotReadyView>()(
  z.object({
    failed_checks: count,
    last_failure: z.string().nullable(),
    startup_deadline: isoTime.nullable(),
  }),
);

export const serviceView = matches<ServiceView>()(
  z.object({
    name: z.string(),
    status: displayStatus,
    lifecycle,
    health,
    pid: count.nullable(),
    generation: count,
    port: port.nullable(),
    priority,
    required: z.boolean(),
    is_critical: z.boolean(),
    oneshot: z.boolean(),
    registered: z.boolean(),
    phase: count,
    restart_count: count,
    restart_attempts: count,
    last_restart: isoTime.nullable(),
    last_restart_reason: reason.nullable(),
    last_error: z.string().nullable(),
    blocked_by: strings,
    next_attempt_at: isoTime.nullable(),
    since: isoTime,
    started_at: isoTime.nullable(),
    consecutive_failures: count,
    last_check: probeResult.nullable(),
    breaker: breakerView,
    quarantine_reason: z.string().nullable(),
    version: z.string().nullable(),
    capabilities: strings,
    dependencies: serviceDependencyView,
    metrics: serviceMetricsView,
    not_ready: notReadyView.nullable(),
    started_without: z.array(missingDependencyView).readonly(),
    watch: watchView.nullable(),
    replicas: replicasView.nullable(),
  }),
);

export const serviceDetailView = matches<ServiceDetailView>()(
  serviceView.extend({
    spec: z.record(z.string(), z.unknown()),
    health_history: z.array(probeResult).readonly(),
    log_file: z.string().nullable(),
  }),
);

// ─── the whole system ───

const historyStatusView = matches<HistoryStatusView>()(
  z.object({
    state: z.enum(['ok', 'recovered', 'degraded', 'memory']),
    message: z.string().nullable(),
    dropped_records: count,
  }),
);

export const systemView = matches<SystemView>()(
  z.object({
    name: z.string(),
    stack_file: z.string(),
    status: systemState,
    composite_health: compositeHealth,
    is_ready: z.boolean(),
    initialized: z.boolean(),
    started_at: isoTime,
    uptime_ms: z.number().min(0),
    ready_in_ms: z.number().min(0).nullable(),
    counts: z.record(displayStatus, count),
    failing: strings,
    stopping: z.boolean(),
    history: historyStatusView,
    config_rollback: z.object({ at: isoTime, message: z.string() }).nullable(),
  }),
);

// ─── responses ───

export const statusResponse = matches<StatusResponse>()(
  z.object({
    success: z.literal(true),
    system: systemView,
    services: z.array(serviceView).readonly(),
    recent_healing: z.array(healingEvent).readonly(),
    last_status_event: statusEvent.nullable(),
  }),
);

export const servicesResponse = matches<ServicesResponse>()(
  z.object({
    success: z.literal(true),
    total_services: count,
    services: z.array(serviceView).readonly(),
    is_ready: z.boolean(),
    initialized: z.boolean(),
  }),
);

const historyPoint = matches<HistoryPoint>()(
  z.object({
    ts: z.number(),
    count,
    ok: count,
    failed: count,
    timed_out: count,
    latency_avg_ms: z.number().min(0).nullable(),
    latency_max_ms: z.number().min(0).nullable(),
  }),
);

const resourcePoint = matches<ResourcePoint>()(
  z.object({
    ts: z.number(),
    cpu_percent: z.number().min(0).nullable(),
    rss_bytes: z.number().min(0).nullable(),
  }),
);

export const serviceHistoryResponse = matches<ServiceHistoryResponse>()(
  z.object({
    success: z.literal(true),
    service: z.string(),
    since: z.number(),
    until: z.number(),
    health: z.array(historyPoint).readonly(),
    resources: z.array(resourcePoint).readonly(),
    restarts: z.array(z.object({ ts: z.number(), reason, action: z.string() })).readonly(),
  }),
);

export const healthStatusResponse = matches<HealthStatusResponse>()(
  z.object({
    success: z.literal(true),
    status: z.enum(['ok', 'degraded', 'critical']),
    composite_health: compositeHealth,
    system: systemState,
    services: z.record(
      z.string(),
      z.object({
        status: displayStatus,
        health,
        last_check: probeResult.nullable(),
        consecutive_failures: count,
        uptime_1h: z.number().min(0).max(100).nullable(),
      }),
    ),
    unhealthy_services: strings,
    degraded_services: strings,
    resources: z.object({
      cpu_count: count,
      total_memory_bytes: z.number().min(0),
      load_average: z.array(z.number()).readonly(),
      services_cpu_percent: z.number().min(0),
      services_rss_bytes: z.number().min(0),
      supervisor_rss_bytes: z.number().min(0),
    }),
  }),
);

export const dependenciesResponse = matches<DependenciesResponse>()(
  z.object({
    success: z.literal(true),
    nodes: z
      .array(
        z.object({ name: z.string(), phase: count, status: displayStatus, required: z.boolean() }),
      )
      .readonly(),
    edges: z
      .array(
        z.object({
          from: z.string(),
          to: z.string(),
          condition: dependencyCondition,
          optional: z.boolean(),
        }),
      )
      .readonly(),
    phases: z.array(strings).readonly(),
    startup_order: strings,
    shutdown_order: strings,
    dependencies: z.record(
      z.string(),
      z.object({
        dependencies: strings,
        optional_dependencies: strings,
        dependents: strings,
        layer: count,
      }),
    ),
    visualization: z.string(),
  }),
);

export const healingHistoryResponse = matches<HealingHistoryResponse>()(
  z.object({ success: z.literal(true), events: z.array(healingEvent).readonly() }),
);

export const checkNowResponse = matches<CheckNowResponse>()(
  z.object({
    success: z.literal(true),
    timestamp: isoTime,
    composite_health: compositeHealth,
    results: z.record(
      z.string(),
      z.object({
        service_name: z.string(),
        status: health,
        timestamp: isoTime,
        message: z.string(),
        response_time_ms: z.number().min(0),
        ok: z.boolean(),
        probe: z.string(),
      }),
    ),
  }),
);

const percent = z.number().min(0).max(100).nullable();
const uptimeWindows = matches<UptimeWindows>()(
  z.object({ '1h': percent, '24h': percent, '7d': percent }),
);

export const statsResponse = matches<StatsResponse>()(
  z.object({
    success: z.literal(true),
    metrics: z.object({
      total_services: count,
      running_services: count,
      healthy_services: count,
      unhealthy_services: count,
      failed_services: count,
      stopped_services: count,
      quarantined_services: count,
      total_restarts: count,
      is_ready: z.boolean(),
      initialized: z.boolean(),
      uptime_ms: z.number().min(0),
      mttr_ms: z.number().min(0).nullable(),
      uptime_percentage: uptimeWindows,
    }),
    service_details: z.record(
      z.string(),
      z.object({
        restarts: count,
        mttr_ms: z.number().min(0).nullable(),
        longest_outage_ms: z.number().min(0),
        uptime_percentage: uptimeWindows,
        breaker_trips: count,
        quarantines: count,
      }),
    ),
  }),
);

export const logLine = matches<LogLine>()(
  z.object({
    seq: count,
    ts: z.number(),
    stream: z.enum(['stdout', 'stderr']),
    line: z.string(),
    instance: z.string().optional(),
  }),
);

export const logsResponse = matches<LogsResponse>()(
  z.object({
    success: z.literal(true),
    service: z.string(),
    lines: z.array(logLine).readonly(),
    last_seq: count,
    file: z.string().nullable(),
  }),
);

export const reloadResponse = matches<ReloadResponse>()(
  z.object({
    success: z.boolean(),
    applied: z.boolean(),
    changes: z.object({
      added: strings,
      removed: strings,
      restarted: strings,
      updated_in_place: strings,
      unchanged: strings,
    }),
    errors: z
      .array(
        z.object({
          message: z.string(),
          file: z.string(),
          line: z.number().int(),
          col: z.number().int(),
          path: z.string(),
        }),
      )
      .readonly(),
  }),
);

/**
 * The output schemas under the names the OpenAPI document gives them (`components.schemas`): the
 * responses, and the pieces several of them share, which the document then shows once and refers
 * to. A response schema missing here is still documented, under its command's name.
 */
/** `scaleService` and `failoverService`: the action and the service's instances after it. */
export const replicaActionResponse = matches<ReplicaActionResponse>()(
  z.object({ ...actionFields, replicas: replicasView }),
);

export const NAMED_OUTPUT_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  OkResponse: okResponse,
  ActionResponse: actionResponse,
  ReplicaActionResponse: replicaActionResponse,
  RegisterResponse: registerResponse,
  WatchResponse: watchResponse,
  StatusResponse: statusResponse,
  ServicesResponse: servicesResponse,
  ServiceDetailView: serviceDetailView,
  ServiceHistoryResponse: serviceHistoryResponse,
  HealthStatusResponse: healthStatusResponse,
  DependenciesResponse: dependenciesResponse,
  HealingHistoryResponse: healingHistoryResponse,
  CheckNowResponse: checkNowResponse,
  StatsResponse: statsResponse,
  LogsResponse: logsResponse,
  ReloadResponse: reloadResponse,
  ServiceView: serviceView,
  SystemView: systemView,
  ReplicasView: replicasView,
  InstanceView: instanceView,
  BalancerView: balancerView,
  FailoverView: failoverView,
  ScaleView: scaleView,
  WatchView: watchView,
  HealingEvent: healingEvent,
  StatusEvent: statusEvent,
  Reason: reason,
  ProbeResult: probeResult,
  BreakerView: breakerView,
  LogLine: logLine,
};
