/**
 * Requests without a body go to an instance over a plain TCP socket from a small keep-alive pool,
 * with a minimal HTTP/1.1 response reader (status line and headers, then a body framed by
 * Content-Length, chunked encoding, or the end of the connection; none for HEAD, 1xx, 204, 304).
 * Node's HTTP client costs about twice as much CPU per request for the same exchange (measured in
 * ADR 0013); requests with a body still use it, since their bodies have to be framed and streamed.
 */
import net from 'node:net';

/** Headers of one hop only, never forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/** Idle connections are closed after this long (Node servers close theirs after 5 s). */
export const IDLE_MS = 4000;

const MAX_HEAD = 64 * 1024;

export interface UpstreamHead {
  readonly status: number;
  readonly statusMessage: string;
  /** Flat [name, value, ...] without hop-by-hop headers. */
  readonly headers: string[];
  /** The response has a Content-Length (or no body at all). */
  readonly sized: boolean;
}

/** What one exchange hears; every callback runs at most once, `error` or `end` last. */
export interface ExchangeHandlers {
  head(h: UpstreamHead): void;
  /** A piece of the (decoded) body; false asks to pause until `resume` is called. */
  data(chunk: Buffer): boolean;
  end(): void;
  /** `connected`: whether the connection to the instance had opened (the request may have arrived). */
  error(err: NodeJS.ErrnoException, connected: boolean): void;
}

type BodyMode = 'none' | 'length' | 'chunked' | 'close';

/** One connection with its reader; reused while the instance keeps it alive. */
class Conn {
  readonly socket: net.Socket;
  connected = false;
  private x: ExchangeHandlers | null = null;
  private headOnly = false;
  private buf: Buffer | null = null;
  private phase: 'idle' | 'head' | 'body' = 'idle';
  private mode: BodyMode = 'none';
  private left = 0;
  /** Chunked reader: 'size' line, 'data' of `left` bytes, 'crlf' after data, 'trailer' lines. */
  private chunk: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  private keepAlive = true;

