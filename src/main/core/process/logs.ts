/**
 * The output of one service: the last lines in memory (for the API, the UI and log probes) and
 * `<logsDir>/<name>.log` on disk, rotated by size. Each file line is
 * `<ISO time> <out|err> <text>`.
 */
import path from 'node:path';
import { isValidServiceName } from '../../../shared/model.js';
import { VigilError } from '../../../shared/errors.js';
import { LogRing, type LogEntry } from './ring.js';
import { RotatingLogFile } from './logfile.js';

export interface ServiceLogsOptions {
  name: string;
  logsDir: string;
  /** Lines kept in memory. Default 2000. */
  ringLines?: number;
  /** Default 10 MB. */
  maxBytes?: number;
  /** Default 5 (`name.log` and `.1` … `.4`). */
  maxFiles?: number;
  onWarning?: (message: string) => void;
}

/** `<logsDir>/<name>.log`, refusing names that are not identifiers or would leave `logsDir`. */
export function serviceLogPath(logsDir: string, name: string): string {
  if (!isValidServiceName(name)) {
    throw new VigilError('INVALID_CONFIGURATION', `"${name}" is not a valid service name`, {
      hint: 'service names match [a-z0-9][a-z0-9_-]* (at most 64 characters)',
    });
  }
  const dir = path.resolve(logsDir);
  const file = path.join(dir, `${name}.log`);
  if (path.dirname(file) !== dir) {
    throw new VigilError('INVALID_CONFIGURATION', `log file for "${name}" would leave ${dir}`);
  }
  return file;
}

export class ServiceLogs {
  readonly name: string;
  readonly file: string;
  private readonly ring: LogRing;
  private readonly out: RotatingLogFile;
  private lastTs = Number.NaN;
  private outPrefix = '';
  private errPrefix = '';

  constructor(opts: ServiceLogsOptions) {
    this.name = opts.name;
    this.file = serviceLogPath(opts.logsDir, opts.name);
    this.ring = new LogRing(opts.ringLines ?? 2000);
    this.out = new RotatingLogFile(this.file, {
      ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
      ...(opts.maxFiles !== undefined ? { maxFiles: opts.maxFiles } : {}),
      ...(opts.onWarning !== undefined ? { onWarning: opts.onWarning } : {}),
    });
  }

  get lastSeq(): number {
    return this.ring.lastSeq;
  }

  /** `instance` tags the line of a replicated service's instance (`[api#1]` in the file). */
  append(stream: 'stdout' | 'stderr', line: string, ts: number, instance?: string): LogEntry {
    const entry: LogEntry =
      instance === undefined
        ? { seq: this.ring.lastSeq + 1, ts, stream, line }
        : { seq: this.ring.lastSeq + 1, ts, stream, line, instance };
    this.ring.push(entry);
    if (ts !== this.lastTs) {
      this.lastTs = ts;
      const iso = new Date(Number.isFinite(ts) ? ts : Date.now()).toISOString();
      this.outPrefix = `${iso} out `;
      this.errPrefix = `${iso} err `;
    }
    const prefix = stream === 'stderr' ? this.errPrefix : this.outPrefix;
    this.out.writeParts(instance === undefined ? prefix : `${prefix}[${instance}] `, line, '\n');
    return entry;
  }

  /**
   * The newest `limit` lines, or the lines after `since` (at most `limit`), optionally only one
   * instance's. Filtering reads the whole ring: a replicated service's ring holds every instance.
   */
  read(q: { since?: number; limit: number; instance?: string }): LogEntry[] {
    if (q.instance === undefined) {
      return q.since !== undefined ? this.ring.since(q.since, q.limit) : this.ring.tail(q.limit);
    }
    const all = this.ring.since(q.since ?? 0, Number.MAX_SAFE_INTEGER);
    const mine = all.filter((e) => e.instance === q.instance);
    return q.since !== undefined ? mine.slice(0, q.limit) : mine.slice(-q.limit);
  }

  tail(n: number): LogEntry[] {
    return this.ring.tail(n);
  }

  since(seq: number, limit: number): LogEntry[] {
    return this.ring.since(seq, limit);
  }

  /** Writes batched lines to disk now. */
  flush(): void {
    this.out.flush();
  }

  close(): void {
    this.out.close();
  }
}
