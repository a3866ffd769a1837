/**
 * Over 500 lines: one fake per contract command, in one object, so the contract table and the
 * client tests read against a single stand-in.
 *
 * An in-memory stand-in for the supervisor: implements the whole contract and the event source
 * over a few fake services, records every call, and emits events on demand. Used by the transport
 * and client tests, and handy for working on the UI without real processes.
 */
import type { CallContext, CommandName, VigilApi } from '../../../shared/contract.js';
import { VigilError } from '../../../shared/errors.js';
import type {
  HealingAction,
  HealingEvent,
  HealthEvent,
  LogEvent,
  ServiceEvent,
  StatusEvent,
  VigilEvent,
} from '../../../shared/events.js';
import { displayStatus, type Health, type Lifecycle } from '../../../shared/model.js';
import type {
  ActionResponse,
  InstanceView,
  LogLine,
  ReplicasView,
  ServiceView,
  StatusResponse,
  SystemView,
  WatchView,
} from '../../../shared/views.js';
import type { EventSource } from '../stream.js';

export interface FakeCall {
  readonly command: CommandName;
  readonly input: unknown;
  readonly actor: CallContext['actor'];
}

export const FAKE_START = Date.UTC(2026, 0, 1, 10, 0, 0);

export function fakeServiceView(
  name: string,
  lifecycle: Lifecycle = 'running',
  health: Health = 'healthy',
): ServiceView {
  return {
    name,
    status: displayStatus(lifecycle, health),
    lifecycle,
    health,
    pid: lifecycle === 'running' ? 1000 + name.length : null,
    generation: 1,
    port: null,
    priority: 'medium',
    required: true,
    is_critical: false,
    oneshot: false,
    registered: false,
    phase: 0,
    restart_count: 0,
    restart_attempts: 0,
    last_restart: null,
    last_restart_reason: null,
    last_error: null,
    blocked_by: [],
    next_attempt_at: null,
    since: new Date(FAKE_START).toISOString(),
    started_at: new Date(FAKE_START).toISOString(),
    consecutive_failures: 0,
    last_check: null,
    breaker: { state: 'closed', failures: 0, reason: null, nextTrialAt: null, trips: 0 },
    quarantine_reason: null,
    version: null,
    capabilities: [],
    dependencies: { required: [], optional: [], conditions: {}, dependents: [], layer: 0 },
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

/** A replicated service's instances as the fake shows them: `n` instances, all ready. */
export function fakeReplicasView(
  name: string,
  n: number,
  opts: { failover?: string; frontPort?: number } = {},
): ReplicasView {
  const instances: InstanceView[] = [];
  for (let i = 0; i < n; i++) {
    instances.push({
      id: `${name}#${i}`,
      index: i,
      status: 'healthy',
      lifecycle: 'running',
      health: 'healthy',
      pid: 3000 + i,
      port: (opts.frontPort ?? 3000) + 1 + i,
      generation: 1,
      restart_count: 0,
      last_error: null,
      since: new Date(FAKE_START).toISOString(),
      started_at: new Date(FAKE_START).toISOString(),
      last_check: null,
      breaker: { state: 'closed', failures: 0, reason: null, nextTrialAt: null, trips: 0 },
      in_pool: true,
      draining: false,
      ejected: false,
      active: 0,
      requests: 10 * (i + 1),
      errors: 0,
      latency_p50_ms: 1.5,
      latency_p95_ms: 4,
      cpu_percent: 1,
      rss_bytes: 30_000_000,
    });
  }
  const total = instances.reduce((a, x) => a + x.requests, 0);
  return {
    desired: n,
    ready: n,
    min_ready: 1,
    instances,
    balancer: {
      host: '127.0.0.1',
      port: opts.frontPort ?? 3000,
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
    failover: opts.failover
      ? {
          backup: opts.failover,
          route: 'primary',
          pinned: false,
          failback_after_ms: 10_000,
          last_change: null,
        }
      : null,
    scale: {
      min: 1,
      max: n,
      metric: null,
      target: null,
      cooldown_ms: null,
      window_ms: null,
      last_decision: null,
    },
    rollout: null,
  };
}

/** A service's watch as the fake shows it once it has one. */
export function fakeWatchView(enabled = true): WatchView {
  return {
    enabled,
    state: enabled ? 'watching' : 'off',
    paths: ['src/'],
    ignore: [],
    action: 'restart',
    run: null,
    debounce_ms: 300,
    gitignore: true,
    paused_reason: null,
    last_change: null,
    last_error: null,
    restarts: 0,
  };
}

export class FakeVigil implements EventSource {
  readonly calls: FakeCall[] = [];
  private readonly services = new Map<string, ServiceView>();
  private readonly listeners = new Set<(ev: VigilEvent) => void>();
  private readonly logs = new Map<string, LogLine[]>();
  private logSeq = 0;
  /** Healing events recorded with `healingEvent`, oldest first. */
  private readonly healing: HealingEvent[] = [];
  private lastStatusEvent: StatusEvent | null = null;
  /** Commands that throw this error instead of answering (to test error paths). */
  readonly failures = new Map<CommandName, unknown>();
  /** Prometheus text served at /metrics. */
  metricsText = '# TYPE vigil_services gauge\nvigil_services 2\n';

  constructor(names: readonly string[] = ['api', 'db']) {
    for (const name of names) {
      this.services.set(name, fakeServiceView(name));
      this.logs.set(name, []);
    }
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  service(name: string): ServiceView {
    const s = this.services.get(name);
    if (!s) {
      throw new VigilError('UNKNOWN_SERVICE', `unknown service "${name}"`, {
        field: 'name',
        hint: `known services: ${[...this.services.keys()].join(', ')}`,
      });
    }
    return s;
  }

  /** Changes fields of a service's view, as if the supervisor had moved it. */
  setService(name: string, patch: Partial<ServiceView>): ServiceView {
    const next = { ...this.service(name), ...patch };
    this.services.set(name, next);
    return next;
  }

  snapshot(): StatusResponse {
    return {
      success: true,
      system: this.system(),
      services: [...this.services.values()],
      recent_healing: this.healing.slice(-20).reverse(),
      last_status_event: this.lastStatusEvent,
    };
  }

  subscribe(listener: (ev: VigilEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(ev: VigilEvent): void {
    for (const l of [...this.listeners]) l(ev);
  }

  /**
   * Adds a log line (kept for getLogs) and emits it; `instance` (`api#1`) marks a line of a
   * replicated service's instance.
   */
  log(
    service: string,
    line: string,
    stream: 'stdout' | 'stderr' = 'stdout',
    instance?: string,
  ): LogEvent {
    this.logSeq += 1;
    const ts = FAKE_START + this.logSeq;
    const tag = instance !== undefined ? { instance } : {};
    this.logs.get(service)?.push({ seq: this.logSeq, ts, stream, line, ...tag });
    const ev: LogEvent = { type: 'log', ts, service, stream, line, seq: this.logSeq, ...tag };
    this.emit(ev);
    return ev;
  }

  /** The id of instance `index` of a replicated service, refused as the supervisor does. */
  instanceId(name: string, index: number): string {
    const r = this.service(name).replicas;
    if (!r) {
      throw new VigilError(
        'CONFLICT',
        `${name} is not replicated: it runs one process with no balancer`,
        {
          field: 'name',
          hint: 'give it `replicas: N` (or `scale:`) in the stack file and reload',
        },
      );
    }
    const found = r.instances.find((i) => i.index === index);
    if (!found) {
      throw new VigilError('UNKNOWN_SERVICE', `${name} has no instance ${index}`, {
        field: 'instance',
        hint: `instances: ${r.instances.map((i) => i.index).join(', ')}`,
      });
    }
    return found.id;
  }

  healthEvent(service: string, ok = true): HealthEvent {
    const ev: HealthEvent = {
      type: 'health_update',
      ts: FAKE_START,
      service,
      generation: 1,
      result: {
        ok,
        timedOut: false,
        latencyMs: 3,
        probe: 'http',
        detail: ok ? '200' : '503',
        ts: FAKE_START,
      },
      from: 'healthy',
      to: ok ? 'healthy' : 'degraded',
      consecutiveFailures: ok ? 0 : 1,
      consecutiveSuccesses: ok ? 1 : 0,
    };
    this.emit(ev);
    return ev;
  }

  /** Records a healing event (getHealingHistory and the snapshot show it) and emits it. */
  healingEvent(
    service: string,
    action: HealingAction,
    extra: Partial<Omit<HealingEvent, 'type' | 'service' | 'action'>> = {},
  ): HealingEvent {
    const ev: HealingEvent = {
      type: 'healing_event',
      ts: FAKE_START + this.healing.length + 1,
      service,
      action,
      reason: { kind: 'manual', message: `${action} of ${service}`, by: 'api' },
      attempt: 1,
      generation: 1,
      ...extra,
    };
    this.healing.push(ev);
    this.emit(ev);
    return ev;
  }

  /** Records a whole-system event (the snapshot's `last_status_event`) and emits it. */
  statusEvent(extra: Partial<Omit<StatusEvent, 'type'>> = {}): StatusEvent {
    const ev: StatusEvent = {
      type: 'status_update',
      ts: FAKE_START,
      system: 'healthy',
      message: 'all services are healthy',
      ...extra,
    };
    this.lastStatusEvent = ev;
    this.emit(ev);
    return ev;
  }

  serviceEvent(service: string, to: Lifecycle, detail = ''): ServiceEvent {
    const before = this.service(service);
    const ev: ServiceEvent = {
      type: 'service_event',
      ts: FAKE_START,
      service,
      from: before.lifecycle,
      to,
      status: displayStatus(to, before.health),
      generation: before.generation,
      pid: before.pid,
      reason: { kind: 'manual', message: `moved to ${to}${detail}`, by: 'api' },
    };
    this.emit(ev);
    return ev;
  }

  private system(): SystemView {
    const services = [...this.services.values()];
    const counts = {
      healthy: 0,
      degraded: 0,
      unhealthy: 0,
      timeout: 0,
      quarantined: 0,
      stopped: 0,
    };
    for (const s of services) counts[s.status] += 1;
    return {
      name: 'fake',
      stack_file: 'vigil.yaml',
      status: 'healthy',
      composite_health: 'healthy',
      is_ready: true,
      initialized: true,
      started_at: new Date(FAKE_START).toISOString(),
      uptime_ms: 1000,
      ready_in_ms: 500,
      counts,
      failing: [],
      stopping: false,
      history: { state: 'ok', message: null, dropped_records: 0 },
      config_rollback: null,
    };
  }

  private setLifecycle(
    name: string,
    lifecycle: Lifecycle,
    extra: Partial<ServiceView> = {},
  ): ServiceView {
    const s = this.service(name);
    const next: ServiceView = {
      ...s,
      ...extra,
      lifecycle,
      status: displayStatus(lifecycle, s.health),
      pid: lifecycle === 'running' ? (s.pid ?? 2000 + name.length) : null,
    };
    this.services.set(name, next);
    return next;
  }

  private action(s: ServiceView, message: string): ActionResponse {
    return {
      success: true,
      service: s.name,
      status: s.status,
      lifecycle: s.lifecycle,
      restart_count: s.restart_count,
      last_restart: s.last_restart,
      message,
    };
  }

  /** The contract, implemented over the fake state. */
  readonly api: VigilApi = this.buildApi();

  private buildApi(): VigilApi {
    const record = <K extends CommandName>(command: K, input: unknown, ctx: CallContext): void => {
      this.calls.push({ command, input, actor: ctx.actor });
      const failure = this.failures.get(command);
      if (failure !== undefined) throw failure;
    };
    const ok = (message: string) => ({ success: true as const, message });
    return {
      getStatus: async (input, ctx) => {
        record('getStatus', input, ctx);
        return this.snapshot();
      },
      listServices: async (input, ctx) => {
        record('listServices', input, ctx);
        const services = [...this.services.values()];
        return {
          success: true,
          total_services: services.length,
          services,
          is_ready: true,
          initialized: true,
        };
      },
      getService: async (input, ctx) => {
        record('getService', input, ctx);
        const s = this.service(input.name);
        return {
          ...s,
          spec: { name: s.name },
          health_history: s.last_check ? [s.last_check] : [],
          log_file: null,
        };
      },
      getServiceHistory: async (input, ctx) => {
        record('getServiceHistory', input, ctx);
        const s = this.service(input.name);
        const probe = s.last_check;
        return {
          success: true,
          service: input.name,
          since: FAKE_START,
          until: FAKE_START + 3_600_000,
          health: probe
            ? [
                {
                  ts: probe.ts,
                  count: 1,
                  ok: probe.ok ? 1 : 0,
                  failed: probe.ok ? 0 : 1,
                  timed_out: probe.timedOut ? 1 : 0,
                  latency_avg_ms: probe.latencyMs,
                  latency_max_ms: probe.latencyMs,
                },
              ]
            : [],
          resources:
            s.metrics.cpu_percent !== null || s.metrics.rss_bytes !== null
              ? [
                  {
                    ts: FAKE_START,
                    cpu_percent: s.metrics.cpu_percent,
                    rss_bytes: s.metrics.rss_bytes,
                  },
                ]
              : [],
          restarts: this.healing
            .filter(
              (e) =>
                e.service === input.name &&
                (e.action === 'restart' ||
                  e.action === 'graceful_restart' ||
                  e.action === 'dependency_restart'),
            )
            .map((e) => ({ ts: e.ts, reason: e.reason, action: e.action })),
        };
      },
      getHealthStatus: async (input, ctx) => {
        record('getHealthStatus', input, ctx);
        return {
          success: true,
          status: 'ok',
          composite_health: 'healthy',
          system: 'healthy',
          services: Object.fromEntries(
            [...this.services.values()].map((s) => [
              s.name,
              {
                status: s.status,
                health: s.health,
                last_check: s.last_check,
                consecutive_failures: s.consecutive_failures,
                uptime_1h: 100,
              },
            ]),
          ),
          unhealthy_services: [],
          degraded_services: [],
          resources: {
            cpu_count: 2,
            total_memory_bytes: 1,
            load_average: [0, 0, 0],
            services_cpu_percent: 0,
            services_rss_bytes: 0,
            supervisor_rss_bytes: 0,
          },
        };
      },
      getDependencies: async (input, ctx) => {
        record('getDependencies', input, ctx);
        const services = [...this.services.values()];
        const names = services.map((s) => s.name);
        return {
          success: true,
          nodes: services.map((s) => ({
            name: s.name,
            phase: s.phase,
            status: s.status,
            required: s.required,
          })),
          edges: services.flatMap((s) =>
            [...s.dependencies.required, ...s.dependencies.optional].map((dep) => ({
              from: dep,
              to: s.name,
              condition: s.dependencies.conditions[dep] ?? 'healthy',
              optional: s.dependencies.optional.includes(dep),
            })),
          ),
          phases: [names],
          startup_order: names,
          shutdown_order: [...names].reverse(),
          dependencies: Object.fromEntries(
            services.map((s) => [
              s.name,
              {
                dependencies: s.dependencies.required,
                optional_dependencies: s.dependencies.optional,
                dependents: s.dependencies.dependents,
                layer: s.dependencies.layer,
              },
            ]),
          ),
          visualization: names.join('\n'),
        };
      },
      getHealingHistory: async (input, ctx) => {
        record('getHealingHistory', input, ctx);
        if (input.service !== undefined) this.service(input.service);
        const events = this.healing
          .filter((e) => input.service === undefined || e.service === input.service)
          .reverse()
          .slice(0, input.limit ?? 100);
        return { success: true, events };
      },
      restartService: async (input, ctx) => {
        record('restartService', input, ctx);
        const s = this.service(input.name);
        if (input.instance !== undefined) {
          const id = this.instanceId(input.name, input.instance);
          return this.action(s, `Instance '${id}' restarted`);
        }
        if (s.lifecycle === 'quarantined' && !input.force) {
          throw new VigilError('QUARANTINED', `${input.name} is quarantined`, {
            hint: 'release it, or restart with force',
          });
        }
        const next = this.setLifecycle(input.name, 'running', {
          restart_count: s.restart_count + 1,
          last_restart: new Date(FAKE_START).toISOString(),
        });
        return this.action(next, `restarted ${input.name}`);
      },
      startService: async (input, ctx) => {
        record('startService', input, ctx);
        return this.action(this.setLifecycle(input.name, 'running'), `started ${input.name}`);
      },
      stopService: async (input, ctx) => {
        record('stopService', input, ctx);
        return this.action(this.setLifecycle(input.name, 'stopped'), `stopped ${input.name}`);
      },
      quarantineService: async (input, ctx) => {
        record('quarantineService', input, ctx);
        const next = this.setLifecycle(input.name, 'quarantined', {
          quarantine_reason: input.reason ?? 'manual',
        });
        return this.action(next, `quarantined ${input.name}`);
      },
      releaseService: async (input, ctx) => {
        record('releaseService', input, ctx);
        const next = this.setLifecycle(input.name, 'running', { quarantine_reason: null });
        return this.action(next, `released ${input.name}`);
      },
      startAll: async (input, ctx) => {
        record('startAll', input, ctx);
        for (const name of this.services.keys()) this.setLifecycle(name, 'running');
        return ok('started every service');
      },
      stopAll: async (input, ctx) => {
        record('stopAll', input, ctx);
        for (const name of this.services.keys()) this.setLifecycle(name, 'stopped');
        return ok('stopped every service');
      },
      checkHealthNow: async (input, ctx) => {
        record('checkHealthNow', input, ctx);
        const timestamp = new Date(FAKE_START).toISOString();
        return {
          success: true,
          timestamp,
          composite_health: 'healthy',
          results: Object.fromEntries(
            [...this.services.keys()].map((name) => [
              name,
              {
                service_name: name,
                status: 'healthy' as const,
                timestamp,
                message: '200',
                response_time_ms: 3,
                ok: true,
                probe: 'http',
              },
            ]),
          ),
        };
      },
      getStats: async (input, ctx) => {
        record('getStats', input, ctx);
        const n = this.services.size;
        const restarts = [...this.services.values()].reduce((a, s) => a + s.restart_count, 0);
        return {
          success: true,
          metrics: {
            total_services: n,
            running_services: n,
            healthy_services: n,
            unhealthy_services: 0,
            failed_services: 0,
            stopped_services: 0,
            quarantined_services: 0,
            total_restarts: restarts,
            is_ready: true,
            initialized: true,
            uptime_ms: 1000,
            mttr_ms: null,
            uptime_percentage: { '1h': 100, '24h': 100, '7d': 100 },
          },
          service_details: Object.fromEntries(
            [...this.services.values()].map((s) => [
              s.name,
              {
                restarts: s.restart_count,
                mttr_ms: null,
                longest_outage_ms: 0,
                uptime_percentage: { '1h': 100, '24h': 100, '7d': 100 },
                breaker_trips: s.breaker.trips,
                quarantines: 0,
              },
            ]),
          ),
        };
      },
      getLogs: async (input, ctx) => {
        record('getLogs', input, ctx);
        this.service(input.name);
        const only =
          input.instance !== undefined ? this.instanceId(input.name, input.instance) : null;
        const all = this.logs.get(input.name) ?? [];
        const mine = only !== null ? all.filter((l) => l.instance === only) : all;
        const newer = input.since !== undefined ? mine.filter((l) => l.seq > input.since!) : mine;
        const lines = input.tail !== undefined ? newer.slice(-input.tail) : newer;
        return {
          success: true,
          service: input.name,
          lines,
          last_seq: lines.length > 0 ? lines[lines.length - 1]!.seq : (input.since ?? 0),
          file: null,
        };
      },
      getReport: async (input, ctx) => {
        record('getReport', input, ctx);
        const format = input.format ?? 'md';
        const types = {
          md: 'text/markdown; charset=utf-8',
          html: 'text/html; charset=utf-8',
          json: 'application/json; charset=utf-8',
          csv: 'text/csv; charset=utf-8',
        } as const;
        const bodies = {
          md: '# Healing report\n\nNothing broke.\n',
          html: '<!doctype html><title>Healing report</title><h1>Healing report</h1>',
          json: JSON.stringify({ services: [...this.services.keys()] }),
          csv: 'service,restarts\napi,0\n',
        } as const;
        return {
          format,
          content_type: types[format],
          filename: `vigil-report.${format}`,
          body: bodies[format],
        };
      },
      setWatch: async (input, ctx) => {
        record('setWatch', input, ctx);
        const s = this.service(input.name);
        if (!s.watch) {
          throw new VigilError('CONFLICT', `${input.name} has no "watch:" in the stack file`);
        }
        const next = this.setService(input.name, {
          watch: { ...s.watch, enabled: input.enabled, state: input.enabled ? 'watching' : 'off' },
        });
        return {
          success: true,
          service: input.name,
          watch: next.watch!,
          message: `file watch of ${input.name} ${input.enabled ? 'on' : 'off'}`,
        };
      },
      reload: async (input, ctx) => {
        record('reload', input, ctx);
        return {
          success: true,
          applied: true,
          changes: {
            added: [],
            removed: [],
            restarted: [],
            updated_in_place: [],
            unchanged: [...this.services.keys()],
          },
          errors: [],
        };
      },
      register: async (input, ctx) => {
        record('register', input, ctx);
        if (this.services.has(input.name)) {
          throw new VigilError('CONFLICT', `${input.name} already exists`);
        }
        this.services.set(input.name, { ...fakeServiceView(input.name), registered: true });
        this.logs.set(input.name, []);
        return {
          success: true,
          service: input.name,
          heartbeat_interval_ms: input.heartbeat_interval ?? 30_000,
          message: `registered ${input.name}`,
        };
      },
      heartbeat: async (input, ctx) => {
        record('heartbeat', input, ctx);
        this.service(input.name);
        return ok(`heartbeat of ${input.name}`);
      },
      deregister: async (input, ctx) => {
        record('deregister', input, ctx);
        this.service(input.name);
        this.services.delete(input.name);
        this.logs.delete(input.name);
        return ok(`deregistered ${input.name}`);
      },
      scaleService: async (input, ctx) => {
        record('scaleService', input, ctx);
        const s = this.service(input.name);
        if (!s.replicas) {
          throw new VigilError(
            'CONFLICT',
            `${input.name} is not replicated: add "replicas:" or "scale:" to it in the stack file`,
          );
        }
        const from = s.replicas.desired;
        const base = fakeReplicasView(input.name, input.replicas, {
          ...(s.replicas.failover ? { failover: s.replicas.failover.backup } : {}),
          ...(s.replicas.balancer?.port ? { frontPort: s.replicas.balancer.port } : {}),
        });
        const next = this.setService(input.name, {
          replicas: {
            ...base,
            scale: { ...s.replicas.scale, max: Math.max(s.replicas.scale.max, input.replicas) },
          },
        });
        return {
          ...this.action(next, `scaled ${input.name} from ${from} to ${input.replicas} instances`),
          replicas: next.replicas!,
        };
      },
      failoverService: async (input, ctx) => {
        record('failoverService', input, ctx);
        const s = this.service(input.name);
        if (!s.replicas?.failover) {
          throw new VigilError('CONFLICT', `${input.name} has no "failover:" in the stack file`);
        }
        const back = input.back ?? false;
        const next = this.setService(input.name, {
          replicas: {
            ...s.replicas,
            failover: { ...s.replicas.failover, route: back ? 'primary' : 'backup', pinned: !back },
          },
        });
        return {
          ...this.action(
            next,
            back
              ? `traffic of ${input.name} is back on its own instances`
              : `traffic of ${input.name} goes to ${s.replicas.failover.backup}`,
          ),
          replicas: next.replicas!,
        };
      },
      shutdown: async (input, ctx) => {
        record('shutdown', input, ctx);
        return ok('shutting down');
      },
    };
  }
}
