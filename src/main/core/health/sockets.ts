/**
 * The two network operations the probes need, each one bounded and leak-free: a single HTTP GET
 * (no keep-alive, body capped) and a TCP connect. Both resolve, never reject, and release their
 * socket, timer and abort listener on every path (answer, error, timeout, abort).
 */
import http from 'node:http';
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

export function httpGet(opts: HttpGetOptions): Promise<HttpOutcome> {
  return new Promise<HttpOutcome>((resolve) => {
    const { signal } = opts;
    if (signal?.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    let done = false;
    let connected = false;
    let req: http.ClientRequest | null = null;
    let res: http.IncomingMessage | null = null;
    let timer: NodeJS.Timeout | null = null;
    const chunks: Buffer[] = [];
    let size = 0;

    const body = (): string => Buffer.concat(chunks).toString('utf8');
    const finish = (outcome: HttpOutcome): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      res?.destroy();
      req?.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => finish({ kind: 'aborted' });
    const answered = (r: http.IncomingMessage): void =>
      finish({ kind: 'response', status: r.statusCode ?? 0, body: body() });

    try {
      req = http.request({
        host: opts.host,
        port: opts.port,
        path: opts.path.startsWith('/') ? opts.path : `/${opts.path}`,
        method: 'GET',
        headers: { ...opts.headers, connection: 'close' },
        // A fresh agent without keep-alive: the socket lives exactly as long as this request.
        agent: false,
      });
    } catch (err) {
      // Invalid header values or unescaped characters in the path throw synchronously.
      resolve({ kind: 'error', code: errorCode(err), connected: false });
      return;
    }
    const request = req;
    // Stays attached after finish: destroying the request emits one more error.
    request.on('error', (err) => finish({ kind: 'error', code: errorCode(err), connected }));
    request.on('socket', (socket) => {
      socket.once('connect', () => {
        connected = true;
      });
    });
    request.on('response', (r) => {
      res = r;
      r.on('error', () => {});
      const status = r.statusCode ?? 0;
      if (!opts.readBody(status)) {
        answered(r);
        return;
      }
      r.on('data', (chunk: Buffer) => {
        const room = MAX_BODY_BYTES - size;
        if (room > 0) {
          const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
          chunks.push(part);
          size += part.length;
        }
        if (size >= MAX_BODY_BYTES) answered(r);
      });
      r.on('end', () => answered(r));
      r.on('close', () => answered(r));
    });
    timer = setTimeout(
      () => {
        // The status already arrived: the answer stands, with whatever body came in time.
        if (res) answered(res);
        else finish({ kind: 'timeout', connected });
      },
      Math.max(1, opts.timeoutMs),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    request.end();
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
