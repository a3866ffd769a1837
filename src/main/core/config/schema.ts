import { MAX_INSTANCES } from '../../../shared/model.js';
/**
 * The keys a stack file may use, level by level (README.md, "A stack file"). Anything else is an error with the nearest
 * known key as a hint. Beyond those, the loader also accepts:
 *
 * - top level: keys starting with `x-` are ignored, a place to define YAML anchors for reuse;
 *   merge keys (`<<: *defaults`) work in every map;
 * - `env_file` (stack and service) may be a list of files, applied in order;
 * - per service `startup_timeout` (duration; default `settings.startup_timeout`): how long the
 *   service may take to become ready;
 * - `restart.max_attempts` (int; default `settings.max_restart_attempts`): attempts before quarantine;
 * - `restart.circuit_breaker` (`{ threshold, reset_after }`; keys left out come from
 *   `settings.circuit_breaker`): the service's own breaker; `threshold: 0` turns a breaker off;
 * - `limits.processes` (int): maximum number of processes in the service's tree;
 * - `depends_on` as a list of names (condition `healthy`, not optional) besides the map form;
 * - `env` as a list of `KEY=value` strings besides the map form (a bare `KEY` takes its value from
 *   the environment Vigil runs in, or "" when unset);
 * - `image` (string), `liveness` (the shape of `health`, one probe required; not used by the
 *   supervisor, which already restarts an unhealthy service: exported as a livenessProbe);
 * - `replicas`, `ports`, `min_ready`, `balance`, `failover`, `scale` of SPEC §11 (read in
 *   replicas.ts; run by replicas/ and used by `vigil export`);
 * - `health.http` as a path string (`http: /health`), `health.tcp` as a port number,
 *   `health.exec` as a command, `health.log` as a pattern string, `health.process: true`.
 *
 * Defaults that tests rely on: `restart.jitter` is 0 unless set (delays are then exactly
 * `restart.backoff`); `stop.signal` SIGTERM; probe host 127.0.0.1.
 */

export const ROOT_KEYS = ['version', 'name', 'env_file', 'settings', 'services'] as const;

export const SETTINGS_KEYS = [
  'health_check_interval',
  'health_check_timeout',
  'startup_timeout',
  'shutdown_timeout',
  'max_restart_attempts',
  'circuit_breaker',
  'parallel_launch_limit',
  'stable_after',
  'retention',
  'on_critical',
  'log_level',
  'reload_rollback',
] as const;

export const CIRCUIT_BREAKER_KEYS = ['threshold', 'reset_after'] as const;

export const SERVICE_KEYS = [
  'command',
  'cwd',
  'env',
  'env_file',
  'port',
  'priority',
  'required',
  'phase',
  'launch',
  'version',
  'capabilities',
  'depends_on',
  'health',
  'restart',
  'recovery',
  'reset',
  'stop',
  'oneshot',
  'limits',
  'startup_timeout',
  // replicas and export (SPEC §11): see replicas.ts
  'image',
  'liveness',
  'replicas',
  'ports',
  'min_ready',
  'balance',
  'failover',
  'scale',
  // file watching (SPEC §11)
  'watch',
] as const;

export const BALANCE_KEYS = ['strategy', 'mode', 'weights', 'host'] as const;
export const FAILOVER_KEYS = ['backup', 'failback_after'] as const;
export const SCALE_KEYS = ['min', 'max', 'metric', 'target', 'cooldown', 'window'] as const;
/** Upper bound of `replicas`, `scale.max` and the number of instance ports. */
export const MAX_REPLICAS = MAX_INSTANCES;
export const DEFAULT_FAILBACK_AFTER_MS = 10_000;
export const DEFAULT_SCALE_COOLDOWN_MS = 60_000;
export const DEFAULT_SCALE_WINDOW_MS = 30_000;
export const DEFAULT_CPU_TARGET = 70;

export const WATCH_KEYS = ['paths', 'ignore', 'debounce', 'action', 'run', 'gitignore'] as const;
export const WATCH_ACTIONS = ['restart', 'run'] as const;
export const DEFAULT_WATCH_DEBOUNCE_MS = 300;
export const MAX_WATCH_DEBOUNCE_MS = 60_000;

export const DEPENDENCY_KEYS = ['condition', 'optional'] as const;

export const PROBE_TYPES = ['http', 'tcp', 'exec', 'log', 'process'] as const;
export const HEALTH_KEYS = [
  ...PROBE_TYPES,
  'interval',
  'timeout',
  'failure_threshold',
  'recovery_threshold',
  'start_period',
  'start_interval',
] as const;
export const HTTP_KEYS = ['path', 'port', 'host', 'expect_status', 'headers'] as const;
export const TCP_KEYS = ['port', 'host'] as const;
export const EXEC_KEYS = ['command'] as const;
export const LOG_KEYS = ['pattern'] as const;

export const RESTART_KEYS = [
  'policy',
  'backoff',
  'jitter',
  'max_attempts',
  'circuit_breaker',
] as const;
export const STOP_KEYS = ['signal', 'timeout'] as const;
export const LIMITS_KEYS = ['memory', 'cpu', 'processes'] as const;

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export const LAUNCH_MODES = ['serial', 'parallel'] as const;
export const CONDITIONS = ['started', 'healthy', 'completed'] as const;
export const RESTART_POLICIES = ['always', 'on-failure', 'never'] as const;
export const RECOVERY_STRATEGIES = [
  'restart',
  'restart_with_reset',
  'degraded',
  'stack_restart',
] as const;
export const ON_CRITICAL = ['keep_running', 'shutdown'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const DEFAULT_PROBE_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PATH = '/health';
export const DEFAULT_EXPECT_STATUS = 200;
export const DEFAULT_STOP_SIGNAL = 'SIGTERM';

/** Signal names accepted for `stop.signal` (with or without the `SIG` prefix, any case). */
export const SIGNALS: readonly string[] = [
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGKILL',
  'SIGUSR1',
  'SIGSEGV',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
  'SIGCHLD',
  'SIGCONT',
  'SIGSTOP',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGURG',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGPROF',
  'SIGWINCH',
  'SIGIO',
  'SIGPWR',
  'SIGSYS',
];

/** Service names that are valid identifiers but would collide with object internals elsewhere. */
export const RESERVED_SERVICE_NAMES: ReadonlySet<string> = new Set(['constructor', 'prototype']);
