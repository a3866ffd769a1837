/**
 * Vigil's data model: the normalised stack definition and the runtime states that every layer
 * (core, transports, renderer) shares. Pure types and a few pure helpers; no side effects.
 *
 * Durations are milliseconds, sizes are bytes, times are epoch milliseconds (wall clock) unless a
 * name says `mono` (monotonic milliseconds, only meaningful inside one process).
 */

export const LIFECYCLES = [
  'pending',
  'waiting',
  'starting',
  'running',
  'backoff',
  'stopping',
  'stopped',
  'completed',
  'failed',
  'quarantined',
] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

export const HEALTHS = ['unknown', 'healthy', 'degraded', 'unhealthy', 'timeout'] as const;
export type Health = (typeof HEALTHS)[number];

/** The seed-compatible single status derived from lifecycle and health. */
export const DISPLAY_STATUSES = [
  'healthy',
  'degraded',
  'unhealthy',
  'timeout',
  'quarantined',
  'stopped',
] as const;
export type DisplayStatus = (typeof DISPLAY_STATUSES)[number];

export type SystemState = 'healthy' | 'degraded' | 'critical';
export type Priority = 'critical' | 'high' | 'medium' | 'low';
export type DependencyCondition = 'started' | 'healthy' | 'completed';
export type RestartPolicy = 'always' | 'on-failure' | 'never';
export type RecoveryStrategy = 'restart' | 'restart_with_reset' | 'degraded' | 'stack_restart';
export type LaunchMode = 'serial' | 'parallel';
export type OnCritical = 'keep_running' | 'shutdown';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type BreakerState = 'closed' | 'open' | 'half-open';

/** A command is either run through the shell (`sh -c`) or exec'd directly from an argv list. */
export type CommandSpec =
  | { readonly kind: 'shell'; readonly script: string }
  | { readonly kind: 'argv'; readonly argv: readonly string[] };

export interface DependencySpec {
  readonly name: string;
  readonly condition: DependencyCondition;
  readonly optional: boolean;
}

export type ProbeSpec =
  | {
      readonly type: 'http';
      readonly host: string;
      readonly port: number;
      readonly path: string;
      readonly expectStatus: number;
      readonly headers: Readonly<Record<string, string>>;
    }
  | { readonly type: 'tcp'; readonly host: string; readonly port: number }
  | { readonly type: 'exec'; readonly command: CommandSpec }
  | { readonly type: 'log'; readonly pattern: string }
  | { readonly type: 'process' }
  /** `port` declared and no `health`: /health, /api/health, /status, /ping in turn, then TCP. */
  | { readonly type: 'default'; readonly host: string; readonly port: number };

export type ProbeType = ProbeSpec['type'];

export interface HealthSpec {
  readonly probe: ProbeSpec;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly recoveryThreshold: number;
  readonly startPeriodMs: number;
  readonly startIntervalMs: number;
}

export interface RestartSpec {
  readonly policy: RestartPolicy;
  /** Delay before attempt 1..N; the last entry repeats when there are more attempts. */
  readonly backoffMs: readonly number[];
  /** 0..1: each delay is multiplied by a random factor in [1, 1 + jitter] (never shorter than configured). */
  readonly jitter: number;
  /** This service's circuit breaker, when it sets one; otherwise `settings.circuit_breaker`. */
  readonly circuitBreaker?: CircuitBreakerSpec;
}

/** `threshold` consecutive failures open the breaker (0: never); it holds restarts `resetAfterMs`. */
export interface CircuitBreakerSpec {
  readonly threshold: number;
  readonly resetAfterMs: number;
}

export interface LimitsSpec {
  readonly memoryBytes?: number;
  readonly cpuPercent?: number;
  /** Maximum number of processes (RLIMIT_NPROC-like bound on the service's tree). */
  readonly processes?: number;
}

export interface StopSpec {
  readonly signal: string;
  readonly timeoutMs: number;
}

export type WatchAction = 'restart' | 'run';

/** `watch:` of a service: restart it (or run a command, then restart) when its files change. */
export interface WatchSpec {
  /** Absolute paths (files or folders; they need not exist yet). */
  readonly paths: readonly string[];
  /** Relative paths of `paths` as written in the stack file, for messages. */
  readonly shown: readonly string[];
  /** Patterns in .gitignore syntax, relative to the service's cwd. */
  readonly ignore: readonly string[];
  readonly debounceMs: number;
  readonly action: WatchAction;
  /** With `action: run`: the command run first; the service restarts only when it exits 0. */
  readonly run?: CommandSpec;
  /** Respect the .gitignore files of the service's cwd and its parents up to the repository root. */
  readonly gitignore: boolean;
}

