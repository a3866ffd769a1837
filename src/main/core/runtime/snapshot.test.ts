import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { snapshotOf, type SnapshotSource } from './snapshot.js';

function source(
  over: Partial<Record<string, unknown>> = {},
): SnapshotSource & { blocked: string[] } {
  return {
    name: 'api',
    spec: { name: 'api' } as never,
    phase: 1,
    lifecycle: 'backoff',
    health: 'unknown',
    pid: null,
    generation: 3,
    restartCount: 2,
    healing: { attempts: 2, quarantine: null },
    lastRestart: null,
    lastError: 'exited with code 1',
    blocked: ['db'],
    nextAttemptAtMono: 5_000,
    sinceWall: 1_000,
    startedAtWall: null,
    counters: { consecutiveFailures: 1, startFailures: 0 },
    lastProbe: null,
    external: null,
    metrics: { cpuPercent: null, rssBytes: null, processes: null },
    startedWithout: [],
    logs: { file: '/logs/api.log' },
    breaker: () => ({ state: 'closed', failures: 0, reason: null, nextTrialAt: null, trips: 0 }),
    startupDeadlineWall: () => null,
    ...over,
  } as SnapshotSource & { blocked: string[] };
}

describe('snapshotOf', () => {
  it('reads a unit once into a frozen object that later changes of the unit do not touch', () => {
    const clock = new FakeClock();
    const src = source();
    const s = snapshotOf(src, clock);
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.blocked)).toBe(true);
    expect(s).toMatchObject({
      name: 'api',
      lifecycle: 'backoff',
      restartAttempts: 2,
      registered: false,
      logFile: '/logs/api.log',
    });
    // Monotonic times become wall-clock times.
    expect(s.nextAttemptAt).toBe(clock.wallNow() + (5_000 - clock.now()));
    src.blocked.push('cache');
    expect(s.blocked).toEqual(['db']);
    expect(() => {
      (s as { lifecycle: string }).lifecycle = 'running';
    }).toThrow();
  });
});
