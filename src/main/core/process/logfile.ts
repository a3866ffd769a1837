/**
 * A log file rotated by size: `name.log`, `name.log.1` … `name.log.<maxFiles-1>`.
 *
 * Built for services that print tens of MB per second: writes are batched (collected in memory
 * up to `flushBytes`, then written with one system call, or at the end of the current turn of the
 * event loop), so memory stays bounded and the number of system calls stays low. It never throws:
 * a full disk or a vanished directory drops the batch and reports one warning until writing works
 * again.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface RotatingLogFileOptions {
  /** Size at which the file is rotated. Default 10 MB. */
  maxBytes?: number;
  /** Files kept, the current one included. Default 5. */
  maxFiles?: number;
  /** Batch size that triggers an immediate write. Default 64 KiB. */
  flushBytes?: number;
  /** Told once when writing starts failing (and again only after it worked in between). */
  onWarning?: (message: string) => void;
}

const OPEN_FLAGS =
  fs.constants.O_WRONLY |
  fs.constants.O_APPEND |
  fs.constants.O_CREAT |
  (fs.constants.O_NOFOLLOW ?? 0);

export class RotatingLogFile {
  readonly file: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private readonly flushBytes: number;
  private readonly onWarning: ((message: string) => void) | undefined;
  private fd: number | null = null;
  private size = 0;
  /** Batched text, written with one system call per `flushBytes`. */
  private pending = '';
  private scheduled: NodeJS.Immediate | null = null;
  private failing = false;
  private closed = false;
  private droppedBytes = 0;

  constructor(file: string, opts: RotatingLogFileOptions = {}) {
    this.file = path.resolve(file);
    this.maxBytes = Math.max(1, opts.maxBytes ?? 10 * 1024 * 1024);
    this.maxFiles = Math.max(1, Math.floor(opts.maxFiles ?? 5));
    this.flushBytes = Math.max(1, opts.flushBytes ?? 64 * 1024);
    this.onWarning = opts.onWarning;
  }

  /** Bytes dropped because the file could not be written. */
  get dropped(): number {
    return this.droppedBytes;
  }

  write(text: string): void {
    this.writeParts(text, '', '');
  }

  /** Writes `a + b + c` (the hot path for log lines: prefix, text, newline). */
  writeParts(a: string, b: string, c: string): void {
    if (this.closed) return;
    // Appending to one string is the cheapest batching V8 offers; it is flattened once per write.
    this.pending += a;
    this.pending += b;
    this.pending += c;
    if (this.pending.length >= this.flushBytes) this.flush();
    else if (this.scheduled === null && this.pending.length > 0) {
      this.scheduled = setImmediate(() => {
        this.scheduled = null;
        this.flush();
      });
    }
  }

  /** Writes what is batched now. */
  flush(): void {
    if (this.scheduled !== null) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    if (this.pending.length === 0) return;
    const text = this.pending;
    this.pending = '';
    this.writeOut(text);
  }

  private writeOut(text: string): void {
    const bytes = Buffer.byteLength(text);
    try {
      this.open();
      if (this.size + bytes <= this.maxBytes) {
        // No rotation in this batch: the string goes to the kernel without a Buffer copy.
        const n = fs.writeSync(this.fd!, text);
        this.size += n;
        if (n < bytes) this.writeBuffer(Buffer.from(text).subarray(n));
      } else {
        this.writeBuffer(Buffer.from(text));
      }
      this.failing = false;
    } catch (err) {
      this.droppedBytes += bytes;
      this.closeFd();
      if (!this.failing) {
        this.failing = true;
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        this.onWarning?.(
          `cannot write log file ${this.file} (${code}); dropping output until it works again`,
        );
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.closeFd();
  }

  private open(): number {
    if (this.fd === null) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      this.fd = fs.openSync(this.file, OPEN_FLAGS, 0o600);
      this.size = fs.fstatSync(this.fd).size;
    }
    return this.fd;
  }

  private writeBuffer(buf: Buffer): void {
    let rest = buf;
    while (rest.length > 0) {
      this.open();
      const room = this.maxBytes - this.size;
      if (rest.length <= room) {
        this.writeAll(rest);
        return;
      }
      // Fill the current file up to the last whole line that fits, then rotate.
      const cut = room > 0 ? rest.lastIndexOf(0x0a, room - 1) + 1 : 0;
      if (cut > 0) {
        this.writeAll(rest.subarray(0, cut));
        rest = rest.subarray(cut);
      } else if (this.size === 0) {
        // One line longer than a whole file: cut it at the size limit.
        this.writeAll(rest.subarray(0, room));
        rest = rest.subarray(room);
      }
      this.rotate();
    }
  }

  private writeAll(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd!, buf, off, buf.length - off);
    this.size += buf.length;
  }

  private rotate(): void {
    this.closeFd();
    if (this.maxFiles <= 1) {
      fs.truncateSync(this.file, 0);
      return;
    }
    for (let i = this.maxFiles - 1; i >= 1; i--) {
      const from = i === 1 ? this.file : `${this.file}.${i - 1}`;
      try {
        fs.renameSync(from, `${this.file}.${i}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed or broken: nothing left to do with it
    }
    this.fd = null;
  }
}
