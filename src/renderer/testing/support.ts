/** Builders for renderer tests: service views and events with sensible defaults. */
import { displayStatus, type Health, type Lifecycle } from '../../shared/model.js';
import type { HealingEvent, ServiceEvent } from '../../shared/events.js';
import type { ServiceView, StatusResponse, SystemView } from '../../shared/views.js';

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
