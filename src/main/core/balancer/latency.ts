/**
 * Latencies of one instance over a sliding time window: a ring of the last samples with their
 * times, percentiles computed when asked (a stats view, not the request path).
 */

const CAPACITY = 2048;

export class LatencyWindow {
  private readonly values = new Float64Array(CAPACITY);
  private readonly times = new Float64Array(CAPACITY);
  private next = 0;
  private size = 0;

  constructor(private readonly windowMs: number) {}

  add(ms: number, now: number): void {
    this.values[this.next] = ms;
    this.times[this.next] = now;
    this.next = (this.next + 1) % CAPACITY;
    if (this.size < CAPACITY) this.size++;
  }

  /** The p-th percentiles (0-100, nearest rank) of the samples within the window, or null. */
  percentiles(ps: readonly number[], now: number): (number | null)[] {
    const v: number[] = [];
    for (let i = 0; i < this.size; i++) {
      if (now - this.times[i]! <= this.windowMs) v.push(this.values[i]!);
    }
    if (v.length === 0) return ps.map(() => null);
    v.sort((a, b) => a - b);
    return ps.map(
      (p) => v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!,
    );
  }
}