/** Where a key was found in the stack file, for messages that point at it. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface ServiceSpec {
  readonly name: string;
  readonly command: CommandSpec;
  /** Absolute working directory. */
  readonly cwd: string;
  /** The environment the service gets on top of Vigil's own (env files, then `env`). */
  readonly env: Readonly<Record<string, string>>;
  /** Names of env keys whose values must never be logged or shown (e.g. *_TOKEN, *_SECRET, *PASSWORD*). */
  readonly secretEnv: readonly string[];
  readonly port?: number;
  readonly priority: Priority;
  readonly required: boolean;
  /** Explicit phase from the file, if any; the effective phase comes from the graph. */
  readonly phase?: number;
  readonly launch: LaunchMode;
  readonly version?: string;
  readonly capabilities: readonly string[];
  readonly dependsOn: readonly DependencySpec[];
  readonly health: HealthSpec;
  readonly restart: RestartSpec;
  readonly recovery: RecoveryStrategy;
  readonly reset?: CommandSpec;
  readonly stop: StopSpec;
  readonly oneshot: boolean;
  readonly limits: LimitsSpec;
  readonly maxRestartAttempts: number;
  readonly startupTimeoutMs: number;
  /** Where the service's key is in the stack file (absent for registered external services). */
  readonly source?: SourceLocation;

  // Replicas and export (SPEC §11). Absent keys mean one instance, no balancer, no image.
  /** Env files this service reads, in order (the stack's first), as absolute paths. */
  readonly envFileList?: readonly string[];
  /** Container image for `vigil export`. */
  readonly image?: string;
  /** A probe whose failures mean "restart me" (exported as a livenessProbe). */
  readonly liveness?: HealthSpec;
  /** Fixed instance count (`replicas`), or `scale.min` when the service scales. */
  readonly replicas?: number;
  /** Instance ports (`ports: 3001-3010` or a list). */
  readonly ports?: readonly number[];
  /** Instances that must be ready for the service to count as healthy. */
  readonly minReady?: number;
  readonly balance?: BalanceSpec;
  readonly failover?: FailoverSpec;
  readonly scale?: ScaleSpec;
  /** Restart on file changes (absent: not watched). */
  readonly watch?: WatchSpec;
}

export const BALANCE_STRATEGIES = [
  'round_robin',
  'least_connections',
  'random',
  'ip_hash',
  'weighted',
] as const;
export type BalanceStrategy = (typeof BALANCE_STRATEGIES)[number];
export const BALANCE_MODES = ['http', 'tcp'] as const;
export type BalanceMode = (typeof BALANCE_MODES)[number];

export interface BalanceSpec {
  readonly strategy: BalanceStrategy;
  readonly mode: BalanceMode;
  /** One weight per instance, only with `strategy: weighted`. */
  readonly weights?: readonly number[];
  /** Where the balancer listens (default 127.0.0.1). */
  readonly host?: string;
}

export interface FailoverSpec {
  /** Another service that answers when no instance is ready. */
  readonly backup: string;
  readonly failbackAfterMs: number;
}

export const SCALE_METRICS = ['cpu', 'connections', 'latency_p95'] as const;
export type ScaleMetric = (typeof SCALE_METRICS)[number];

export interface ScaleSpec {
  readonly min: number;
  readonly max: number;
  readonly metric: ScaleMetric;
  /** cpu: percent of one core per instance; connections: per instance; latency_p95: milliseconds. */
  readonly target: number;
  readonly cooldownMs: number;
  readonly windowMs: number;
}

export interface StackSettings {
  readonly healthCheckIntervalMs: number;
  readonly healthCheckTimeoutMs: number;
  readonly startupTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly maxRestartAttempts: number;
  readonly circuitBreaker: CircuitBreakerSpec;
  readonly parallelLaunchLimit: number;
  readonly stableAfterMs: number;
  readonly retentionMs: number;
  readonly onCritical: OnCritical;
  readonly logLevel: LogLevel;
  /** A reload whose changed services fail to come up is rolled back (`settings.reload_rollback`). */
  readonly reloadRollback: boolean;
}

