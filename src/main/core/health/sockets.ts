/**
 * The two network operations the probes need, each one bounded and leak-free: a single HTTP GET
 * (no keep-alive, body capped) and a TCP connect. Both resolve, never reject, and release their
 * socket, timer and abort listener on every path (answer, error, timeout, abort).
 */
import net from 'node:net';

/** The most of a response body a probe ever reads. */
export const MAX_BODY_BYTES = 4096;

export type HttpOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly body: string }
  /** `connected`: the TCP connection was established before the error (reset, not HTTP...). */
  | { readonly kind: 'error'; readonly code: string; readonly connected: boolean }
  | { readonly kind: 'timeout'; readonly connected: boolean }
  | { readonly kind: 'aborted' };

export interface HttpGetOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /** Whether the body of a response with this status is worth reading (up to 4 KiB). */
  readonly readBody: (status: number) => boolean;
}

/** `ECONNREFUSED`, `ECONNRESET`, `HPE_INVALID_CONSTANT`... or the message when there is no code. */
export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
    // Happy-eyeballs connects (`localhost` -> ::1 and 127.0.0.1) fail with an AggregateError.
    const inner = (err as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.length > 0) return errorCode(inner[0]);
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string' && message) return message;
  }
  return String(err);
}

/** `127.0.0.1:80`, `[::1]:80`. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Header names are tokens (RFC 9110 §5.6.2). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Field values: no control characters but tab (no CR/LF: nothing can be smuggled in). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Request targets: printable, no spaces or controls. */
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;
/** The most of a response head a probe reads before calling it broken. */
const MAX_HEAD_BYTES = 16 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');
/**
 * Every probe socket reads into this one buffer; a read is handled before the next one can
 * happen (one thread), and what must outlive it is copied.
 */
const READ_BUFFER = Buffer.allocUnsafe(MAX_HEAD_BYTES + 1024);
const HTTP_PREFIX = Buffer.from('HTTP/');

class RequestError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** The bytes of a `GET` with `Connection: close`; throws a RequestError on what cannot be sent. */
export function requestBytes(
  host: string,
  port: number,
  path: string,
  headers: Readonly<Record<string, string>> = {},
): string {
  const target = path.startsWith('/') ? path : `/${path}`;
  if (!TARGET.test(target)) throw new RequestError('ERR_UNESCAPED_CHARACTERS');
  const lines = [`GET ${target} HTTP/1.1`];
  let hostSet = false;
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) throw new RequestError('ERR_INVALID_HTTP_TOKEN');
    if (!FIELD_VALUE.test(value)) throw new RequestError('ERR_INVALID_CHAR');
    const lower = name.toLowerCase();
    if (lower === 'connection' || lower === 'content-length' || lower === 'transfer-encoding')
      continue;
    if (lower === 'host') hostSet = true;
    lines.push(`${name}: ${value}`);
  }
  if (!hostSet)
    lines.splice(
      1,
      0,
      `Host: ${port === 80 ? hostPort(host, port).replace(/:80$/, '') : hostPort(host, port)}`,
    );
  lines.push('Connection: close', '', '');
  return lines.join('\r\n');
}

/** Status and framing of a response head, or null when it is not HTTP. */
export function parseHead(
  head: string,
): { status: number; chunked: boolean; length: number | null } | null {
  const m = /^HTTP\/\d\.\d (\d{3})(?: |\r|$)/.exec(head);
  if (!m) return null;
  let chunked = false;
  let length: number | null = null;
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding') chunked = /(^|,)\s*chunked\s*$/i.test(value);
    else if (name === 'content-length' && /^\d+$/.test(value)) length = Number(value);
  }
  return { status: Number(m[1]), chunked, length: chunked ? null : length };
}

/**
 * Decodes as much of a chunked body as `raw` holds (a probe only shows the start of a body).
 * `done` once the last chunk was seen.
 */
export function dechunk(raw: Buffer): { body: Buffer; done: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(raw.toString('latin1', at, eol).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) break;
    if (size === 0) return { body: Buffer.concat(parts), done: true };
    const start = eol + 2;
    parts.push(raw.subarray(start, Math.min(start + size, raw.length)));
    if (start + size + 2 > raw.length) break;
    at = start + size + 2;
  }
  return { body: Buffer.concat(parts), done: false };
}

/**
 * One HTTP/1.1 `GET` on a fresh connection (`Connection: close`), written and read directly on a
 * TCP socket: a probe needs the status and, for some statuses, the start of the body, and Node's
 * full HTTP client cost three times the CPU for that (a steady stack of 100 services sends 20
 * probes a second). Interim 1xx responses are skipped; anything that does not start like an HTTP
 * response is `HPE_INVALID_CONSTANT`, a close before the status is `ECONNRESET`.
 */
