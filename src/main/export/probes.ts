/**
 * Vigil probes as Kubernetes probe handlers and Compose health checks. A probe that has no
 * equivalent returns no handler and a note saying so; one whose meaning shifts returns a note too.
 */
import {
  DEFAULT_HEALTH,
  type CommandSpec,
  type HealthSpec,
  type ProbeSpec,
} from '../../shared/model.js';
import { formatMs, seconds } from './names.js';

export interface K8sHandler {
  readonly handler?: Readonly<Record<string, unknown>>;
  readonly notes: readonly string[];
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0']);

export function argvOf(cmd: CommandSpec): string[] {
  return cmd.kind === 'argv' ? [...cmd.argv] : ['sh', '-c', cmd.script];
}

function hostNote(host: string, what: string): string[] {
  return LOOPBACK_HOSTS.has(host)
    ? []
    : [`the ${what} probe's host ${host} is dropped: Kubernetes probes the pod itself`];
}

/** The handler part of a probe (httpGet, tcpSocket or exec). */
export function k8sHandler(probe: ProbeSpec): K8sHandler {
  switch (probe.type) {
    case 'http': {
      const headers = Object.entries(probe.headers).map(([name, value]) => ({ name, value }));
      const notes = hostNote(probe.host, 'http');
      if (probe.expectStatus !== 200)
        notes.push(
          `expect_status ${probe.expectStatus} is not kept: Kubernetes counts any status from 200 to 399 as success`,
        );
      return {
        handler: {
          httpGet: {
            path: probe.path,
            port: probe.port,
            ...(headers.length > 0 ? { httpHeaders: headers } : {}),
          },
        },
        notes,
      };
    }
    case 'tcp':
      return { handler: { tcpSocket: { port: probe.port } }, notes: hostNote(probe.host, 'tcp') };
    case 'exec':
      return {
        handler: { exec: { command: argvOf(probe.command) } },
        notes: ['the exec probe runs inside the container: the image needs what the command uses'],
      };
    case 'log':
      return {
        notes: [
          `the log probe (/${probe.pattern}/) has no Kubernetes equivalent: the pod counts as ready once it runs; add an http, tcp or exec health check`,
        ],
      };
    case 'process':
      return { notes: [] };
    case 'default':
      return {
        handler: { tcpSocket: { port: probe.port } },
        notes: [
          `the default probe (GET /health, /api/health, /status, /ping, then a TCP connect) becomes a TCP check of port ${probe.port}; set health.http to probe a path`,
        ],
      };
  }
}

export interface K8sProbes {
  readonly readinessProbe?: Record<string, unknown>;
  readonly startupProbe?: Record<string, unknown>;
  readonly livenessProbe?: Record<string, unknown>;
  readonly notes: readonly string[];
}

/**
 * health -> readinessProbe (and a startupProbe that allows the start period and startup timeout),
 * liveness -> livenessProbe. Sub-second durations are rounded up to whole seconds, with a note.
 */
export function k8sProbes(
  health: HealthSpec,
  liveness: HealthSpec | undefined,
  startupTimeoutMs: number,
): K8sProbes {
  const notes: string[] = [];
  const timing = (h: HealthSpec, what: string) => {
    const period = seconds(h.intervalMs);
    const timeout = seconds(h.timeoutMs);
    if (period.rounded)
      notes.push(`${what} interval ${formatMs(h.intervalMs)} is rounded up to ${period.value}s`);
    if (timeout.rounded)
      notes.push(`${what} timeout ${formatMs(h.timeoutMs)} is rounded up to ${timeout.value}s`);
    return { periodSeconds: period.value, timeoutSeconds: timeout.value };
  };
  const out: {
    readinessProbe?: Record<string, unknown>;
    startupProbe?: Record<string, unknown>;
    livenessProbe?: Record<string, unknown>;
  } = {};
  const ready = k8sHandler(health.probe);
  notes.push(...ready.notes);
  if (ready.handler !== undefined) {
    out.readinessProbe = {
      ...ready.handler,
      ...timing(health, 'health'),
      failureThreshold: health.failureThreshold,
      successThreshold: health.recoveryThreshold,
    };
    // Until the first success: probed every start_interval, for as long as the service may take.
    const start = seconds(health.startIntervalMs);
    const allowMs = Math.max(startupTimeoutMs, health.startPeriodMs);
    out.startupProbe = {
      ...ready.handler,
      periodSeconds: start.value,
      timeoutSeconds: seconds(health.timeoutMs).value,
      failureThreshold: Math.max(1, Math.ceil(allowMs / (start.value * 1000))),
      successThreshold: 1,
    };
    // The default start_interval (200ms) rounds up on every service: said once, in the docs.
    if (start.rounded && health.startIntervalMs !== DEFAULT_HEALTH.startIntervalMs)
      notes.push(
        `start_interval ${formatMs(health.startIntervalMs)} is rounded up to ${start.value}s in the startupProbe`,
      );
  }
  if (liveness !== undefined) {
    const live = k8sHandler(liveness.probe);
    notes.push(...live.notes.map((n) => `liveness: ${n}`));
    if (live.handler !== undefined) {
      out.livenessProbe = {
        ...live.handler,
        ...timing(liveness, 'liveness'),
        failureThreshold: liveness.failureThreshold,
        successThreshold: 1,
      };
    }
  }
  return { ...out, notes };
}

export interface ComposeHealth {
  readonly healthcheck?: Readonly<Record<string, unknown>>;
  readonly notes: readonly string[];
}

/** A Compose healthcheck: it runs inside the container, so http and tcp checks need wget or nc there. */
export function composeHealthcheck(health: HealthSpec): ComposeHealth {
  const p = health.probe;
  const wait = Math.max(1, Math.ceil(health.timeoutMs / 1000));
  let test: string[] | undefined;
  const notes: string[] = [];
  switch (p.type) {
    case 'http':
      test = [
        'CMD-SHELL',
        `wget -q -T ${wait} -O /dev/null http://127.0.0.1:${p.port}${p.path} || exit 1`,
      ];
      notes.push('the http health check runs `wget` inside the container: the image needs it');
      if (p.expectStatus !== 200 || Object.keys(p.headers).length > 0)
        notes.push(
          'expect_status and headers of the http probe are not kept: wget accepts any 2xx answer',
        );
      notes.push(
        ...hostNote(p.host, 'http').map((n) => n.replace('Kubernetes', 'the health check')),
      );
      break;
    case 'tcp':
    case 'default':
      test = ['CMD-SHELL', `nc -z -w ${wait} 127.0.0.1 ${p.port} || exit 1`];
      notes.push(
        p.type === 'default'
          ? `the default probe becomes \`nc -z\` on port ${p.port} inside the container (the image needs nc); set health.http to probe a path`
          : 'the tcp health check runs `nc -z` inside the container: the image needs it',
      );
      break;
    case 'exec':
      test =
        p.command.kind === 'argv' ? ['CMD', ...p.command.argv] : ['CMD-SHELL', p.command.script];
      break;
    case 'log':
      notes.push(
        `the log probe (/${p.pattern}/) has no Compose equivalent: no healthcheck is written`,
      );
      break;
    case 'process':
      break;
  }
  if (test === undefined) return { notes };
  return {
    healthcheck: {
      test,
      interval: formatMs(health.intervalMs),
      timeout: formatMs(health.timeoutMs),
      retries: health.failureThreshold,
      ...(health.startPeriodMs > 0 ? { start_period: formatMs(health.startPeriodMs) } : {}),
      start_interval: formatMs(health.startIntervalMs),
    },
    notes,
  };
}
