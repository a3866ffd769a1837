/**
 * The API contract, declared once. Every command has a name, an HTTP method and path, a validated
 * input (path parameters, query and JSON body are merged into one object) and a typed output.
 * REST routes, the OpenAPI document, Electron IPC handlers, the preload bridge and every client
 * are built by iterating over this object; nothing is written by hand per command.
 */
import { z } from 'zod';
import { MAX_INSTANCES, SERVICE_NAME_MAX, SERVICE_NAME_RE, type Actor } from './model.js';
import { actionResponse, okResponse, registerResponse, watchResponse } from './outputs.js';
import {
  checkNowResponse,
  dependenciesResponse,
  healingHistoryResponse,
  healthStatusResponse,
  logsResponse,
  reloadResponse,
  replicaActionResponse,
  serviceDetailView,
  serviceHistoryResponse,
  servicesResponse,
  statsResponse,
  statusResponse,
} from './outputs-views.js';
import type {
  ActionResponse,
  CheckNowResponse,
  DependenciesResponse,
  HealingHistoryResponse,
  HealthStatusResponse,
  LogsResponse,
  OkResponse,
  RegisterResponse,
  ReplicaActionResponse,
  ReloadResponse,
  ReportResponse,
  ServiceDetailView,
  ServiceHistoryResponse,
  ServicesResponse,
  StatsResponse,
  StatusResponse,
  WatchResponse,
} from './views.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface CommandDef<I extends z.ZodType, O> {
  readonly method: HttpMethod;
  /** Express-style path; `:name` segments are filled from the input. */
  readonly path: string;
  readonly input: I;
  readonly summary: string;
  /** True when the command changes state (POST or DELETE; never reachable by GET). */
  readonly mutates: boolean;
  /**
   * How the output travels over HTTP; absent means a JSON body. Transports and the OpenAPI
   * document switch on this instead of on command names.
   */
  readonly response?: ResponseKind;
  /** Phantom field carrying the output type; never set at run time. */
  readonly __output?: O;
}

/**
 * An output that is a document (`{format, content_type, filename, body}`) sent over HTTP as an
 * attachment: the body as is, with its own content type and a file name.
 */
export interface AttachmentResponseKind {
  readonly kind: 'attachment';
  /** The input field that picks the format. */
  readonly formatField: string;
  /** Format -> media type; the first one is the default. */
  readonly formats: Readonly<Record<string, string>>;
  /** File name without extension when the server gives none. */
  readonly baseName: string;
}

/**
 * A JSON body (the default), with its output schema where one is declared (outputs.ts,
 * outputs-views.ts), or an attachment.
 */
export type ResponseKind =
  { readonly kind: 'json'; readonly schema?: z.ZodType } | AttachmentResponseKind;

export const JSON_RESPONSE: ResponseKind = { kind: 'json' };

/** The response kind of a command (JSON unless it says otherwise). */
export function responseKindOf(name: CommandName): ResponseKind {
  const def: CommandDef<z.ZodType, unknown> = contract[name];
  return def.response ?? JSON_RESPONSE;
}

function command<O>() {
  return <I extends z.ZodType>(def: Omit<CommandDef<I, O>, '__output'>): CommandDef<I, O> => def;
}

export const serviceName = z
  .string()
  .max(SERVICE_NAME_MAX)
  .regex(SERVICE_NAME_RE, 'service names are lowercase identifiers: [a-z0-9][a-z0-9_-]*');

const nameParam = z.object({ name: serviceName }).strict();
const empty = z.object({}).strict();
/** Query values arrive as strings; numbers are coerced and bounded. */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** A time bound: epoch ms, ISO date, or a duration back from now (`1h`, `30m`, `7d`). */
const timeBound = z.union([z.number(), z.string().max(64)]);

