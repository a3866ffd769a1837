/**
 * Builds the wire views of src/shared/views.ts from the supervisor's live state and its history.
 * Pure reads: nothing here changes state.
 */
import type { DisplayStatus, ProbeResult, ServiceSpec } from '../../shared/model.js';
import { DISPLAY_STATUSES, MAX_INSTANCES, displayStatus } from '../../shared/model.js';
import type {
  DependenciesResponse,
  HistoryStatusView,
  NotReadyView,
  InstanceView,
  ReplicasView,
  ServiceDetailView,
  ServiceView,
  StatusResponse,
  SystemView,
} from '../../shared/views.js';
import { renderGraph } from '../core/graph/index.js';
import { missingOptional } from '../core/lifecycle/rules.js';
import type { Supervisor } from '../core/supervisor.js';
import type { ServiceUnit } from '../core/supervisor.js';
import { snapshotOf, type UnitSnapshot } from '../core/runtime/snapshot.js';
import { ReplicaSet, instanceReady } from '../core/replicas/index.js';
import type { HistoryStore } from '../core/store/index.js';

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

const HOUR = 3_600_000;

/** Every service's view: the probe counts of all of them come from one batched read. */
export function allServiceViews(sup: Supervisor): ServiceView[] {
  const now = sup.clock.wallNow();
  const counts = sup.store?.probeCountsAll({ since: now - HOUR, until: now });
  return [...sup.runners.values()].map((r) => serviceView(sup, r, counts));
}

/**
 * One service's view. `counts` are the probe counts of every service over the last hour when the
 * caller read them at once (`allServiceViews`); without them this service's are read.
 */
export function serviceView(
  sup: Supervisor,
  r: ServiceUnit,
  counts?: ReadonlyMap<string, { count: number; failed: number }>,
): ServiceView {
  return viewOf(sup, r, snapshotOf(r, sup.clock), counts);
}

/** A service's view from one snapshot of it (its replicas' from their own snapshots). */
function viewOf(
  sup: Supervisor,
  r: ServiceUnit,
  s: UnitSnapshot,
  counts?: ReadonlyMap<string, { count: number; failed: number }>,
): ServiceView {
  const node = sup.graph.nodes.get(s.name);
  const now = sup.clock.wallNow();
  // A snapshot builds this for every service: the uptime comes from the store's timeline cache.
  const range = { since: now - HOUR, until: now };
  const uptimePct = sup.store?.uptimePct(s.name, range) ?? null;
  const probes = probeCountsOf(sup, r, range, counts);
  const required = s.spec.dependsOn.filter((d) => !d.optional).map((d) => d.name);
  const optional = s.spec.dependsOn.filter((d) => d.optional).map((d) => d.name);
  return {
    name: s.name,
    status: displayStatus(s.lifecycle, s.health),
    lifecycle: s.lifecycle,
    health: s.health,
    pid: s.pid,
    generation: s.generation,
    port: s.spec.port ?? null,
    priority: s.spec.priority,
    required: s.spec.required,
    is_critical: s.spec.priority === 'critical',
    oneshot: s.spec.oneshot,
    registered: s.registered,
    phase: s.phase,
    restart_count: s.restartCount,
    restart_attempts: s.restartAttempts,
    last_restart: iso(s.lastRestart?.ts),
    last_restart_reason: s.lastRestart?.reason ?? null,
    last_error: s.lastError,
    blocked_by: [...s.blocked],
    next_attempt_at: iso(s.nextAttemptAt),
    since: new Date(s.since).toISOString(),
    started_at: iso(s.startedAt),
    consecutive_failures: s.consecutiveFailures,
    last_check: s.lastProbe,
    breaker: s.breaker,
    quarantine_reason: s.quarantineReason,
    version: s.spec.version ?? null,
    capabilities: s.spec.capabilities,
    dependencies: {
      required,
      optional,
      conditions: Object.fromEntries(s.spec.dependsOn.map((d) => [d.name, d.condition])),
      dependents: node ? [...node.dependents] : [],
      layer: s.phase,
    },
    metrics: {
      cpu_percent: s.metrics.cpuPercent,
      rss_bytes: s.metrics.rssBytes,
      processes: s.metrics.processes,
      uptime_percentage: uptimePct,
      avg_response_time_ms: null,
      probe_count: probes?.count ?? 0,
      probe_failures: probes?.failed ?? 0,
    },
    not_ready: notReady(s),
    started_without: stillWithout(sup, s),
    watch: sup.watch.view(s.name),
    replicas: r instanceof ReplicaSet ? replicasView(sup, r) : null,
  };
}

/** Whose probes a service's history holds: its own, or its instances' for a replicated one. */
function probedNames(r: ServiceUnit): string[] {
  return r instanceof ReplicaSet ? r.instances().map((s) => s.id) : [r.name];
}