  constructor(
    host: string,
    port: number,
    private readonly pool: UpstreamPool,
    connectTimeoutMs: number,
  ) {
    this.socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      const err: NodeJS.ErrnoException = new Error('connect timed out');
      err.code = 'ETIMEDOUT';
      this.socket.destroy(err);
    }, connectTimeoutMs);
    this.socket.once('connect', () => {
      clearTimeout(timer);
      this.connected = true;
    });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      this.fail(err);
    });
    this.socket.on('close', () => {
      clearTimeout(timer);
      this.pool.forget(this);
      if (this.x) {
        if (this.phase === 'body' && this.mode === 'close') this.finish(false);
        else {
          const err: NodeJS.ErrnoException = new Error('the instance closed the connection');
          err.code = 'ECONNRESET';
          this.fail(err);
        }
      }
    });
    this.socket.on('timeout', () => {
      if (!this.x) this.socket.destroy();
    });
  }

  start(head: string, headOnly: boolean, x: ExchangeHandlers): void {
    this.x = x;
    this.headOnly = headOnly;
    this.phase = 'head';
    this.buf = null;
    this.keepAlive = true;
    this.socket.setTimeout(0);
    this.socket.write(head, 'latin1');
  }

  resume(): void {
    this.socket.resume();
  }

  abort(): void {
    this.x = null;
    this.socket.destroy();
  }

  private fail(err: NodeJS.ErrnoException): void {
    const x = this.x;
    this.x = null;
    this.socket.destroy();
    x?.error(err, this.connected);
  }

  private finish(reusable: boolean): void {
    const x = this.x;
    this.x = null;
    this.phase = 'idle';
    if (reusable && this.keepAlive && this.buf === null) {
      this.socket.setTimeout(IDLE_MS);
      this.pool.release(this);
    } else this.socket.destroy();
    x?.end();
  }

  private protocolError(what: string): void {
    const err: NodeJS.ErrnoException = new Error(`bad response from the instance: ${what}`);
    err.code = 'EPROTO';
    this.fail(err);
  }

  private onData(d: Buffer): void {
    if (!this.x) {
      // Bytes while idle: the connection is out of step; never reuse it.
      this.socket.destroy();
      return;
    }
    let data = this.buf ? Buffer.concat([this.buf, d]) : d;
    this.buf = null;
    while (data.length > 0 && this.x) {
      if (this.phase === 'head') {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) {
          if (data.length > MAX_HEAD) return this.protocolError('headers too large');
          this.buf = data;
          return;
        }
        const text = data.toString('latin1', 0, end);
        data = data.subarray(end + 4);
        if (!this.readHead(text)) return;
        continue;
      }
      data = this.readBody(data);
    }
  }

  /** Parses one response head; false when it failed the exchange. */
  private readHead(text: string): boolean {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
    if (!m) {
      this.protocolError('no status line');
      return false;
    }
    const status = Number(m[2]);
    if (status >= 100 && status < 200) return true; // interim (103 Early Hints): the real one follows
    this.keepAlive = m[1] === '1';
    const headers: string[] = [];
    let length: number | null = null;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const c = line.indexOf(':');
      if (c <= 0) continue;
      const name = line.slice(0, c);
      const value = line.slice(c + 1).trim();
      const lower = name.toLowerCase();
      if (lower === 'connection') {
        const v = value.toLowerCase();
        if (v.includes('close')) this.keepAlive = false;
        else if (v.includes('keep-alive')) this.keepAlive = true;
      }
      if (HOP.has(lower)) continue;
      if (lower === 'content-length') length = Number(value);
      else if (lower === 'transfer-encoding' && value.toLowerCase().includes('chunked'))
        chunked = true;
      headers.push(name, value);
    }
    const noBody = this.headOnly || status === 204 || status === 304;
    this.mode = noBody ? 'none' : chunked ? 'chunked' : length !== null ? 'length' : 'close';
    if (this.mode === 'close') this.keepAlive = false;
    this.left = this.mode === 'length' ? length! : 0;
    this.chunk = 'size';
    this.phase = 'body';
    this.x!.head({
      status,
      statusMessage: m[3] ?? '',
      headers,
      sized: this.mode === 'none' || this.mode === 'length',
    });
    if (this.mode === 'none' || (this.mode === 'length' && this.left === 0)) this.finish(true);
    return true;
  }

  /** Consumes body bytes; returns what is left over (the start of nothing: an error). */
  private readBody(data: Buffer): Buffer {
    const x = this.x!;
    if (this.mode === 'close') {
      if (!x.data(data)) this.socket.pause();
      return Buffer.alloc(0);
    }
    if (this.mode === 'length') {
      const take = Math.min(this.left, data.length);
      this.left -= take;
      const more = x.data(take === data.length ? data : data.subarray(0, take));
      if (this.left === 0) {
        if (take < data.length) this.keepAlive = false; // bytes beyond the response
        this.finish(true);
      } else if (!more) this.socket.pause();
      return Buffer.alloc(0);
    }
    // chunked
    while (data.length > 0 && this.x) {
      if (this.chunk === 'size' || this.chunk === 'trailer') {
        const nl = data.indexOf('\r\n');
        if (nl < 0) {
          if (data.length > MAX_HEAD) this.protocolError('chunk size line too long');
          else this.buf = data;
          return Buffer.alloc(0);
        }
        const line = data.toString('latin1', 0, nl);
        data = data.subarray(nl + 2);
        if (this.chunk === 'trailer') {
          if (line === '') {
            if (data.length > 0) this.keepAlive = false;
            this.finish(true);
            return Buffer.alloc(0);
          }
          continue;
        }
        const size = parseInt(line, 16);
        if (!Number.isFinite(size) || size < 0) {
          this.protocolError('bad chunk size');
          return Buffer.alloc(0);
        }
        if (size === 0) this.chunk = 'trailer';
        else {
          this.chunk = 'data';
          this.left = size;
        }
      } else if (this.chunk === 'data') {
        const take = Math.min(this.left, data.length);
        this.left -= take;
        const more = x.data(data.subarray(0, take));
        data = data.subarray(take);
        if (this.left === 0) this.chunk = 'crlf';
        if (!more) this.socket.pause();
      } else {
        if (data.length < 2) {
          this.buf = data;
          return Buffer.alloc(0);
        }
        data = data.subarray(2);
        this.chunk = 'size';
      }
    }
    return Buffer.alloc(0);
  }
}

/** Keep-alive connections to one instance. */
export class UpstreamPool {
  private idle: Conn[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /**
   * Sends `head` (a complete request head, no body) and reports the response to `x`. Returns a
   * handle to resume a paused body or abort the exchange.
   */
  request(
    head: string,
    headOnly: boolean,
    connectTimeoutMs: number,
    x: ExchangeHandlers,
  ): { resume(): void; abort(): void } {
    const conn = this.idle.pop() ?? new Conn(this.host, this.port, this, connectTimeoutMs);
    conn.start(head, headOnly, x);
    return { resume: () => conn.resume(), abort: () => conn.abort() };
  }

  release(conn: Conn): void {
    this.idle.push(conn);
  }

  forget(conn: Conn): void {
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes the idle connections (those in use come back when done, and time out when idle). */
  destroy(): void {
    for (const c of this.idle.splice(0)) c.socket.destroy();
  }
}