export const contract = {
  getStatus: command<StatusResponse>()({
    method: 'GET',
    path: '/orchestrator/status',
    input: empty,
    summary: 'Whole system: services, health, composite status, uptime, recent healing',
    mutates: false,
    response: { kind: 'json', schema: statusResponse },
  }),
  listServices: command<ServicesResponse>()({
    method: 'GET',
    path: '/orchestrator/services',
    input: empty,
    summary: 'Every service with its status',
    mutates: false,
    response: { kind: 'json', schema: servicesResponse },
  }),
  getService: command<ServiceDetailView>()({
    method: 'GET',
    path: '/orchestrator/services/:name',
    input: nameParam,
    summary:
      'One service: spec, states, health history (last 100), dependencies, dependents, phase, breaker, metrics',
    mutates: false,
    response: { kind: 'json', schema: serviceDetailView },
  }),
  getServiceHistory: command<ServiceHistoryResponse>()({
    method: 'GET',
    path: '/orchestrator/services/:name/history',
    input: z
      .object({
        name: serviceName,
        since: timeBound.optional(),
        until: timeBound.optional(),
        points: int(1, 2000).optional(),
      })
      .strict(),
    summary:
      'Health and resource history of one service, downsampled for charts, with restart markers',
    mutates: false,
    response: { kind: 'json', schema: serviceHistoryResponse },
  }),
  getHealthStatus: command<HealthStatusResponse>()({
    method: 'GET',
    path: '/orchestrator/health-status',
    input: empty,
    summary: 'System health metrics',
    mutates: false,
    response: { kind: 'json', schema: healthStatusResponse },
  }),
  getDependencies: command<DependenciesResponse>()({
    method: 'GET',
    path: '/orchestrator/dependencies',
    input: empty,
    summary: 'Nodes, edges, phases, startup and shutdown order, text rendering',
    mutates: false,
    response: { kind: 'json', schema: dependenciesResponse },
  }),
  getHealingHistory: command<HealingHistoryResponse>()({
    method: 'GET',
    path: '/orchestrator/healing-history',
    input: z
      .object({
        limit: int(1, 10_000).optional(),
        service: serviceName.optional(),
        since: timeBound.optional(),
        until: timeBound.optional(),
      })
      .strict(),
    summary: 'Healing events, newest first',
    mutates: false,
    response: { kind: 'json', schema: healingHistoryResponse },
  }),
  restartService: command<ActionResponse>()({
    method: 'POST',
    path: '/orchestrator/restart/:name',
    input: z
      .object({
        name: serviceName,
        force: z.boolean().optional(),
        all_at_once: z.boolean().optional(),
        instance: int(0, MAX_INSTANCES - 1).optional(),
      })
      .strict(),
    summary:
      'Restart a service; `force` overrides quarantine. A replicated service is replaced one instance at a time (`all_at_once` stops them all first); `instance` restarts only that one',
    mutates: true,
    response: { kind: 'json', schema: actionResponse },
  }),
  startService: command<ActionResponse>()({
    method: 'POST',
    path: '/orchestrator/start/:name',
    input: nameParam,
    summary: 'Start a stopped service',
    mutates: true,
    response: { kind: 'json', schema: actionResponse },
  }),
  stopService: command<ActionResponse>()({
    method: 'POST',
    path: '/orchestrator/stop/:name',
    input: nameParam,
    summary: 'Stop a service (no automatic restart until started again)',
    mutates: true,
    response: { kind: 'json', schema: actionResponse },
  }),
  quarantineService: command<ActionResponse>()({
    method: 'POST',
    path: '/orchestrator/quarantine/:name',
    input: z.object({ name: serviceName, reason: z.string().max(500).optional() }).strict(),
    summary: 'Stop a service and hold it in quarantine',
    mutates: true,
    response: { kind: 'json', schema: actionResponse },
  }),
  releaseService: command<ActionResponse>()({
    method: 'POST',
    path: '/orchestrator/release/:name',
    input: nameParam,
    summary: 'Release a quarantined service: reset its counters and start it again',
    mutates: true,
    response: { kind: 'json', schema: actionResponse },
  }),
  startAll: command<OkResponse>()({
    method: 'POST',
    path: '/orchestrator/start-all',
    input: empty,
    summary: 'Start every stopped service in dependency order',
    mutates: true,
    response: { kind: 'json', schema: okResponse },
  }),
  stopAll: command<OkResponse>()({
    method: 'POST',
    path: '/orchestrator/stop-all',
    input: empty,
    summary: 'Stop every service in reverse dependency order (Vigil keeps running)',
    mutates: true,
    response: { kind: 'json', schema: okResponse },
  }),
  checkHealthNow: command<CheckNowResponse>()({
    method: 'POST',
    path: '/orchestrator/health/check-now',
    input: empty,
    summary: 'Probe every service now and return the results',
    mutates: true,
    response: { kind: 'json', schema: checkNowResponse },
  }),
  getStats: command<StatsResponse>()({
    method: 'GET',
    path: '/orchestrator/stats',
    input: empty,
    summary: 'Counters, restarts, MTTR, uptime % over 1 h / 24 h / 7 d',
    mutates: false,
    response: { kind: 'json', schema: statsResponse },
  }),
  getLogs: command<LogsResponse>()({
    method: 'GET',
    path: '/orchestrator/logs/:name',
    input: z
      .object({
        name: serviceName,
        tail: int(1, 10_000).optional(),
        since: int(0, Number.MAX_SAFE_INTEGER).optional(),
        instance: int(0, MAX_INSTANCES - 1).optional(),
      })
      .strict(),
    summary:
      "Recent log lines of a service (`since` = last seen sequence number); a replicated service's lines carry their instance, `instance` keeps one",
    mutates: false,
    response: { kind: 'json', schema: logsResponse },
  }),
  getReport: command<ReportResponse>()({
    method: 'GET',
    path: '/orchestrator/report',
    input: z
      .object({
        format: z.enum(['md', 'html', 'json', 'csv']).optional(),
        since: timeBound.optional(),
        until: timeBound.optional(),
      })
      .strict(),
    summary: 'Healing report for a time range (default: since the stack started)',
    mutates: false,
    response: {
      kind: 'attachment',
      formatField: 'format',
      formats: {
        md: 'text/markdown',
        html: 'text/html',
        json: 'application/json',
        csv: 'text/csv',
      },
      baseName: 'vigil-report',
    },
  }),
  reload: command<ReloadResponse>()({
    method: 'POST',
    path: '/orchestrator/reload',
    input: empty,
    summary: 'Re-read the stack file and apply the difference',
    mutates: true,
    response: { kind: 'json', schema: reloadResponse },
  }),
  register: command<RegisterResponse>()({
    method: 'POST',
    path: '/orchestrator/register',
    input: z
      .object({
        name: serviceName,
        url: z.url({ protocol: /^https?$/ }),
        health_path: z.string().max(200).startsWith('/').optional(),
        heartbeat_interval: int(100, 3_600_000).optional(),
        version: z.string().max(64).optional(),
        capabilities: z.array(z.string().max(64)).max(50).optional(),
        depends_on: z.array(serviceName).max(100).optional(),
      })
      .strict(),
    summary: 'An external service registers itself (then keeps itself alive with heartbeats)',
    mutates: true,
    response: { kind: 'json', schema: registerResponse },
  }),
  deregister: command<OkResponse>()({
    method: 'DELETE',
    path: '/orchestrator/register/:name',
    input: nameParam,
    summary:
      'A registered service leaves: it is removed from the graph at once and its dependents see it as gone',
    mutates: true,
    response: { kind: 'json', schema: okResponse },
  }),
  heartbeat: command<OkResponse>()({
    method: 'POST',
    path: '/orchestrator/heartbeat/:name',
    input: nameParam,
    summary: 'Heartbeat of a registered service',
    mutates: true,
    response: { kind: 'json', schema: okResponse },
  }),
  // ─── file watching (SPEC §11) ───
  setWatch: command<WatchResponse>()({
    method: 'POST',
    path: '/orchestrator/watch/:name',
    input: z.object({ name: serviceName, enabled: z.boolean() }).strict(),
    summary:
      "Turn a service's file watch on or off without editing the stack file (on also resumes a watch paused by a restart loop)",
    mutates: true,
    response: { kind: 'json', schema: watchResponse },
  }),
  // ─── replicas (SPEC §11) ───
  scaleService: command<ReplicaActionResponse>()({
    method: 'POST',
    path: '/orchestrator/scale/:name',
    input: z.object({ name: serviceName, replicas: int(1, MAX_INSTANCES) }).strict(),
    summary:
      'Set how many instances of a service run (scaling down drains an instance before stopping it)',
    mutates: true,
    response: { kind: 'json', schema: replicaActionResponse },
  }),
  failoverService: command<ReplicaActionResponse>()({
    method: 'POST',
    path: '/orchestrator/failover/:name',
    input: z.object({ name: serviceName, back: z.boolean().optional() }).strict(),
    summary:
      "Send a replicated service's traffic to its failover backup and hold it there (`back`: return it to the service's own instances)",
    mutates: true,
    response: { kind: 'json', schema: replicaActionResponse },
  }),
  shutdown: command<OkResponse>()({
    method: 'POST',
    path: '/orchestrator/shutdown',
    input: empty,
    summary: 'Stop every service in reverse dependency order and exit Vigil',
    mutates: true,
    response: { kind: 'json', schema: okResponse },
  }),
} as const;