function probeCountsOf(
  sup: Supervisor,
  r: ServiceUnit,
  range: { since: number; until: number },
  all: ReadonlyMap<string, { count: number; failed: number }> | undefined,
): { count: number; failed: number } | null {
  if (!sup.store) return null;
  let count = 0;
  let failed = 0;
  for (const id of probedNames(r)) {
    const c = all ? (all.get(id) ?? { count: 0, failed: 0 }) : sup.store.probeCounts(id, range);
    count += c.count;
    failed += c.failed;
  }
  return { count, failed };
}

/** Why a starting service is not ready yet (null unless it is starting). */
export function notReady(s: UnitSnapshot): NotReadyView | null {
  if (s.lifecycle !== 'starting') return null;
  const last = s.lastProbe;
  const failed = last !== null && !last.ok && s.health !== 'unknown';
  return {
    failed_checks: s.startFailures,
    last_failure: failed ? last.detail : null,
    startup_deadline: iso(s.startupDeadline),
  };
}

/** The optional dependencies the running instance started without that are still not there. */
function stillWithout(sup: Supervisor, s: UnitSnapshot): ServiceView['started_without'] {
  if (s.startedWithout.length === 0) return [];
  if (s.lifecycle !== 'starting' && s.lifecycle !== 'running') return [];
  const left = new Set(s.startedWithout.map((m) => m.service));
  return missingOptional(s.spec.dependsOn, (n) => sup.runners.get(n)?.facts()).filter((m) =>
    left.has(m.service),
  );
}

/** A replicated service's instances, balancer, failover and scaling (SPEC §11). */
export function replicasView(sup: Supervisor, set: ReplicaSet): ReplicasView {
  const traffic = new Map(set.trafficStats().map((t) => [t.id, t]));
  const instances: InstanceView[] = set.instances().map((slot) => {
    const r = snapshotOf(slot.runner, sup.clock);
    const t = traffic.get(slot.id);
    const ready = instanceReady(r);
    return {
      id: slot.id,
      index: slot.index,
      status: displayStatus(r.lifecycle, r.health),
      lifecycle: r.lifecycle,
      health: r.health,
      pid: r.pid,
      port: slot.port,
      generation: r.generation,
      restart_count: r.restartCount,
      last_error: r.lastError,
      since: new Date(r.since).toISOString(),
      started_at: iso(r.startedAt),
      last_check: r.lastProbe,
      breaker: r.breaker,
      in_pool: t ? t.ready && !t.draining : ready && slot.state === 'active',
      draining: slot.state === 'leaving' || (t?.draining ?? false),
      ejected: t?.ejected ?? false,
      active: t?.active ?? 0,
      requests: t?.requests ?? 0,
      errors: t?.errors ?? 0,
      latency_p50_ms: t?.latencyP50Ms ?? null,
      latency_p95_ms: t?.latencyP95Ms ?? null,
      cpu_percent: r.metrics.cpuPercent,
      rss_bytes: r.metrics.rssBytes,
    };
  });
  const b = set.balancerInfo();
  const stats = set.trafficStats();
  const total = stats.reduce((a, x) => a + x.requests, 0);
  const spec = set.spec;
  const fo = set.failoverInfo();
  const last = set.scaleInfo().last;
  const rollout = set.rolloutInfo();
  return {
    desired: set.wanted,
    ready: set.instances().filter((x) => x.state === 'active' && instanceReady(x.runner)).length,
    min_ready: set.minReady,
    instances,
    balancer: b
      ? {
          host: b.host,
          port: b.port,
          listening: b.listening,
          mode: spec.balance?.mode ?? 'http',
          strategy: spec.balance?.strategy ?? 'round_robin',
          weights: spec.balance?.weights ? [...spec.balance.weights] : null,
          split: stats.map((x) => ({
            id: x.id,
            pool: x.pool,
            requests: x.requests,
            share: total > 0 ? x.requests / total : 0,
          })),
          error: b.error,
        }
      : null,
    failover:
      spec.failover && fo
        ? {
            backup: spec.failover.backup,
            route: fo.route,
            pinned: fo.pinned,
            failback_after_ms: spec.failover.failbackAfterMs,
            last_change: iso(fo.changedAt),
          }
        : null,
    scale: {
      min: spec.scale?.min ?? 1,
      max: spec.scale?.max ?? Math.max(MAX_INSTANCES_VIEW(spec), set.wanted),
      metric: spec.scale?.metric ?? null,
      target: spec.scale?.target ?? null,
      cooldown_ms: spec.scale?.cooldownMs ?? null,
      window_ms: spec.scale?.windowMs ?? null,
      last_decision: last
        ? { at: new Date(last.at).toISOString(), from: last.from, to: last.to, reason: last.reason }
        : null,
    },
    rollout,
  };
}

/** The most instances a fixed-count service can be scaled to: its `ports:` list, else the cap. */
function MAX_INSTANCES_VIEW(spec: ServiceSpec): number {
  return spec.ports?.length ?? MAX_INSTANCES;
}

