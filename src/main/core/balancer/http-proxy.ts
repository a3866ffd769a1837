/**
 * The `http` mode: a request-aware reverse proxy. Each request goes to one instance over a
 * keep-alive connection; the response streams back as it arrives (long responses, server-sent
 * events) with `x-vigil-instance` added. The request's body is not read until the connection to the
 * instance is open, so a request whose connection was refused or reset before it opened has sent
 * nothing and is retried once, on another instance; nothing else is retried. Requests without a
 * body use the plain-socket pool (upstream.ts), those with one Node's HTTP client. Upgrades:
 * upgrade-proxy.ts.
 */
import http from 'node:http';
import type net from 'node:net';
import { begin, end, type Instance } from './pool.js';
import { connectFailure, type Router } from './router.js';
import type { UpstreamHead } from './upstream.js';

/**
 * Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1). Transfer-Encoding is
 * kept: Node frames the forwarded body by it on either side.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
]);

export const INSTANCE_HEADER = 'x-vigil-instance';

/**
 * The request's headers as a flat [name, value, ...] list (kept as the client wrote them, which
 * also spares Node a validation pass per header), without hop-by-hop ones, with the client's
 * address appended to x-forwarded-for and x-forwarded-proto set when absent.
 */
function forwardHeaders(
  raw: readonly string[],
  clientIp: string,
): { headers: string[]; body: boolean } {
  const out: string[] = [];
  let xff: string | null = null;
  let proto = false;
  let body = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!;
    const lower = k.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (lower === 'x-forwarded-for') {
      xff = xff === null ? raw[i + 1]! : `${xff}, ${raw[i + 1]!}`;
      continue;
    }
    if (lower === 'x-forwarded-proto') proto = true;
    else if (lower === 'transfer-encoding' || (lower === 'content-length' && raw[i + 1] !== '0'))
      body = true;
    out.push(k, raw[i + 1]!);
  }
  out.push('x-forwarded-for', xff === null ? clientIp : `${xff}, ${clientIp}`);
  if (!proto) out.push('x-forwarded-proto', 'http');
  return { headers: out, body };
}

/** The response's headers for the client, with x-vigil-instance; `sized` when it has a length. */
function responseHeaders(
  raw: readonly string[],
  id: string,
): { headers: string[]; sized: boolean } {
  const headers: string[] = [];
  let sized = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!;
    const lower = k.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (lower === 'content-length') sized = true;
    headers.push(k, raw[i + 1]!);
  }
  headers.push(INSTANCE_HEADER, id);
  return { headers, sized };
}

/** A JSON error in the project's envelope, so that a person (or a client) sees what happened. */
export function sendError(
  res: http.ServerResponse,
  status: 502 | 503,
  code: 'NOT_RUNNING' | 'BAD_GATEWAY',
  message: string,
  extra: Record<string, unknown> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message, ...extra } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(status === 503 ? { 'retry-after': '1' } : {}),
  });
  res.end(body);
}

/**
 * Waits until `req`'s socket is connected; `onOpen` runs once it is, `onFail` if it never was.
 * A connect that takes longer than `timeoutMs` fails like a refused one.
 */
export function whenConnected(
  req: http.ClientRequest,
  timeoutMs: number,
  onOpen: () => void,
): { readonly connected: () => boolean } {
  let connected = false;
  req.once('socket', (socket: net.Socket) => {
    if (!socket.connecting) {
      connected = true;
      onOpen();
      return;
    }
    const timer = setTimeout(() => {
      const err: NodeJS.ErrnoException = new Error('connect timed out');
      err.code = 'ETIMEDOUT';
      req.destroy(err);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      onOpen();
    });
    socket.once('close', () => clearTimeout(timer));
  });
  return { connected: () => connected };
}

export interface HttpProxyOptions {
  readonly connectTimeoutMs: number;
}

