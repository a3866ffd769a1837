/**
 * The health monitor of one run of one service: probes on a schedule, folds each result into the
 * health counters (see tracker.ts) and reports it.
 *
 * - The first probe runs `startIntervalMs` after `start()`; probes repeat every `startIntervalMs`
 *   until the first success, then every `intervalMs`. Each delay counts from the end of the
 *   previous probe, so a slow probe delays the next one instead of stacking up behind it.
 * - At most one probe is in flight, ever. `checkNow()` joins the one in flight or runs one at
 *   once (and the schedule restarts from its end).
 * - A probe that started within `startPeriodMs` of `startedAtMono` is in the start period.
 * - After `stop()` no callback runs again, not even for a probe that was in flight; `stop()` is
 *   final (a new run of the service gets a new monitor).
 * - `run` should never reject (runProbe does not); if it does, that is a failed probe.
 */
import type { HealthSpec, ProbeResult } from '../../../shared/model.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Cadence } from './cadence.js';
import { initialCounters, nextHealth, type HealthCounters } from './tracker.js';

export { createLogMatcher, type LogMatcher } from './log-matcher.js';

export interface HealthMonitorOptions {
  readonly spec: HealthSpec;
  readonly clock: Clock;
  /**
   * Shares the wake-ups of the steady interval with the other monitors of the supervisor (see
   * cadence.ts); without one, every delay is exact.
   */
  readonly cadence?: Cadence;
  /** One probe, usually `() => runProbe(spec.probe, spec.timeoutMs, env)`. */
  readonly run: () => Promise<ProbeResult>;
  readonly onResult: (result: ProbeResult, counters: HealthCounters, prev: HealthCounters) => void;
  /** Monotonic time the process (re)started, for the start period. */
  readonly startedAtMono: number;
  /** Receives what `onResult` throws; the monitor carries on either way. */
  readonly onError?: (err: unknown) => void;
}

type MonitorState = 'idle' | 'running' | 'stopped';

export class HealthMonitor {
  private state: MonitorState = 'idle';
  private timer: TimerHandle | null = null;
  private current: Promise<ProbeResult> | null = null;
  private sawSuccess = false;
  private _counters: HealthCounters = initialCounters;

  constructor(private readonly opts: HealthMonitorOptions) {}

  get counters(): HealthCounters {
    return this._counters;
  }

  get inFlight(): boolean {
    return this.current !== null;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    if (!this.current) this.schedule(this.opts.spec.startIntervalMs);
  }

  stop(): void {
    this.state = 'stopped';
    this.cancelTimer();
  }

  /** Runs a probe now, or joins the one in flight. Resolves with its result. */
  checkNow(): Promise<ProbeResult> {
    if (this.current) return this.current;
    this.cancelTimer();
    return this.probe();
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    const due = (): void => {
      this.timer = null;
      if (this.state === 'running' && !this.current) void this.probe();
    };
    this.timer = this.opts.cadence
      ? this.opts.cadence.after(ms, due)
      : this.opts.clock.setTimeout(due, ms);
  }

  private probe(): Promise<ProbeResult> {
    const { clock, spec } = this.opts;
    const startedAt = clock.now();
    const inStartPeriod = startedAt - this.opts.startedAtMono < spec.startPeriodMs;
    const p = (async (): Promise<ProbeResult> => {
      let result: ProbeResult;
      try {
        result = await this.opts.run();
      } catch (err) {
        result = {
          ok: false,
          timedOut: false,
          latencyMs: clock.now() - startedAt,
          probe: spec.probe.type,
          detail: `probe error: ${err instanceof Error ? err.message : String(err)}`,
          ts: clock.wallNow(),
        };
      }
      this.current = null;
      if (this.state !== 'stopped') {
        const prev = this._counters;
        this._counters = nextHealth(prev, result, spec, inStartPeriod);
        if (result.ok) this.sawSuccess = true;
        try {
          this.opts.onResult(result, this._counters, prev);
        } catch (err) {
          this.opts.onError?.(err);
        }
      }
      // onResult may have stopped the monitor or started a probe of its own.
      if (this.state === 'running' && !this.current && !this.timer) {
        this.schedule(this.sawSuccess ? spec.intervalMs : spec.startIntervalMs);
      }
      return result;
    })();
    this.current = p;
    return p;
  }
}
