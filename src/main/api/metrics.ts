/** `GET /metrics`: the supervisor's state in the Prometheus text exposition format (0.0.4). */
import { HEALTHS } from '../../shared/model.js';
import type { Supervisor } from '../core/supervisor.js';

const esc = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export function prometheusMetrics(sup: Supervisor): string {
  const lines: string[] = [];
  const family = (
    name: string,
    type: 'gauge' | 'counter',
    help: string,
    samples: [string, number][],
  ): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples)
      lines.push(`${name}${labels} ${Number.isFinite(value) ? value : 'NaN'}`);
  };
  const runners = [...sup.runners.values()];
  const l = (name: string, extra = ''): string => `{service="${esc(name)}"${extra}}`;
  family(
    'vigil_service_up',
    'gauge',
    'Whether the service process is running (1) or not (0).',
    runners.map((r) => [l(r.name), r.pid !== null ? 1 : 0]),
  );
  family(
    'vigil_service_health',
    'gauge',
    'Health state of the service (1 for the current state).',
    runners.flatMap((r) =>
      HEALTHS.map((h): [string, number] => [l(r.name, `,state="${h}"`), r.health === h ? 1 : 0]),
    ),
  );
  family(
    'vigil_service_restarts_total',
    'counter',
    'Restarts of the service since Vigil started.',
    runners.map((r) => [l(r.name), r.restartCount]),
  );
  family(
    'vigil_service_restart_attempts',
    'gauge',
    'Restart attempts in the current failure streak.',
    runners.map((r) => [l(r.name), r.healing.attempts]),
  );
  family(
    'vigil_service_quarantined',
    'gauge',
    'Whether the service is quarantined.',
    runners.map((r) => [l(r.name), r.lifecycle === 'quarantined' ? 1 : 0]),
  );
  family(
    'vigil_service_breaker_open',
    'gauge',
    'Whether the circuit breaker is open (1), half-open (0.5) or closed (0).',
    runners.map((r) => [
      l(r.name),
      r.healing.breaker.state === 'open' ? 1 : r.healing.breaker.state === 'half-open' ? 0.5 : 0,
    ]),
  );
  family(
    'vigil_probe_latency_seconds',
    'gauge',
    'Latency of the last health probe.',
    runners.filter((r) => r.lastProbe).map((r) => [l(r.name), r.lastProbe!.latencyMs / 1000]),
  );
  family(
    'vigil_service_cpu_percent',
    'gauge',
    'CPU use of the service process tree (100 = one core).',
    runners
      .filter((r) => r.metrics.cpuPercent !== null)
      .map((r) => [l(r.name), r.metrics.cpuPercent!]),
  );
  family(
    'vigil_service_memory_bytes',
    'gauge',
    'Resident memory of the service process tree.',
    runners.filter((r) => r.metrics.rssBytes !== null).map((r) => [l(r.name), r.metrics.rssBytes!]),
  );
  const state = sup.systemState();
  family(
    'vigil_system_state',
    'gauge',
    'System state (1 for the current state).',
    (['healthy', 'degraded', 'critical'] as const).map((s) => [
      `{state="${s}"}`,
      state === s ? 1 : 0,
    ]),
  );
  family('vigil_uptime_seconds', 'gauge', 'Seconds since Vigil started.', [
    ['', Math.round(sup.clock.now() - sup.startedAtMono) / 1000],
  ]);
  family('vigil_supervisor_memory_bytes', 'gauge', 'Resident memory of the Vigil process.', [
    ['', process.memoryUsage.rss()],
  ]);
  return lines.join('\n') + '\n';
}
