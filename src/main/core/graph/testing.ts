/** Builders for tests: a complete ServiceSpec from a name and its dependencies. */
import {
  DEFAULT_BACKOFF_MS,
  type DependencyCondition,
  type ServiceSpec,
} from '../../../shared/model.js';

type Dep = string | { name: string; condition?: DependencyCondition; optional?: boolean };

export function svc(name: string, deps: Dep[] = [], extra: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name,
    command: { kind: 'shell', script: `run ${name}` },
    cwd: '/',
    env: {},
    secretEnv: [],
    priority: 'medium',
    required: true,
    launch: 'parallel',
    capabilities: [],
    dependsOn: deps.map((d) =>
      typeof d === 'string'
        ? { name: d, condition: 'healthy', optional: false }
        : { name: d.name, condition: d.condition ?? 'healthy', optional: d.optional ?? false },
    ),
    health: {
      probe: { type: 'process' },
      intervalMs: 5000,
      timeoutMs: 2000,
      failureThreshold: 3,
      recoveryThreshold: 2,
      startPeriodMs: 0,
      startIntervalMs: 200,
    },
    restart: { policy: 'always', backoffMs: DEFAULT_BACKOFF_MS, jitter: 0 },
    recovery: 'restart',
    stop: { signal: 'SIGTERM', timeoutMs: 30000 },
    oneshot: false,
    limits: {},
    maxRestartAttempts: 7,
    startupTimeoutMs: 60000,
    ...extra,
  };
}