export function httpGet(opts: HttpGetOptions): Promise<HttpOutcome> {
  return new Promise<HttpOutcome>((resolve) => {
    const { signal } = opts;
    if (signal?.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    let request: string;
    try {
      request = requestBytes(opts.host, opts.port, opts.path, opts.headers);
    } catch (err) {
      resolve({ kind: 'error', code: errorCode(err), connected: false });
      return;
    }
    let done = false;
    let connected = false;
    let socket: net.Socket | null = null;
    let timer: NodeJS.Timeout | null = null;
    /** Bytes of the response head (and whatever followed it) until the head is complete. */
    let pending: Buffer = Buffer.alloc(0);
    let status: number | null = null;
    let framing: { chunked: boolean; length: number | null } | null = null;
    let raw: Buffer = Buffer.alloc(0);

    const body = (): string => {
      const bytes = framing?.chunked ? dechunk(raw).body : raw;
      return bytes.subarray(0, MAX_BODY_BYTES).toString('utf8');
    };
    const finish = (outcome: HttpOutcome): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket?.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => finish({ kind: 'aborted' });
    const answered = (): void => finish({ kind: 'response', status: status ?? 0, body: body() });

    const onBody = (chunk: Buffer): void => {
      if (raw.length < MAX_BODY_BYTES * 2) raw = Buffer.concat([raw, chunk]);
      if (framing?.chunked) {
        const d = dechunk(raw);
        if (d.done || d.body.length >= MAX_BODY_BYTES) answered();
      } else if (framing?.length !== null && framing?.length !== undefined) {
        if (raw.length >= Math.min(framing.length, MAX_BODY_BYTES)) answered();
      } else if (raw.length >= MAX_BODY_BYTES) answered();
    };

    const onData = (chunk: Buffer): void => {
      if (done) return;
      if (status !== null) {
        onBody(chunk);
        return;
      }
      // `chunk` is a view of the shared read buffer: whatever is kept past this call is copied.
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const prefix = Math.min(pending.length, HTTP_PREFIX.length);
        if (pending.subarray(0, prefix).compare(HTTP_PREFIX, 0, prefix) !== 0) {
          finish({ kind: 'error', code: 'HPE_INVALID_CONSTANT', connected });
          return;
        }
        const end = pending.indexOf(CRLFCRLF);
        if (end < 0) {
          if (pending.length > MAX_HEAD_BYTES)
            finish({ kind: 'error', code: 'HPE_HEADER_OVERFLOW', connected });
          else pending = Buffer.from(pending);
          return;
        }
        const head = parseHead(pending.toString('latin1', 0, end));
        if (!head) {
          finish({ kind: 'error', code: 'HPE_INVALID_CONSTANT', connected });
          return;
        }
        const rest = pending.subarray(end + CRLFCRLF.length);
        if (head.status >= 100 && head.status < 200 && head.status !== 101) {
          pending = rest; // interim response (100 Continue, 103 Early Hints): the real one follows
          if (pending.length === 0) return;
          continue;
        }
        status = head.status;
        framing = head;
        pending = Buffer.alloc(0);
        const noBody = head.length === 0 || status === 204 || status === 304;
        if (!opts.readBody(status) || noBody) {
          answered();
          return;
        }
        if (rest.length > 0) onBody(rest);
        return;
      }
    };

    try {
      socket = net.connect({
        host: opts.host,
        port: opts.port,
        // Straight into one shared buffer: no stream buffering, no allocation per read.
        onread: {
          buffer: READ_BUFFER,
          callback: (n: number, buf: Uint8Array): boolean => {
            onData(Buffer.from(buf.buffer, buf.byteOffset, n));
            return true;
          },
        },
      });
    } catch (err) {
      // Invalid port numbers throw synchronously.
      resolve({ kind: 'error', code: errorCode(err), connected: false });
      return;
    }
    const sock = socket;
    sock.on('error', (err) => {
      // The status already arrived: the answer stands, with whatever body came in time.
      if (status !== null) answered();
      else finish({ kind: 'error', code: errorCode(err), connected });
    });
    sock.once('connect', () => {
      connected = true;
      sock.write(request, 'latin1');
    });
    sock.on('end', () => {
      if (status !== null) answered();
      else finish({ kind: 'error', code: 'ECONNRESET', connected });
    });
    sock.on('close', () => {
      if (status !== null) answered();
      else finish({ kind: 'error', code: 'ECONNRESET', connected });
    });
    timer = setTimeout(
      () => {
        if (status !== null) answered();
        else finish({ kind: 'timeout', connected });
      },
      Math.max(1, opts.timeoutMs),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export type TcpOutcome =
  | { readonly kind: 'connected' }
  | { readonly kind: 'error'; readonly code: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' };

/** Connects and closes at once. */
export function tcpConnect(
  host: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<TcpOutcome> {
  return new Promise<TcpOutcome>((resolve) => {
    if (signal?.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    let done = false;
    let timer: NodeJS.Timeout | null = null;
    let socket: net.Socket | null = null;
    const finish = (outcome: TcpOutcome): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket?.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => finish({ kind: 'aborted' });
    try {
      socket = net.connect({ host, port });
    } catch (err) {
      // Invalid port numbers throw synchronously.
      resolve({ kind: 'error', code: errorCode(err) });
      return;
    }
    socket.on('error', (err) => finish({ kind: 'error', code: errorCode(err) }));
    socket.once('connect', () => finish({ kind: 'connected' }));
    timer = setTimeout(() => finish({ kind: 'timeout' }), Math.max(1, timeoutMs));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