/** The definition as the API shows it: secret env values masked. */
export function specView(spec: ServiceSpec): Record<string, unknown> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env)) env[k] = spec.secretEnv.includes(k) ? '***' : v;
  return { ...spec, env };
}

export function serviceDetail(sup: Supervisor, r: ServiceUnit): ServiceDetailView {
  const s = snapshotOf(r, sup.clock);
  const base = viewOf(sup, r, s);
  const history: ProbeResult[] = probedNames(r)
    .flatMap((id) => sup.store?.probes(id, { limit: 100 }) ?? [])
    .sort((a, b) => b.ts - a.ts)
    .slice(0, 100)
    .map((p) => ({
      ok: p.ok,
      timedOut: p.timedOut,
      latencyMs: p.latencyMs,
      probe: p.probe,
      detail: p.detail,
      ts: p.ts,
    }));
  if (history.length === 0 && !sup.store && s.lastProbe) history.push(s.lastProbe);
  const avg =
    history.length > 0 ? history.reduce((a, p) => a + p.latencyMs, 0) / history.length : null;
  return {
    ...base,
    metrics: {
      ...base.metrics,
      avg_response_time_ms: avg === null ? null : Math.round(avg * 10) / 10,
    },
    spec: specView(s.spec),
    health_history: history,
    log_file: s.logFile,
  };
}

export function compositeHealth(views: readonly ServiceView[]): SystemView['composite_health'] {
  if (views.length === 0) return 'unknown';
  const active = views.filter((v) => v.status !== 'stopped');
  if (active.length === 0) return 'unknown';
  if (
    active.some(
      (v) => v.status === 'unhealthy' || v.status === 'timeout' || v.status === 'quarantined',
    )
  )
    return 'unhealthy';
  if (active.some((v) => v.status === 'degraded')) return 'degraded';
  return 'healthy';
}

/** Whether history is being saved (see HistoryStatusView); a run without a store saves none. */
export function historyView(store: HistoryStore | null): HistoryStatusView {
  if (!store) {
    return {
      state: 'memory',
      message: 'history is not being saved: this run has no history store',
      dropped_records: 0,
    };
  }
  const s = store.status();
  return { state: s.state, message: s.message, dropped_records: s.droppedRecords };
}

export function systemView(sup: Supervisor, views: readonly ServiceView[]): SystemView {
  const a = sup.assess();
  const counts = Object.fromEntries(DISPLAY_STATUSES.map((s) => [s, 0])) as Record<
    DisplayStatus,
    number
  >;
  for (const v of views) counts[v.status] += 1;
  return {
    name: sup.config.name,
    stack_file: sup.config.file,
    status: a.state,
    composite_health: compositeHealth(views),
    is_ready: a.ready,
    initialized: sup.runId !== null || sup.readyInMs !== null,
    started_at: new Date(sup.startedAtWall).toISOString(),
    uptime_ms: Math.round(sup.clock.now() - sup.startedAtMono),
    ready_in_ms: sup.readyInMs,
    counts,
    failing: a.failing,
    stopping: sup.stopping,
    history: historyView(sup.store),
    config_rollback: sup.configRollback
      ? {
          at: new Date(sup.configRollback.at).toISOString(),
          message: sup.configRollback.message,
        }
      : null,
  };
}

export function statusSnapshot(sup: Supervisor): StatusResponse {
  const services = allServiceViews(sup);
  return {
    success: true,
    system: systemView(sup, services),
    services,
    recent_healing: sup.store?.healing({ limit: 20 }) ?? [],
    last_status_event: sup.lastStatusEvent,
  };
}

export function dependenciesView(sup: Supervisor): DependenciesResponse {
  const g = sup.graph;
  const dependencies: Record<string, DependenciesResponse['dependencies'][string]> = {};
  const nodes: DependenciesResponse['nodes'][number][] = [];
  for (const [name, node] of g.nodes) {
    const r = sup.runners.get(name);
    nodes.push({
      name,
      phase: node.phase,
      status: r ? displayStatus(r.lifecycle, r.health) : 'stopped',
      required: node.required,
    });
    dependencies[name] = {
      dependencies: node.deps.filter((d) => !d.optional).map((d) => d.name),
      optional_dependencies: node.deps.filter((d) => d.optional).map((d) => d.name),
      dependents: [...node.dependents],
      layer: node.phase,
    };
  }
  return {
    success: true,
    nodes,
    edges: g.edges.map((e) => ({
      from: e.from,
      to: e.to,
      condition: e.condition,
      optional: e.optional,
    })),
    phases: g.phases,
    startup_order: g.startupOrder,
    shutdown_order: g.shutdownOrder,
    dependencies,
    visualization: renderGraph(g, 'text', { stackName: sup.config.name }),
  };
}
