/**
 * Since when an instance has been wanted up but not ready, and whether that has lasted longer than
 * its startup timeout (`overdue`: "down past its startup timeout", which makes an optional
 * dependency stop being waited for and a required one count as down).
 */
import type { Clock, TimerHandle } from '../clock.js';

export class Readiness {
  /** Monotonic time it became wanted and not ready; null while ready or not wanted. */
  notReadySinceMono: number | null = null;
  overdue = false;
  private timer: TimerHandle | null = null;

  /** `changed` is told when `overdue` turns on or off. */
  constructor(
    private readonly clock: Clock,
    private readonly changed: () => void,
  ) {}

  /**
   * `waiting`: wanted up and not ready (and not held down); otherwise the clock stops. `limitMs`
   * is the startup timeout, read when a wait begins.
   */
  track(waiting: boolean, limitMs: number): void {
    if (!waiting) {
      this.notReadySinceMono = null;
      this.cancel();
      const was = this.overdue;
      this.overdue = false;
      if (was) this.changed();
      return;
    }
    if (this.notReadySinceMono !== null) return;
    this.notReadySinceMono = this.clock.now();
    this.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.notReadySinceMono === null) return;
      this.overdue = true;
      this.changed();
    }, limitMs);
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}
