/**
 * Wall-clock jumps against the pure rules: with `FakeClock.jumpWall` the probe schedule, the
 * restart ladder, the breaker's trial and the stable reset all keep to monotonic time;
 * only the times shown to people (wall clock) move with the jump.
 */
import { describe, expect, it } from 'vitest';
import type { HealthSpec, ProbeResult } from '../src/shared/model.js';
import { FakeClock, monoToWall } from '../src/main/core/clock.js';
import { HealthMonitor } from '../src/main/core/health/monitor.js';
import {
  breakerView,
  initialHealingState,
  nextStableResetAt,
  onFailure,
  onHealthy,
  onTick,
  onTrialStarted,
  type Failure,
  type HealingState,
} from '../src/main/core/healing/index.js';
import type { HealingPolicy } from '../src/main/core/healing/policy.js';

const HOUR = 3_600_000;
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

const spec: HealthSpec = {
  probe: { type: 'process' },
  intervalMs: 1_000,
  timeoutMs: 500,
  failureThreshold: 3,
  recoveryThreshold: 1,
  startPeriodMs: 5_000,
  startIntervalMs: 100,
};

const policy: HealingPolicy = {
  restartPolicy: 'always',
  backoffMs: [1_000, 5_000, 15_000],
  jitter: 0,
  maxAttempts: 10,
  breaker: { threshold: 3, resetAfterMs: 60_000 },
  stableAfterMs: 30_000,
  recovery: 'restart',
  oneshot: false,
  required: true,
  hasReset: false,
};

const crash: Failure = {
  kind: 'exit',
  code: 1,
  signal: null,
  reason: { kind: 'exit', message: 'exited with code 1', exitCode: 1 },
};

describe('wall-clock jumps (FakeClock.jumpWall)', () => {
  it('the probe schedule keeps to monotonic time', async () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const monitor = new HealthMonitor({
      spec,
      clock,
      startedAtMono: 0,
      run: async (): Promise<ProbeResult> => {
        at.push(clock.now());
        return {
          ok: true,
          timedOut: false,
          latencyMs: 1,
          probe: 'process',
          detail: 'ok',
          ts: clock.wallNow(),
        };
      },
      onResult: () => undefined,
    });
    monitor.start();
    const step = async (ms: number): Promise<void> => {
      for (let i = 0; i < ms / 50; i++) {
        clock.advance(50);
        await flush();
      }
    };
    await step(100); // first probe at start_interval
    clock.jumpWall(HOUR);
    await step(2_000);
    clock.jumpWall(-2 * HOUR);
    await step(2_000);
    monitor.stop();
    // 100 ms, then every second from the end of the previous probe: jumps change nothing.
    expect(at).toEqual([100, 1_100, 2_100, 3_100, 4_100]);
    // Only the wall clock moved: +1 h, then -2 h.
    expect(clock.wallNow()).toBe(Date.UTC(2026, 0, 1, 10, 0, 0) + clock.now() - HOUR);
  });

  it('the ladder, the breaker trial and the stable reset measure monotonic time', () => {
    const clock = new FakeClock();
    let s: HealingState = initialHealingState;
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      clock.jumpWall(i % 2 === 0 ? HOUR : -HOUR);
      const out = onFailure(policy, s, crash, clock.now(), () => 0.5);
      s = out.state;
      if (out.decision.do === 'restart') delays.push(out.decision.delayMs);
      clock.advance(10);
    }
    // The third failure opened the breaker: its gate is reset_after, measured from now.
    expect(delays).toEqual([1_000, 5_000, 60_000]);
    const view = breakerView(s, (m) => monoToWall(clock, m));
    expect(view.state).toBe('open');
    // Shown on the wall clock (which jumped), but the trial waits on the monotonic one.
    expect(view.nextTrialAt).toBe(clock.wallNow() + 60_000 - 10);
    clock.jumpWall(-HOUR);
    expect(breakerView(s, (m) => monoToWall(clock, m)).nextTrialAt).toBe(
      clock.wallNow() + 60_000 - 10,
    );

    // Trial, then healthy: the stable reset comes stable_after later on the monotonic clock,
    // however the wall clock moves meanwhile.
    clock.advance(60_000);
    s = onTrialStarted(s, clock.now()).state;
    s = onHealthy(policy, s, clock.now()).state;
    expect(s.breaker.state).toBe('closed');
    const due = nextStableResetAt(policy, s)!;
    expect(due - clock.now()).toBe(30_000);
    clock.jumpWall(-HOUR);
    clock.advance(29_999);
    expect(onTick(policy, s, clock.now()).state.attempts).toBe(3);
    clock.jumpWall(2 * HOUR);
    clock.advance(1);
    const reset = onTick(policy, s, clock.now());
    expect(reset.state.attempts).toBe(0);
    expect(reset.notes.map((n) => n.action)).toContain('counter_reset');
  });
});
