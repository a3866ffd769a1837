/**
 * Output schemas of the contract's commands, where one is declared: the OpenAPI document shows
 * them as the real response schema and the contract tests check the real API's answers against
 * them. Each is checked at compile time against its type in views.ts, both ways, so the two
 * declarations cannot drift. Commands without one are documented as a JSON object.
 */
import { z } from 'zod';
import {
  BALANCE_MODES,
  BALANCE_STRATEGIES,
  DISPLAY_STATUSES,
  HEALTHS,
  LIFECYCLES,
  SCALE_METRICS,
} from './model.js';
import type {
  ActionResponse,
  OkResponse,
  RegisterResponse,
  ReplicaActionResponse,
  WatchResponse,
} from './views.js';

/** Compiles only when the schema's output is the view type exactly (both directions). */
function matches<T>() {
  return <S extends z.ZodType>(
    schema: S & ([z.output<S>] extends [T] ? ([T] extends [z.output<S>] ? unknown : never) : never),
  ): S => schema;
}

export const okResponse = matches<OkResponse>()(
  z.object({ success: z.literal(true), message: z.string() }),
);

const count = z.number().int().min(0);

const actionFields = {
  success: z.literal(true),
  service: z.string(),
  status: z.enum(DISPLAY_STATUSES),
  lifecycle: z.enum(LIFECYCLES),
  restart_count: count,
  last_restart: z.string().nullable(),
  message: z.string(),
};

export const actionResponse = matches<ActionResponse>()(z.object(actionFields));

export const registerResponse = matches<RegisterResponse>()(
  z.object({
    success: z.literal(true),
    service: z.string(),
    heartbeat_interval_ms: z.number().int().min(0),
    message: z.string(),
  }),
);

const strings = z.array(z.string()).readonly();

export const watchResponse = matches<WatchResponse>()(
  z.object({
    success: z.literal(true),
    service: z.string(),
    watch: z.object({
      enabled: z.boolean(),
      state: z.enum(['watching', 'off', 'paused', 'running_command', 'restarting']),
      paths: strings,
      ignore: strings,
      action: z.enum(['restart', 'run']),
      run: z.string().nullable(),
      debounce_ms: z.number().int().min(0),
      gitignore: z.boolean(),
      paused_reason: z.string().nullable(),
      last_change: z
        .object({
          at: z.string(),
          files: z.object({ paths: strings, count: z.number().int().min(0) }),
        })
        .nullable(),
      last_error: z.string().nullable(),
      restarts: z.number().int().min(0),
    }),
    message: z.string(),
  }),
);

const probeResult = z.object({
  ok: z.boolean(),
  timedOut: z.boolean(),
  latencyMs: z.number().min(0),
  probe: z.enum(['http', 'tcp', 'exec', 'log', 'process', 'default']),
  detail: z.string(),
  ts: z.number(),
});

const breaker = z.object({
  state: z.enum(['closed', 'open', 'half-open']),
  failures: count,
  reason: z.string().nullable(),
  nextTrialAt: z.number().nullable(),
  trips: count,
});

const instance = z.object({
  id: z.string(),
  index: count,
  status: z.enum(DISPLAY_STATUSES),
  lifecycle: z.enum(LIFECYCLES),
  health: z.enum(HEALTHS),
  pid: z.number().int().nullable(),
  port: z.number().int().nullable(),
  generation: count,
  restart_count: count,
  last_error: z.string().nullable(),
  since: z.string(),
  started_at: z.string().nullable(),
  last_check: probeResult.nullable(),
  breaker,
  in_pool: z.boolean(),
  draining: z.boolean(),
  ejected: z.boolean(),
  active: count,
  requests: count,
  errors: count,
  latency_p50_ms: z.number().min(0).nullable(),
  latency_p95_ms: z.number().min(0).nullable(),
  cpu_percent: z.number().min(0).nullable(),
  rss_bytes: z.number().min(0).nullable(),
});

const balancer = z.object({
  host: z.string(),
  port: z.number().int().nullable(),
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
});

const failover = z.object({
  backup: z.string(),
  route: z.enum(['primary', 'backup']),
  pinned: z.boolean(),
  failback_after_ms: count,
  last_change: z.string().nullable(),
});

const scale = z.object({
  min: count,
  max: count,
  metric: z.enum(SCALE_METRICS).nullable(),
  target: z.number().nullable(),
  cooldown_ms: count.nullable(),
  window_ms: count.nullable(),
  last_decision: z
    .object({ at: z.string(), from: count, to: count, reason: z.string() })
    .nullable(),
});

/** `scaleService` and `failoverService`: the action and the service's instances after it. */
export const replicaActionResponse = matches<ReplicaActionResponse>()(
  z.object({
    ...actionFields,
    replicas: z.object({
      desired: count,
      ready: count,
      min_ready: count,
      instances: z.array(instance).readonly(),
      balancer: balancer.nullable(),
      failover: failover.nullable(),
      scale,
      rollout: z
        .object({ kind: z.enum(['restart', 'scale', 'update']), done: count, total: count })
        .nullable(),
    }),
  }),
);
