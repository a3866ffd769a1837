import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BACKOFF_MS,
  DEFAULT_SETTINGS,
  type ServiceSpec,
  type StackSettings,
} from '../../../shared/model.js';
import { policyFor } from './policy.js';

function spec(over: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: 'api',
    command: { kind: 'shell', script: 'node server.js' },
    cwd: '/tmp/api',
    env: {},
    secretEnv: [],
    priority: 'high',
    required: true,
    launch: 'parallel',
    capabilities: [],
    dependsOn: [],
    health: {
      probe: { type: 'process' },
      intervalMs: 5_000,
      timeoutMs: 2_000,
      failureThreshold: 3,
      recoveryThreshold: 2,
      startPeriodMs: 0,
      startIntervalMs: 200,
    },
    restart: { policy: 'on-failure', backoffMs: [250, 500], jitter: 0.1 },
    recovery: 'restart_with_reset',
    reset: { kind: 'argv', argv: ['node', 'reset.js'] },
    stop: { signal: 'SIGTERM', timeoutMs: 30_000 },
    oneshot: false,
    limits: {},
    maxRestartAttempts: 4,
    startupTimeoutMs: 60_000,
    ...over,
  };
}

describe('policyFor', () => {
  it('takes restart, recovery and limits from the service and the breaker from settings', () => {
    const settings: StackSettings = {
      ...DEFAULT_SETTINGS,
      circuitBreaker: { threshold: 5, resetAfterMs: 30_000 },
      stableAfterMs: 45_000,
    };
    expect(policyFor(spec(), settings)).toEqual({
      restartPolicy: 'on-failure',
      backoffMs: [250, 500],
      jitter: 0.1,
      maxAttempts: 4,
      breaker: { threshold: 5, resetAfterMs: 30_000 },
      stableAfterMs: 45_000,
      recovery: 'restart_with_reset',
      oneshot: false,
      required: true,
      hasReset: true,
    });
  });

  it("prefers the service's own breaker to the stack's", () => {
    const own = { threshold: 0, resetAfterMs: 2_000 };
    const p = policyFor(
      spec({ restart: { policy: 'always', backoffMs: [100], jitter: 0, circuitBreaker: own } }),
      { ...DEFAULT_SETTINGS, circuitBreaker: { threshold: 5, resetAfterMs: 30_000 } },
    );
    expect(p.breaker).toEqual(own);
  });

  it('knows when there is no reset command, and carries oneshot and required', () => {
    const p = policyFor(
      spec({ reset: undefined, oneshot: true, required: false, recovery: 'degraded' }),
      DEFAULT_SETTINGS,
    );
    expect(p).toMatchObject({
      hasReset: false,
      oneshot: true,
      required: false,
      recovery: 'degraded',
    });
  });

  it('falls back to safe values for an empty backoff list and out-of-range numbers', () => {
    const p = policyFor(
      spec({
        restart: { policy: 'always', backoffMs: [], jitter: 3 },
        maxRestartAttempts: Number.NaN,
      }),
      { ...DEFAULT_SETTINGS, circuitBreaker: { threshold: -1, resetAfterMs: -5 } },
    );
    expect(p.backoffMs).toEqual(DEFAULT_BACKOFF_MS);
    expect(p.jitter).toBe(1);
    expect(p.maxAttempts).toBe(DEFAULT_SETTINGS.maxRestartAttempts);
    expect(p.breaker).toEqual({ threshold: 0, resetAfterMs: 0 });
  });
});