export type Contract = typeof contract;
export type CommandName = keyof Contract;
export const COMMAND_NAMES = Object.keys(contract) as CommandName[];

export type InputOf<K extends CommandName> = z.input<Contract[K]['input']>;
export type ParsedInputOf<K extends CommandName> = z.output<Contract[K]['input']>;
export type OutputOf<K extends CommandName> =
  Contract[K] extends CommandDef<z.ZodType, infer O> ? O : never;

/** Who is calling: recorded as the author of manual actions. */
export interface CallContext {
  readonly actor: Actor;
}

/** What the supervisor implements and every client exposes. */
export type VigilApi = {
  readonly [K in CommandName]: (input: ParsedInputOf<K>, ctx: CallContext) => Promise<OutputOf<K>>;
};

/** What a client (renderer, CLI) calls: inputs before validation, no context (the transport sets it). */
export type VigilClient = {
  readonly [K in CommandName]: (input: InputOf<K>) => Promise<OutputOf<K>>;
};

/** Routes outside the command set, with their own handlers. */
export const EXTRA_ROUTES = {
  stream: '/orchestrator/stream',
  openapi: '/orchestrator/openapi.json',
  metrics: '/metrics',
  /** Unauthenticated liveness: answers `{"ok":true}` and nothing else. */
  liveness: '/healthz',
} as const;

export const DEFAULT_API_PORT = 9000;
export const DEFAULT_API_HOST = '127.0.0.1';
/** Request bodies larger than this are refused with 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Fills `:name` segments of a command's path from its input. */
export function buildPath(path: string, input: Readonly<Record<string, unknown>>): string {
  return path.replace(/:([a-z_]+)/g, (_, key: string) => encodeURIComponent(String(input[key])));
}

/** Names of the path parameters of a command path. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([a-z_]+)/g)].map((m) => m[1]!);
}
