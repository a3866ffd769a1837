/**
 * The last N log lines of a service, in memory. Readers pull by checkpoint (`since(seq)`), so a
 * view that fell behind asks for what it missed instead of being pushed every line.
 */

export interface LogEntry {
  /** Increasing per service, starting at 1. */
  readonly seq: number;
  /** Wall-clock epoch milliseconds. */
  readonly ts: number;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
  /** The instance that wrote it (`api#1`), for a replicated service. */
  readonly instance?: string;
}

export class LogRing {
  private readonly buf: (LogEntry | undefined)[];
  /** Index of the oldest entry. */
  private head = 0;
  private count = 0;
  private last = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`log ring capacity must be a positive integer, got ${capacity}`);
    }
    // Grows as lines arrive (a quiet service holds a few entries, not `capacity` empty slots):
    // until it is full, the next slot is always the end of the array.
    this.buf = [];
  }

  /** Seq of the newest entry, 0 when nothing was pushed yet. */
  get lastSeq(): number {
    return this.last;
  }

  get size(): number {
    return this.count;
  }

  push(entry: LogEntry): void {
    if (this.count < this.capacity) {
      this.buf[(this.head + this.count) % this.capacity] = entry;
      this.count += 1;
    } else {
      this.buf[this.head] = entry;
      this.head = (this.head + 1) % this.capacity;
    }
    this.last = entry.seq;
  }

  /** The newest `n` entries, oldest first. */
  tail(n: number): LogEntry[] {
    const k = Math.max(0, Math.min(Math.floor(n), this.count));
    return this.slice(this.count - k, this.count);
  }

  /**
   * Entries with `seq` greater than the given one, oldest first, at most `limit`. When the
   * checkpoint is older than the ring, the answer starts at the oldest entry kept (the reader
   * sees the gap in the seq numbers).
   */
  since(seq: number, limit: number): LogEntry[] {
    const max = Math.max(0, Math.floor(limit));
    if (max === 0 || this.count === 0) return [];
    // Binary search for the first entry with a greater seq.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return this.slice(lo, Math.min(this.count, lo + max));
  }

  clear(): void {
    this.buf.fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  private at(i: number): LogEntry {
    return this.buf[(this.head + i) % this.capacity]!;
  }

  private slice(from: number, to: number): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = from; i < to; i++) out.push(this.at(i));
    return out;
  }
}