export interface StackConfig {
  /** Absolute path of the stack file. */
  readonly file: string;
  /** Directory of the stack file; relative paths resolve from here. */
  readonly dir: string;
  readonly version: 1;
  readonly name: string;
  readonly settings: StackSettings;
  readonly services: readonly ServiceSpec[];
  /** Absolute paths of every env file the stack read (watched for hot reload with the stack file). */
  readonly envFiles?: readonly string[];
}

/** Stack-file defaults (README.md, "A stack file"). */
export const DEFAULT_SETTINGS: StackSettings = {
  healthCheckIntervalMs: 5_000,
  healthCheckTimeoutMs: 2_000,
  startupTimeoutMs: 60_000,
  shutdownTimeoutMs: 30_000,
  maxRestartAttempts: 7,
  circuitBreaker: { threshold: 3, resetAfterMs: 60_000 },
  parallelLaunchLimit: 10,
  stableAfterMs: 60_000,
  retentionMs: 7 * 24 * 3_600_000,
  onCritical: 'keep_running',
  logLevel: 'info',
  reloadRollback: true,
};

export const DEFAULT_BACKOFF_MS: readonly number[] = [
  1_000, 5_000, 15_000, 30_000, 60_000, 60_000, 60_000,
];

export const DEFAULT_HEALTH = {
  failureThreshold: 3,
  recoveryThreshold: 2,
  startPeriodMs: 0,
  startIntervalMs: 200,
} as const;

/** Service names are identifiers: they end up in file names, URLs and HTML. */
/** The most instances one service may run (`replicas`, `scale.max`, `vigil scale`). */
export const MAX_INSTANCES = 1000;

export const SERVICE_NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;
export const SERVICE_NAME_MAX = 64;

export function isValidServiceName(name: string): boolean {
  return name.length <= SERVICE_NAME_MAX && SERVICE_NAME_RE.test(name);
}

/** Reasons a restart or a state change happened: a closed set (README.md, "How Vigil heals"). */
export type ReasonKind =
  | 'exit'
  | 'signal'
  | 'probe'
  | 'memory_limit'
  | 'process_limit'
  | 'manual'
  | 'config_change'
  | 'dependency_recovery'
  | 'breaker_trial'
  | 'startup_timeout'
  | 'spawn_error'
  | 'port_in_use'
  | 'dependency'
  | 'stack_restart'
  | 'launch'
  | 'shutdown'
  | 'file_change';

export type Actor = 'ui' | 'cli' | 'api' | 'vigil';

export interface Reason {
  readonly kind: ReasonKind;
  /** A sentence a person can read: "exited with code 1", "http probe failed: 503". */
  readonly message: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly probe?: ProbeType;
  readonly detail?: string;
  readonly by?: Actor;
  readonly dependency?: string;
  /** For `file_change`: the first changed paths (relative to the service's cwd) and how many changed. */
  readonly files?: ChangedFiles;
}

export interface ChangedFiles {
  readonly paths: readonly string[];
  readonly count: number;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** True when the probe did not answer within its timeout. */
  readonly timedOut: boolean;
  readonly latencyMs: number;
  readonly probe: ProbeType;
  /** Status code, error text or output tail. */
  readonly detail: string;
  /** Wall-clock time the probe finished. */
  readonly ts: number;
}

export interface BreakerView {
  readonly state: BreakerState;
  readonly failures: number;
  readonly reason: string | null;
  /** Wall-clock time of the next half-open trial, when open. */
  readonly nextTrialAt: number | null;
  readonly trips: number;
}

/** Derive the seed-compatible status from the two state fields. */
export function displayStatus(lifecycle: Lifecycle, health: Health): DisplayStatus {
  switch (lifecycle) {
    case 'quarantined':
      return 'quarantined';
    case 'completed':
      // A oneshot that did its job is where it should be.
      return 'healthy';
    case 'stopped':
    case 'pending':
      return 'stopped';
    case 'failed':
      return 'unhealthy';
    case 'backoff':
      // Crashed or killed for failing, and down until the next attempt: whatever its last probe said,
      // nothing is serving. (Health itself is `unknown` with no instance to probe.)
      return health === 'timeout' ? 'timeout' : 'unhealthy';
    case 'waiting':
    case 'starting':
    case 'stopping':
      return health === 'timeout' ? 'timeout' : health === 'unhealthy' ? 'unhealthy' : 'degraded';
    case 'running':
      switch (health) {
        case 'healthy':
          return 'healthy';
        case 'unknown':
        case 'degraded':
          return 'degraded';
        case 'unhealthy':
          return 'unhealthy';
        case 'timeout':
          return 'timeout';
      }
  }
}
