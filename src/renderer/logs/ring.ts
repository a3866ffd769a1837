/**
 * Log lines live here, outside React: one capped ring buffer per service. Pushing is O(1) and
 * never renders anything; views poll `version` (a checkpoint) on animation frames and read only
 * the lines they show. A service printing 50 MB/s costs a bounded amount of memory and at most
 * one render per frame.
 */
import type { LogEvent } from '../../shared/events.js';
import type { LogLine } from '../../shared/views.js';

/** Lines kept per service. */
export const DEFAULT_RING_CAPACITY = 5_000;
/** Longer lines are cut (a single 10 MB line must not reach the DOM). */
export const MAX_LINE_CHARS = 4_000;

export interface LogEntry {
  readonly seq: number;
  readonly ts: number;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
  /** The instance that wrote it (`api#1`), for a replicated service. */
  readonly instance?: string;
}

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}… (line cut)` : line;
}

export class LogRing {
  private buf: (LogEntry | undefined)[];
  private start = 0;
  private count = 0;
  /** Lines ever pushed (including those that fell out). */
  private pushed = 0;
  /** Changes whenever the content changes; views compare it to their last checkpoint. */
  version = 0;

  constructor(readonly capacity: number = DEFAULT_RING_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be >= 1');
    this.buf = new Array<LogEntry | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Lines that were pushed but no longer fit. */
  get dropped(): number {
    return this.pushed - this.count;
  }

  get lastSeq(): number {
    return this.count === 0 ? 0 : this.at(this.count - 1)!.seq;
  }

  get firstSeq(): number {
    return this.count === 0 ? 0 : this.at(0)!.seq;
  }

  /**
   * Appends a line. A line is identified by its sequence number, which grows by one per line of
   * a service: one that is not newer than the last one kept is either a second delivery of a
   * line already here (it came with the fetched history and again on the live stream) and is
   * dropped, or the numbering started over (the service was replaced, or Vigil restarted) and
   * the ring starts afresh, as Vigil's own log buffer did. Two lines with one number would also
   * be two list rows with one key.
   */
  push(entry: LogEntry): void {
    if (this.count > 0 && entry.seq <= this.lastSeq) {
      const have = this.find(entry.seq);
      if (have && have.ts === entry.ts && have.stream === entry.stream) return;
      this.clear();
    }
    const e = entry.line.length > MAX_LINE_CHARS ? { ...entry, line: clip(entry.line) } : entry;
    if (this.count < this.capacity) {
      this.buf[(this.start + this.count) % this.capacity] = e;
      this.count += 1;
    } else {
      this.buf[this.start] = e;
      this.start = (this.start + 1) % this.capacity;
    }
    this.pushed += 1;
    this.version += 1;
  }

  /** The i-th line kept, oldest first. */
  at(i: number): LogEntry | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.buf[(this.start + i) % this.capacity];
  }

  /** The kept line with this sequence number (binary search: numbers grow along the ring). */
  find(seq: number): LogEntry | undefined {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.at(mid)!;
      if (e.seq === seq) return e;
      if (e.seq < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  toArray(): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.at(i)!);
    return out;
  }

  /**
   * Adds history fetched from the API (`getLogs`): lines older than what the ring holds go in
   * front, lines it already has (by sequence number) are skipped; the newest `capacity` remain.
   */
  seed(lines: readonly LogEntry[]): void {
    if (lines.length === 0) return;
    const current = this.toArray();
    const first = current.length > 0 ? current[0]!.seq : Number.POSITIVE_INFINITY;
    const last = current.length > 0 ? current[current.length - 1]!.seq : 0;
    const older = lines.filter((l) => l.seq < first);
    const newer = current.length > 0 ? lines.filter((l) => l.seq > last) : [];
    const merged = [...older, ...current, ...newer];
    const keep = merged.slice(Math.max(0, merged.length - this.capacity));
    this.buf = new Array<LogEntry | undefined>(this.capacity);
    this.start = 0;
    this.count = 0;
    for (const l of keep) {
      this.buf[this.count] = l.line.length > MAX_LINE_CHARS ? { ...l, line: clip(l.line) } : l;
      this.count += 1;
    }
    this.pushed += older.length + newer.length;
    this.version += 1;
  }

  clear(): void {
    this.buf = new Array<LogEntry | undefined>(this.capacity);
    this.start = 0;
    this.count = 0;
    this.pushed = 0;
    this.version += 1;
  }
}

/** Every service's ring. Rings are created on first use. */
export class LogStore {
  private readonly rings = new Map<string, LogRing>();

  constructor(private readonly capacity: number = DEFAULT_RING_CAPACITY) {}

  ring(service: string): LogRing {
    let r = this.rings.get(service);
    if (!r) {
      r = new LogRing(this.capacity);
      this.rings.set(service, r);
    }
    return r;
  }

  has(service: string): boolean {
    return this.rings.has(service);
  }

  push(ev: LogEvent): void {
    this.ring(ev.service).push(
      ev.instance !== undefined
        ? { seq: ev.seq, ts: ev.ts, stream: ev.stream, line: ev.line, instance: ev.instance }
        : { seq: ev.seq, ts: ev.ts, stream: ev.stream, line: ev.line },
    );
  }

  seed(service: string, lines: readonly LogLine[]): void {
    this.ring(service).seed(lines);
  }

  /** Drops the rings of services that no longer exist. */
  retain(names: ReadonlySet<string>): void {
    for (const key of [...this.rings.keys()]) if (!names.has(key)) this.rings.delete(key);
  }
}

// eslint-disable-next-line no-control-regex
const ANSI_SGR = /\u001b\[[0-9;]*m/g;

/**
 * The kept lines containing `query`, case-insensitively, oldest first; with `instance`, only
 * that instance's lines (`api#1`). Entries, not ring positions: positions shift with every push
 * once the ring is full (and when history is seeded in front), so a match list kept between
 * refreshes must hold the lines themselves.
 */
export function searchRing(
  ring: LogRing,
  query: string,
  instance: string | null = null,
): LogEntry[] {
  const q = query.trim().toLowerCase();
  const out: LogEntry[] = [];
  for (let i = 0; i < ring.size; i++) {
    const e = ring.at(i)!;
    if (instance !== null && e.instance !== instance) continue;
    if (q === '' || e.line.replace(ANSI_SGR, '').toLowerCase().includes(q)) out.push(e);
  }
  return out;
}
