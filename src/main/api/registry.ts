/**
 * External services that register themselves over the API (`POST /orchestrator/register`) and keep
 * themselves alive with heartbeats. Vigil does not run their process: it probes `url + health_path`
 * when given and marks them unhealthy when two heartbeat intervals pass without a heartbeat.
 */
import path from 'node:path';
import { DEFAULT_HEALTH, type ServiceSpec } from '../../shared/model.js';
import { VigilError } from '../../shared/errors.js';
import type { OkResponse, RegisterResponse } from '../../shared/views.js';
import type { Supervisor } from '../core/supervisor.js';
import { ExternalRunner } from '../core/runtime/external-runner.js';
import type { Actor } from '../../shared/model.js';

export interface RegisterInput {
  name: string;
  url: string;
  health_path?: string | undefined;
  heartbeat_interval?: number | undefined;
  version?: string | undefined;
  capabilities?: readonly string[] | undefined;
  depends_on?: readonly string[] | undefined;
}

export interface Registry {
  register(input: RegisterInput): RegisterResponse;
  heartbeat(name: string): OkResponse;
  deregister(name: string, actor: Actor): OkResponse;
}

export const DEFAULT_HEARTBEAT_MS = 30_000;

export function externalSpec(sup: Supervisor, input: RegisterInput): ServiceSpec {
  const url = new URL(input.url);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const interval = input.heartbeat_interval ?? DEFAULT_HEARTBEAT_MS;
  const healthPath = input.health_path ?? null;
  const basePath = url.pathname.replace(/\/$/, '');
  return {
    name: input.name,
    command: { kind: 'argv', argv: [] },
    cwd: path.dirname(sup.config.file),
    env: {},
    secretEnv: [],
    port,
    priority: 'medium',
    required: false,
    launch: 'parallel',
    ...(input.version !== undefined ? { version: input.version } : {}),
    capabilities: input.capabilities ?? [],
    dependsOn: (input.depends_on ?? []).map((n) => ({
      name: n,
      condition: 'started' as const,
      optional: true,
    })),
    health: {
      probe:
        healthPath !== null
          ? {
              type: 'http',
              host: url.hostname,
              port,
              path: basePath + healthPath,
              expectStatus: 200,
              headers: {},
            }
          : { type: 'process' },
      intervalMs: Math.min(interval, sup.config.settings.healthCheckIntervalMs),
      timeoutMs: sup.config.settings.healthCheckTimeoutMs,
      failureThreshold: 1,
      recoveryThreshold: 1,
      startPeriodMs: 0,
      startIntervalMs: DEFAULT_HEALTH.startIntervalMs,
    },
    restart: { policy: 'never', backoffMs: [0], jitter: 0 },
    recovery: 'degraded',
    stop: { signal: 'SIGTERM', timeoutMs: 0 },
    oneshot: false,
    limits: {},
    maxRestartAttempts: 0,
    startupTimeoutMs: sup.config.settings.startupTimeoutMs,
  };
}

export function registry(sup: Supervisor): Registry {
  return {
    register(input) {
      const url = new URL(input.url);
      if (url.username || url.password) {
        throw new VigilError('BAD_REQUEST', 'the url must not carry credentials', { field: 'url' });
      }
      const spec = externalSpec(sup, input);
      const interval = input.heartbeat_interval ?? DEFAULT_HEARTBEAT_MS;
      sup.addExternal(spec, {
        url: input.url,
        healthPath: input.health_path ?? null,
        intervalMs: interval,
      });
      return {
        success: true,
        service: input.name,
        heartbeat_interval_ms: interval,
        message: `Service '${input.name}' registered; send POST /orchestrator/heartbeat/${input.name} at least every ${Math.round(interval / 1000)}s`,
      };
    },
    heartbeat(name) {
      const r = sup.runner(name);
      if (!(r instanceof ExternalRunner))
        throw new VigilError('CONFLICT', `${name} is not a registered service`);
      r.heartbeat();
      return { success: true, message: `heartbeat from '${name}' recorded` };
    },
    deregister(name, actor) {
      sup.removeExternal(name, { kind: 'manual', message: 'deregistered over the API', by: actor });
      return {
        success: true,
        message: `Service '${name}' deregistered and removed from the graph`,
      };
    },
  };
}