export function handleRequest(
  router: Router,
  opts: HttpProxyOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  const clientIp = req.socket.remoteAddress ?? '';
  const { headers, body } = forwardHeaders(req.rawHeaders, clientIp);
  let clientGone = false;
  res.once('close', () => {
    clientGone = !res.writableFinished;
  });

  const attempt = (inst: Instance, tried: Set<string>): void => {
    const t0 = router.now();
    begin(inst);
    let settled = false;
    const settle = (ok: boolean, latency: number | null): void => {
      if (settled) return;
      settled = true;
      end(inst, ok, latency, router.now());
    };
    const up = http.request({
      host: inst.host,
      port: inst.port,
      method: req.method,
      path: req.url,
      headers,
      agent: inst.agent,
    });
    const conn = whenConnected(up, opts.connectTimeoutMs, () => {
      if (body) req.pipe(up);
    });
    if (!body) up.end();

    up.once('response', (ures) => {
      const latency = router.now() - t0;
      const out = responseHeaders(ures.rawHeaders, inst.id);
      res.writeHead(ures.statusCode ?? 502, ures.statusMessage, out.headers);
      // A response without a length streams: send the headers now, do not wait for a first chunk.
      if (!out.sized) res.flushHeaders();
      ures.pipe(res);
      ures.once('end', () => settle(true, latency));
      ures.once('error', () => {
        settle(false, latency);
        res.destroy();
      });
      ures.once('close', () => {
        if (!ures.complete) {
          settle(false, latency);
          res.destroy();
        }
      });
    });

    up.once('error', (err: NodeJS.ErrnoException) => {
      if (clientGone) {
        settle(true, null);
        return;
      }
      settle(false, null);
      const reason = connectFailure(err);
      if (!conn.connected()) {
        // Nothing reached the instance: take it out, and send the request once more elsewhere.
        router.refused(inst, reason);
        tried.add(inst.id);
        if (tried.size === 1) {
          const next = router.choose(clientIp, tried);
          if (next) {
            router.retried(inst, next, reason);
            attempt(next, tried);
            return;
          }
        }
        sendError(
          res,
          502,
          'BAD_GATEWAY',
          `${router.service}: ${inst.id} refused the connection (${reason})`,
          {
            instance: inst.id,
            reachedInstance: false,
          },
        );
        return;
      }
      sendError(
        res,
        502,
        'BAD_GATEWAY',
        `${router.service}: ${inst.id} failed during the request (${reason}); not retried, since it may have acted on it`,
        { instance: inst.id, reachedInstance: true },
      );
    });

    res.once('close', () => {
      if (!res.writableFinished) up.destroy();
    });
  };

  // A request without a body goes over the plain-socket pool (upstream.ts), the cheaper path.
  const attemptPlain = (inst: Instance, tried: Set<string>): void => {
    const t0 = router.now();
    begin(inst);
    let settled = false;
    let latency: number | null = null;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      end(inst, ok, latency, router.now());
    };
    let head = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
    for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    head += '\r\n';
    const ex = inst.upstream.request(head, req.method === 'HEAD', opts.connectTimeoutMs, {
      head: (h: UpstreamHead) => {
        latency = router.now() - t0;
        h.headers.push(INSTANCE_HEADER, inst.id);
        res.writeHead(h.status, h.statusMessage, h.headers);
        if (!h.sized) res.flushHeaders();
      },
      data: (chunk) => res.write(chunk),
      end: () => {
        settle(true);
        res.end();
      },
      error: (err, connected) => {
        if (clientGone) {
          settle(true);
          return;
        }
        settle(false);
        const reason = connectFailure(err);
        if (!connected) {
          router.refused(inst, reason);
          tried.add(inst.id);
          const next = tried.size === 1 ? router.choose(clientIp, tried) : null;
          if (next) {
            router.retried(inst, next, reason);
            attemptPlain(next, tried);
            return;
          }
          sendError(
            res,
            502,
            'BAD_GATEWAY',
            `${router.service}: ${inst.id} refused the connection (${reason})`,
            {
              instance: inst.id,
              reachedInstance: false,
            },
          );
          return;
        }
        sendError(
          res,
          502,
          'BAD_GATEWAY',
          `${router.service}: ${inst.id} failed during the request (${reason}); not retried, since it may have acted on it`,
          { instance: inst.id, reachedInstance: true },
        );
      },
    });
    res.on('drain', () => ex.resume());
    res.once('close', () => {
      if (!res.writableFinished && !settled) {
        ex.abort();
        settle(true);
      }
    });
  };

  const first = router.choose(clientIp);
  if (!first) {
    router.noInstance();
    if (body) req.resume();
    sendError(res, 503, 'NOT_RUNNING', `${router.service}: no instance is ready`, {
      service: router.service,
    });
    return;
  }
  if (body) attempt(first, new Set());
  else attemptPlain(first, new Set());
}
