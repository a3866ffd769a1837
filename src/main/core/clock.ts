/**
 * Time behind an interface so that every decision can be tested with a fake clock. Durations and
 * deadlines use the monotonic clock (`now`), which does not jump when the wall clock is changed;
 * the wall clock (`wallNow`) is only used for timestamps shown to people and stored in history.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Wall-clock epoch milliseconds. */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  },
};

/** Converts a monotonic time to the wall clock, for showing deadlines ("next attempt at"). */
export function monoToWall(clock: Clock, mono: number): number {
  return Math.round(clock.wallNow() + (mono - clock.now()));
}

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock driven by the test: `advance(ms)` runs every timer that falls due, in order. */
export class FakeClock implements Clock {
  private mono = 0;
  private wall: number;
  private timers: FakeTimer[] = [];
  private nextId = 1;

  constructor(wallStart = Date.UTC(2026, 0, 1, 10, 0, 0)) {
    this.wall = wallStart;
  }

  now(): number {
    return this.mono;
  }

  wallNow(): number {
    return this.wall;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: this.nextId++, at: this.mono + Math.max(0, ms), fn };
    this.timers.push(timer);
    return {
      cancel: () => {
        this.timers = this.timers.filter((t) => t.id !== timer.id);
      },
    };
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in time order (timers added while firing count too). */
  advance(ms: number): void {
    const target = this.mono + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.wall += next.at - this.mono;
      this.mono = next.at;
      next.fn();
    }
    this.wall += target - this.mono;
    this.mono = target;
  }

  /** Simulates a wall-clock jump (NTP, manual change): monotonic time is unaffected. */
  jumpWall(ms: number): void {
    this.wall += ms;
  }
}
