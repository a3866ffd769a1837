/**
 * Vigil's own log: console (coloured on a TTY) plus `<data-dir>/logs/vigil.log` and
 * `vigil-errors.log`, rotated by size. Secrets are redacted before anything is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import type { LogLevel } from '../../shared/model.js';

/** Append, create, and never follow a symlink planted in the logs directory (writes stay inside it). */
const APPEND_NOFOLLOW =
  fs.constants.O_WRONLY |
  fs.constants.O_APPEND |
  fs.constants.O_CREAT |
  (fs.constants.O_NOFOLLOW ?? 0);

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  setLevel(level: LogLevel): void;
  /** Adds a string that must never appear in any log output (tokens, secret env values). */
  addSecret(secret: string): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Directory for vigil.log and vigil-errors.log; no files when absent. */
  dir?: string;
  /** Where console lines go; `null` for none (e.g. `--json` mode writes events on stdout). */
  console?: NodeJS.WritableStream | null;
  color?: boolean;
  maxBytes?: number;
  maxFiles?: number;
}

class SizeRotatedFile {
  private fd: number | null = null;
  private size = 0;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
  ) {}

  write(text: string): void {
    try {
      if (this.fd === null) {
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
        this.fd = fs.openSync(this.file, APPEND_NOFOLLOW, 0o600);
        this.size = fs.fstatSync(this.fd).size;
      }
      const buf = Buffer.from(text);
      if (this.size + buf.length > this.maxBytes && this.size > 0) this.rotate();
      fs.writeSync(this.fd!, buf);
      this.size += buf.length;
    } catch {
      // Vigil's own log must never take Vigil down (full disk, read-only dir).
    }
  }

  private rotate(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    for (let i = this.maxFiles - 1; i >= 1; i--) {
      const from = i === 1 ? this.file : `${this.file}.${i - 1}`;
      if (fs.existsSync(from)) fs.renameSync(from, `${this.file}.${i}`);
    }
    this.fd = fs.openSync(this.file, APPEND_NOFOLLOW, 0o600);
    this.size = 0;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger & { close(): void } {
  let level = LEVELS[opts.level ?? 'info'];
  const secrets = new Set<string>();
  const out = opts.console === undefined ? process.stderr : opts.console;
  const color = opts.color ?? Boolean((out as { isTTY?: boolean } | null)?.isTTY);
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  const maxFiles = opts.maxFiles ?? 5;
  const all = opts.dir
    ? new SizeRotatedFile(path.join(opts.dir, 'vigil.log'), maxBytes, maxFiles)
    : null;
  const errors = opts.dir
    ? new SizeRotatedFile(path.join(opts.dir, 'vigil-errors.log'), maxBytes, maxFiles)
    : null;

  const redact = (s: string): string => {
    let r = s;
    for (const secret of secrets) if (secret.length >= 4) r = r.split(secret).join('***');
    return r;
  };

  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[lvl] < level) return;
    const ts = new Date().toISOString();
    const extra = fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields) : '';
    const line = redact(`${ts} ${lvl.toUpperCase().padEnd(5)} ${msg}${extra}`);
    all?.write(line + '\n');
    if (lvl === 'error') errors?.write(line + '\n');
    if (out) {
      const paint = !color
        ? (s: string) => s
        : lvl === 'error'
          ? pc.red
          : lvl === 'warn'
            ? pc.yellow
            : lvl === 'debug'
              ? pc.dim
              : (s: string) => s;
      out.write(paint(redact(`vigil ${lvl}: ${msg}${extra}`)) + '\n');
    }
  };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    setLevel: (l) => {
      level = LEVELS[l];
    },
    addSecret: (s) => {
      secrets.add(s);
    },
    close: () => {
      all?.close();
      errors?.close();
    },
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  addSecret: () => {},
};
