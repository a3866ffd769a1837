/**
 * Markers of dead instances whose escaped descendants (setsid, daemons) are still to be killed:
 * they would hold ports, pile up with every crash and outlive a quarantine. Finding them means
 * reading every process's environment, so a sweep runs right after the next spawn (a new instance
 * has a new marker, the sweep cannot touch it) or after `deferMs`, whichever comes first, instead
 * of delaying the restart.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { Launcher } from '../process/launcher.js';

/** The longest a dead instance's escaped descendants live when no restart comes first. */
export const SWEEP_DEFER_MS = 50;

export class Sweeper {
  private readonly unswept = new Set<string>();
  private timer: TimerHandle | null = null;
  private sweeping: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly launcher: Launcher,
    private readonly deferMs = SWEEP_DEFER_MS,
  ) {}

  /** A dead instance's marker: swept at the next spawn or after `deferMs`. */
  later(marker: string): void {
    this.unswept.add(marker);
    this.timer ??= this.clock.setTimeout(() => void this.now(), this.deferMs);
  }

  /** Kills the escaped descendants of every dead instance not swept yet. */
  now(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    if (this.unswept.size === 0) return this.sweeping;
    const markers = new Set(this.unswept);
    this.unswept.clear();
    const sweep = this.launcher.sweep((m) => markers.has(m)).then(() => undefined);
    this.sweeping = Promise.all([this.sweeping, sweep]).then(() => undefined);
    return this.sweeping;
  }

  /**
   * One scan for every marker that starts with `prefix` (every instance of a service, the pending
   * ones included), after the sweeps already under way.
   */
  async all(prefix: string): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    this.unswept.clear();
    await Promise.all([this.sweeping, this.launcher.sweep((m) => m.startsWith(prefix))]);
  }
}
