import { describe, expect, it } from 'vitest';
import { judgeReload, type WatchedService } from './rollback.js';
import type { ServiceFacts } from './rules.js';

const facts = (over: Partial<ServiceFacts> = {}): ServiceFacts => ({
  name: 'api',
  lifecycle: 'starting',
  health: 'unknown',
  required: true,
  priority: 'medium',
  oneshot: false,
  overdue: false,
  stoppedByUser: false,
  failedSinceUp: false,
  lastError: null,
  ...over,
});
const w = (over: Partial<WatchedService> = {}): WatchedService => ({
  name: 'api',
  facts: facts(),
  startupTimeoutMs: 60_000,
  deadlinePassed: false,
  checksPassed: 0,
  ...over,
});

describe('judgeReload', () => {
  it('waits while a changed service boots, and for a second passing check once it is ready', () => {
    expect(judgeReload([w()])).toEqual({ kind: 'pending', waitingFor: ['api'] });
    const readyOnce = w({
      facts: facts({ lifecycle: 'running', health: 'healthy' }),
      checksPassed: 1,
    });
    expect(judgeReload([readyOnce]).kind).toBe('pending');
    expect(judgeReload([{ ...readyOnce, checksPassed: 2 }])).toEqual({ kind: 'ok' });
    expect(judgeReload([w({ facts: facts({ lifecycle: 'completed' }) })])).toEqual({ kind: 'ok' });
  });

  it('fails on a crash, with its reason', () => {
    const crashed = w({
      facts: facts({ lifecycle: 'backoff', failedSinceUp: true, lastError: 'exited with code 1' }),
    });
    expect(judgeReload([crashed])).toEqual({
      kind: 'failed',
      service: 'api',
      reason: 'exited with code 1',
    });
    const again = w({ facts: facts({ lifecycle: 'starting', failedSinceUp: true }) });
    expect(judgeReload([again]).kind).toBe('failed');
    const unhealthy = w({ facts: facts({ lifecycle: 'running', health: 'unhealthy' }) });
    expect(judgeReload([unhealthy])).toMatchObject({ kind: 'failed', reason: 'it is unhealthy' });
  });

  it('fails when not ready by the startup deadline', () => {
    expect(judgeReload([w({ deadlinePassed: true, startupTimeoutMs: 1_000 })])).toEqual({
      kind: 'failed',
      service: 'api',
      reason: 'not ready within its startup timeout of 1s',
    });
  });

  it('stops watching services that were removed or stopped by a person', () => {
    expect(judgeReload([w({ facts: undefined })])).toEqual({ kind: 'ok' });
    const stopped = w({ facts: facts({ lifecycle: 'stopped', stoppedByUser: true }) });
    expect(judgeReload([stopped])).toEqual({ kind: 'ok' });
  });
});
