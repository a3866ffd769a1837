/** Builders for renderer tests: service views and events with sensible defaults. */
import { displayStatus, type Health, type Lifecycle } from '../../shared/model.js';
import type { HealingEvent, ServiceEvent } from '../../shared/events.js';
import type {
  InstanceView,
  ReplicasView,
  ServiceView,
  StatusResponse,
  SystemView,
} from '../../shared/views.js';

export const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

export function view(
  name: string,
  opts: {
    lifecycle?: Lifecycle;
    health?: Health;
    phase?: number;
    deps?: Record<string, 'started' | 'healthy' | 'completed'>;
    optional?: string[];
    restarts?: number;
    blockedBy?: string[];
  } = {},
): ServiceView {
  const lifecycle = opts.lifecycle ?? 'running';
  const health = opts.health ?? 'healthy';
  const conditions = opts.deps ?? {};
  const optional = opts.optional ?? [];
  return {
    name,
    status: displayStatus(lifecycle, health),
    lifecycle,
    health,
    pid: lifecycle === 'running' ? 4242 : null,
    generation: 1,
    port: null,
    priority: 'medium',
    required: true,
    is_critical: false,
    oneshot: false,
    registered: false,
    phase: opts.phase ?? 0,
    restart_count: opts.restarts ?? 0,
    restart_attempts: 0,
    last_restart: null,
    last_restart_reason: null,
    last_error: null,
    blocked_by: opts.blockedBy ?? [],
    next_attempt_at: null,
    since: new Date(T0).toISOString(),
    started_at: new Date(T0).toISOString(),
    consecutive_failures: 0,
    last_check: null,
    breaker: { state: 'closed', failures: 0, reason: null, nextTrialAt: null, trips: 0 },
    quarantine_reason: null,
    version: null,
    capabilities: [],
    dependencies: {
      required: Object.keys(conditions).filter((d) => !optional.includes(d)),
      optional,
      conditions,
      dependents: [],
      layer: opts.phase ?? 0,
    },
    metrics: {
      cpu_percent: null,
      rss_bytes: null,
      processes: null,
      uptime_percentage: null,
      avg_response_time_ms: null,
      probe_count: 0,
      probe_failures: 0,
    },
    not_ready: null,
    started_without: [],
    watch: null,
    replicas: null,
  };
}

export function systemView(name = 'shop'): SystemView {
  return {
    name,
    stack_file: '/stacks/shop/vigil.yaml',
    status: 'healthy',
    composite_health: 'healthy',
    is_ready: true,
    initialized: true,
    started_at: new Date(T0).toISOString(),
    uptime_ms: 60_000,
    ready_in_ms: 1_200,
    counts: { healthy: 0, degraded: 0, unhealthy: 0, timeout: 0, quarantined: 0, stopped: 0 },
    failing: [],
    stopping: false,
    history: { state: 'ok', message: null, dropped_records: 0 },
    config_rollback: null,
  };
}

export function snapshot(services: ServiceView[], healing: HealingEvent[] = []): StatusResponse {
  return {
    success: true,
    system: systemView(),
    services,
    recent_healing: healing,
    last_status_event: null,
  };
}

export function healing(
  service: string,
  action: HealingEvent['action'],
  ts = T0,
  extra: Partial<HealingEvent> = {},
): HealingEvent {
  return {
    type: 'healing_event',
    ts,
    service,
    action,
    reason: { kind: 'exit', message: 'exited with code 1', exitCode: 1 },
    attempt: 1,
    generation: 1,
    ...extra,
  };
}

export function serviceEvent(
  service: string,
  from: Lifecycle,
  to: Lifecycle,
  extra: Partial<ServiceEvent> = {},
): ServiceEvent {
  return {
    type: 'service_event',
    ts: T0 + 1_000,
    service,
    from,
    to,
    status: displayStatus(to, 'unknown'),
    generation: 2,
    pid: to === 'running' || to === 'starting' ? 5151 : null,
    reason: { kind: 'exit', message: 'exited with code 1', exitCode: 1 },
    ...extra,
  };
}

/** One instance of a replicated service, ready and in the pool unless told otherwise. */
export function instance(service: string, index: number, extra: Partial<InstanceView> = {}) {
  const i: InstanceView = {
    id: `${service}#${index}`,
    index,
    status: 'healthy',
    lifecycle: 'running',
    health: 'healthy',
    pid: 7000 + index,
    port: 3001 + index,
    generation: 1,
    restart_count: 0,
    last_error: null,
    since: new Date(T0).toISOString(),
    started_at: new Date(T0).toISOString(),
    last_check: null,
    breaker: { state: 'closed', failures: 0, reason: null, nextTrialAt: null, trips: 0 },
    in_pool: true,
    draining: false,
    ejected: false,
    active: 0,
    requests: 100 * (index + 1),
    errors: 0,
    latency_p50_ms: 2,
    latency_p95_ms: 5,
    cpu_percent: 1,
    rss_bytes: 20_000_000,
    ...extra,
  };
  return i;
}

/**
 * A replicated service's instances, balancer (front port 3000), scale and, with `backup`, failover.
 * `sick` changes some instances; `ready` counts the healthy ones.
 */
export function replicas(
  service: string,
  n: number,
  opts: {
    sick?: Record<number, Partial<InstanceView>>;
    backup?: string;
    scale?: Partial<ReplicasView['scale']>;
    failover?: Partial<NonNullable<ReplicasView['failover']>>;
    balancer?: boolean;
  } = {},
): ReplicasView {
  const instances = Array.from({ length: n }, (_, i) => instance(service, i, opts.sick?.[i]));
  const total = instances.reduce((a, x) => a + x.requests, 0);
  return {
    desired: n,
    ready: instances.filter((i) => i.status === 'healthy').length,
    min_ready: 1,
    instances,
    balancer:
      opts.balancer === false
        ? null
        : {
            host: '127.0.0.1',
            port: 3000,
            listening: true,
            mode: 'http',
            strategy: 'round_robin',
            weights: null,
            split: instances.map((x) => ({
              id: x.id,
              pool: 'primary' as const,
              requests: x.requests,
              share: total > 0 ? x.requests / total : 0,
            })),
            error: null,
          },
    failover: opts.backup
      ? {
          backup: opts.backup,
          route: 'primary',
          pinned: false,
          failback_after_ms: 10_000,
          last_change: null,
          ...opts.failover,
        }
      : null,
    scale: {
      min: n,
      max: n,
      metric: null,
      target: null,
      cooldown_ms: null,
      window_ms: null,
      last_decision: null,
      ...opts.scale,
    },
    rollout: null,
  };
}
