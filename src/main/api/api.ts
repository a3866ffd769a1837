/**
 * The supervisor behind the API contract: one implementation of `VigilApi`, served unchanged by
 * every transport (in-process, IPC, REST + WebSocket). Inputs arrive validated by the contract.
 */
import os from 'node:os';
import type { CallContext, VigilApi } from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { Actor, Reason } from '../../shared/model.js';
import { displayStatus } from '../../shared/model.js';
import type {
  ActionResponse,
  HealthStatusResponse,
  ReloadResponse,
  StatsResponse,
} from '../../shared/views.js';
import type { StatusResponse } from '../../shared/views.js';
import type { VigilEvent } from '../../shared/events.js';
import { formatDuration } from '../../shared/duration.js';
import type { Supervisor } from '../core/supervisor.js';
import { ReplicaSet, mergeHealthSeries } from '../core/replicas/index.js';
import {
  compositeHealth,
  dependenciesView,
  allServiceViews,
  replicasView,
  serviceDetail,
  statusSnapshot,
} from './views.js';
import {
  buildReport,
  parseTimeBound,
  renderReport,
  reportSourceFromHistory,
} from '../report/index.js';
import { systemTotals } from '../core/resources/index.js';
import { registry } from './registry.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface ApiHost {
  /** Stop the stack and exit (the `shutdown` command, `vigil down`). */
  shutdown(): void;
  /** Re-read the stack file and apply the difference. */
  reload(actor: Actor): Promise<ReloadResponse>;
}

function actorName(actor: Actor): string {
  return actor === 'ui'
    ? 'the UI'
    : actor === 'cli'
      ? 'the CLI'
      : actor === 'api'
        ? 'the API'
        : 'Vigil';
}

function manual(actor: Actor, what: string): Reason {
  return { kind: 'manual', message: `${what} from ${actorName(actor)}`, by: actor };
}

export interface EventSource {
  snapshot(): StatusResponse;
  subscribe(listener: (ev: VigilEvent) => void): () => void;
}

export function eventSource(sup: Supervisor): EventSource {
  return { snapshot: () => statusSnapshot(sup), subscribe: (l) => sup.subscribe(l) };
}

export function createApi(sup: Supervisor, host: ApiHost): VigilApi {
  const action = (name: string, message: string): ActionResponse => {
    const r = sup.runner(name);
    return {
      success: true,
      service: name,
      status: displayStatus(r.lifecycle, r.health),
      lifecycle: r.lifecycle,
      restart_count: r.restartCount,
      last_restart: r.lastRestart ? new Date(r.lastRestart.ts).toISOString() : null,
      message,
    };
  };
  const range = (
    since: string | number | undefined,
    until: string | number | undefined,
    defSince: number,
  ) => {
    const now = sup.clock.wallNow();
    const u = parseTimeBound(until, now, now);
    const s = parseTimeBound(since, now, defSince);
    if (s > u) throw new VigilError('BAD_REQUEST', '`since` is after `until`', { field: 'since' });
    return { since: s, until: u };
  };
  const uptimeWindows = (service: string) => {
    const now = sup.clock.wallNow();
    const pct = (w: number) =>
      sup.store?.uptimePct(service, { since: now - w, until: now }) ?? null;
    return { '1h': pct(HOUR), '24h': pct(DAY), '7d': pct(7 * DAY) };
  };

  const api: VigilApi = {
    getStatus: async () => statusSnapshot(sup),
    listServices: async () => {
      const services = allServiceViews(sup);
      const a = sup.assess();
      return {
        success: true,
        total_services: services.length,
        services,
        is_ready: a.ready,
        initialized: sup.runId !== null,
      };
    },
    getService: async ({ name }) => serviceDetail(sup, sup.runner(name)),
    getServiceHistory: async ({ name, since, until, points }) => {
      const unit = sup.runner(name);
      const r = range(since, until, sup.clock.wallNow() - HOUR);
      const n = points ?? 120;
      // A replicated service's probes are its instances'.
      const probed = unit instanceof ReplicaSet ? unit.instances().map((s) => s.id) : [name];
      const series = mergeHealthSeries(
        probed.map((id) => sup.store?.healthSeries(id, { ...r, points: n }) ?? []),
      );
      const health = series.map((b) => ({
        ts: b.ts,
        count: b.count,
        ok: b.ok,
        failed: b.failed,
        timed_out: b.timedOut,
        latency_avg_ms: b.latencyAvg,
        latency_max_ms: b.latencyMax,
      }));
      const resources = (sup.store?.resourceSeries(name, { ...r, points: n }) ?? []).map((b) => ({
        ts: b.ts,
        cpu_percent: b.cpuAvg,
        rss_bytes: b.rssAvg,
      }));
      const restarts = [...new Set([name, ...probed])]
        .flatMap((id) => sup.store?.healing({ service: id, ...r, limit: 1000 }) ?? [])
        .sort((x, y) => x.ts - y.ts)
        .filter(
          (e) =>
            e.action === 'restart' ||
            e.action === 'graceful_restart' ||
            e.action === 'dependency_restart',
        )
        .map((e) => ({ ts: e.ts, reason: e.reason, action: e.action }));
      return {
        success: true,
        service: name,
        since: r.since,
        until: r.until,
        health,
        resources,
        restarts,
      };
    },
    getHealthStatus: async () => {
      const views = allServiceViews(sup);
      const a = sup.assess();
      const services: Record<string, HealthStatusResponse['services'][string]> = {};
      let cpu = 0;
      let rss = 0;
      for (const v of views) {
        services[v.name] = {
          status: v.status,
          health: v.health,
          last_check: v.last_check,
          consecutive_failures: v.consecutive_failures,
          uptime_1h: v.metrics.uptime_percentage,
        };
        cpu += v.metrics.cpu_percent ?? 0;
        rss += v.metrics.rss_bytes ?? 0;
      }
      const totals = systemTotals();
      return {
        success: true,
        status: a.state === 'healthy' ? 'ok' : a.state,
        composite_health: compositeHealth(views),
        system: a.state,
        services,
        unhealthy_services: views
          .filter(
            (v) => v.status === 'unhealthy' || v.status === 'timeout' || v.status === 'quarantined',
          )
          .map((v) => v.name),
        degraded_services: views.filter((v) => v.status === 'degraded').map((v) => v.name),
        resources: {
          cpu_count: totals.cpuCount,
          total_memory_bytes: totals.totalMemBytes,
          load_average: totals.loadAvg,
          services_cpu_percent: Math.round(cpu * 10) / 10,
          services_rss_bytes: rss,
          supervisor_rss_bytes: process.memoryUsage.rss(),
        },
      };
    },
    getDependencies: async () => dependenciesView(sup),
    getHealingHistory: async ({ limit, service, since, until }) => {
      if (service !== undefined) sup.runner(service);
      const now = sup.clock.wallNow();
      const events =
        sup.store?.healing({
          limit: limit ?? 100,
          ...(service !== undefined ? { service } : {}),
          ...(since !== undefined ? { since: parseTimeBound(since, now, 0) } : {}),
          ...(until !== undefined ? { until: parseTimeBound(until, now, now) } : {}),
        }) ?? [];
      return { success: true, events };
    },
    restartService: async ({ name, force, all_at_once, instance }, ctx: CallContext) => {
      const why = manual(ctx.actor, force ? 'forced restart' : 'restart');
      const unit = sup.runner(name);
      if (instance !== undefined) {
        const id = await sup.replicaSet(name).restartInstance(instance, why, force ?? false);
        return action(name, `Instance '${id}' restarted`);
      }
      if (unit instanceof ReplicaSet) {
        const how = await unit.restart(why, {
          force: force ?? false,
          allAtOnce: all_at_once ?? false,
        });
        return action(name, `Service '${name}' restarted (${how})`);
      }
      await unit.restart(why, { force: force ?? false });
      return action(name, `Service '${name}' restarted`);
    },
    startService: async ({ name }, ctx) => {
      await sup.runner(name).start(manual(ctx.actor, 'start'));
      return action(name, `Service '${name}' starting`);
    },
    stopService: async ({ name }, ctx) => {
      await sup.runner(name).stop(manual(ctx.actor, 'stop'));
      return action(name, `Service '${name}' stopped`);
    },
    quarantineService: async ({ name, reason }, ctx) => {
      const why = manual(ctx.actor, 'quarantine');
      await sup
        .runner(name)
        .quarantine(reason ? { ...why, message: `${why.message}: ${reason}` } : why);
      return action(name, `Service '${name}' quarantined`);
    },
    releaseService: async ({ name }, ctx) => {
      await sup.runner(name).release(manual(ctx.actor, 'release'));
      return action(name, `Service '${name}' released`);
    },
    startAll: async (_input, ctx) => {
      void sup.startAll(manual(ctx.actor, 'start all'));
      return { success: true, message: `starting ${sup.runners.size} services` };
    },
    stopAll: async (_input, ctx) => {
      await sup.stopAll(manual(ctx.actor, 'stop all'));
      return { success: true, message: `stopped ${sup.runners.size} services` };
    },
    checkHealthNow: async () => {
      const entries = await Promise.all(
        [...sup.runners.values()].map(async (r) => [r, await r.checkNow()] as const),
      );
      const results: Record<
        string,
        import('../../shared/views.js').CheckNowResponse['results'][string]
      > = {};
      for (const [r, res] of entries) {
        const ts = new Date(res?.ts ?? sup.clock.wallNow()).toISOString();
        results[r.name] = {
          service_name: r.name,
          status: r.health,
          timestamp: ts,
          message: res
            ? res.ok
              ? `Service health check passed: ${res.detail}`
              : `Service health check failed: ${res.detail}`
            : `not probed: ${r.name} is ${r.lifecycle}`,
          response_time_ms: res ? Math.round(res.latencyMs * 10) / 10 : 0,
          ok: res?.ok ?? false,
          probe: res?.probe ?? r.spec.health.probe.type,
        };
      }
      const views = allServiceViews(sup);
      return {
        success: true,
        timestamp: new Date(sup.clock.wallNow()).toISOString(),
        composite_health: compositeHealth(views),
        results,
      };
    },
    getStats: async () => {
      const views = allServiceViews(sup);
      const details: Record<string, StatsResponse['service_details'][string]> = {};
      const now = sup.clock.wallNow();
      let mttrSum = 0;
      let mttrN = 0;
      for (const r of sup.runners.values()) {
        const s = sup.store?.serviceStats(r.name, {
          since: sup.startedAtWall - 7 * DAY,
          until: now,
        });
        if (s?.mttrMs !== null && s?.mttrMs !== undefined) {
          mttrSum += s.mttrMs * Math.max(1, s.outages);
          mttrN += Math.max(1, s.outages);
        }
        details[r.name] = {
          restarts: r.restartCount,
          mttr_ms: s?.mttrMs ?? null,
          longest_outage_ms: s?.longestOutageMs ?? 0,
          uptime_percentage: uptimeWindows(r.name),
          breaker_trips: s?.breakerTrips ?? r.healing.breaker.trips,
          quarantines: s?.quarantines ?? 0,
        };
      }
      const avg = (k: '1h' | '24h' | '7d') => {
        const vals = Object.values(details)
          .map((d) => d.uptime_percentage[k])
          .filter((v): v is number => v !== null);
        return vals.length
          ? Math.round((vals.reduce((a, b) => a + b, 0) / vals.length) * 100) / 100
          : null;
      };
      const a = sup.assess();
      return {
        success: true,
        metrics: {
          total_services: views.length,
          running_services: views.filter(
            (v) => v.lifecycle === 'running' || v.lifecycle === 'starting',
          ).length,
          healthy_services: views.filter((v) => v.status === 'healthy').length,
          unhealthy_services: views.filter(
            (v) => v.status === 'unhealthy' || v.status === 'timeout',
          ).length,
          failed_services: views.filter((v) => v.lifecycle === 'failed').length,
          stopped_services: views.filter(
            (v) => v.lifecycle === 'stopped' || v.lifecycle === 'completed',
          ).length,
          quarantined_services: views.filter((v) => v.lifecycle === 'quarantined').length,
          total_restarts: views.reduce((n, v) => n + v.restart_count, 0),
          is_ready: a.ready,
          initialized: sup.runId !== null,
          uptime_ms: Math.round(sup.clock.now() - sup.startedAtMono),
          mttr_ms: mttrN ? Math.round(mttrSum / mttrN) : null,
          uptime_percentage: { '1h': avg('1h'), '24h': avg('24h'), '7d': avg('7d') },
        },
        service_details: details,
      };
    },
    getLogs: async ({ name, tail, since, instance }) => {
      const r = sup.runner(name);
      const only = instance === undefined ? null : sup.replicaSet(name).instanceId(instance);
      const entries = r.logs.read({
        ...(since !== undefined ? { since } : {}),
        limit: tail ?? (since !== undefined ? 1000 : 200),
        ...(only !== null ? { instance: only } : {}),
      });
      const lastSeq = entries.length ? entries[entries.length - 1]!.seq : (since ?? 0);
      return {
        success: true,
        service: name,
        lines: entries.map((e) => ({
          seq: e.seq,
          ts: e.ts,
          stream: e.stream,
          line: e.line,
          ...(e.instance !== undefined ? { instance: e.instance } : {}),
        })),
        last_seq: lastSeq,
        file: r.logs.file,
      };
    },
    getReport: async ({ format, since, until }) => {
      const r = range(since, until, sup.startedAtWall);
      const store = sup.store;
      if (!store)
        throw new VigilError('NOT_RUNNING', 'no history store: reports need the SQLite history');
      store.flush();
      const data = buildReport(
        reportSourceFromHistory(store, {
          name: sup.config.name,
          file: sup.config.file,
          services: [...sup.runners.keys()],
        }),
        r,
        sup.clock.wallNow(),
      );
      const out = renderReport(data, format ?? 'md');
      return {
        format: format ?? 'md',
        content_type: out.contentType,
        filename: out.filename,
        body: out.body,
      };
    },
    reload: async (_input, ctx) => host.reload(ctx.actor),
    setWatch: async ({ name, enabled }, ctx) => {
      sup.runner(name);
      const watch = await sup.watch.setEnabled(name, enabled, `from ${actorName(ctx.actor)}`);
      return {
        success: true,
        service: name,
        watch,
        message: `file watch of ${name} ${enabled ? 'on' : 'off'}`,
      };
    },
    scaleService: async ({ name, replicas }, ctx) => {
      const set = sup.replicaSet(name);
      const message = await set.scaleTo(replicas, manual(ctx.actor, `scale to ${replicas}`));
      return { ...action(name, message), replicas: replicasView(sup, set) };
    },
    failoverService: async ({ name, back }, ctx) => {
      const set = sup.replicaSet(name);
      const message = set.manualFailover(
        back ?? false,
        manual(ctx.actor, back ? 'failback' : 'failover'),
      );
      return { ...action(name, message), replicas: replicasView(sup, set) };
    },
    register: async (input) => registry(sup).register(input),
    heartbeat: async ({ name }) => registry(sup).heartbeat(name),
    deregister: async ({ name }, ctx) => registry(sup).deregister(name, ctx.actor),
    shutdown: async () => {
      setImmediate(() => host.shutdown());
      return { success: true, message: `stopping ${sup.runners.size} services, then exiting` };
    },
  };
  return api;
}

export { formatDuration, os };
