/**
 * The REST + WebSocket server. Routes come from the contract (see routes.ts); every request passes
 * the Host, Origin and token checks (security.ts) before any handler runs. The browser UI's static
 * files are served from `staticDir` without a token (they hold no data); `/?token=` trades the
 * token for an HttpOnly cookie and redirects to a URL without it.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import {
  EXTRA_ROUTES,
  MAX_BODY_BYTES,
  contract,
  type CommandName,
  type VigilApi,
} from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { StreamMessage } from '../../shared/events.js';
import type { ReportResponse } from '../../shared/views.js';
import { parseCommandInput } from '../../shared/client/validate.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { buildOpenApiDocument } from './openapi.js';
import { isApiPath, matchRoute, type ExtraRouteName } from './routes.js';
import {
  DOCUMENT_CSP,
  TOKEN_COOKIE,
  actorFromHeader,
  allowedHosts,
  bearerToken,
  createTokenCheck,
  isAllowedHost,
  isAllowedOrigin,
  isJsonContentType,
  isLoopbackHost,
  jsonTooDeep,
  parseCookies,
  tokenCookie,
  uiContentSecurityPolicy,
} from './security.js';
import { contentTypeFor, resolveStaticFile } from './static.js';
import { DEFAULT_BATCH_MS, createStreamSession, type EventSource } from './stream.js';

export interface HttpServerOptions {
  readonly api: VigilApi;
  readonly events: EventSource;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly token: string;
  readonly logger: Logger;
  /** The built renderer for `vigil up --ui`, served at `/`. */
  readonly staticDir?: string;
  /** Prometheus text. */
  readonly metrics: () => string;
  /** Interval of batched stream events (`health_update`, `log`); default 100 ms. */
  readonly batchMs?: number;
  /** A stream client with more unsent bytes than this is closed with 4008; default 4 MiB. */
  readonly maxClientBufferBytes?: number;
  /** WebSocket ping interval; a peer that missed the previous ping is dropped. Default 30 s. */
  readonly pingMs?: number;
  readonly clock?: Clock;
}

export interface HttpServerHandle {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** After a 413, at most this much more of the body is read (so the client sees the answer). */
const DISCARD_AFTER_REFUSAL = 1024 * 1024;
/** A stream client closed as too slow is cut off if its close handshake has not ended by then. */
const SLOW_CLIENT_GRACE_MS = 2_000;
const STREAM_CLIENT_MESSAGE_BYTES = 4096;
/**
 * Slow clients (slowloris): a local client sends its headers in well under a second and its body
 * (at most 64 KiB) in little more; one that takes longer is cut off (408) instead of holding a
 * connection for Node's defaults of 60 s and 5 min. Checked every second. Slow handlers are not
 * affected: these bound receiving the request, not answering it.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
const TIMEOUT_CHECK_MS = 1_000;

class BodyTooLarge extends VigilError {
  constructor() {
    super('PAYLOAD_TOO_LARGE', `request body is larger than ${MAX_BODY_BYTES} bytes`);
  }
}

function splitUrl(rawUrl: string): { rawPath: string; query: URLSearchParams } {
  const q = rawUrl.indexOf('?');
  return q < 0
    ? { rawPath: rawUrl, query: new URLSearchParams() }
    : { rawPath: rawUrl.slice(0, q), query: new URLSearchParams(rawUrl.slice(q + 1)) };
}

/** Whether the request carries a body (a declared length above 0, or a chunked one). */
function hasBody(req: http.IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return length > 0 || req.headers['transfer-encoding'] !== undefined;
}

function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        reject(new BodyTooLarge());
      } else chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
      } catch {
        reject(new VigilError('BAD_REQUEST', 'request body is not valid UTF-8'));
      }
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onAborted = (): void => onError(new Error('request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** Reads (and drops) a bounded rest of a refused body, then cuts the connection. */
function discardRest(req: http.IncomingMessage): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DISCARD_AFTER_REFUSAL) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

function parseJsonBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  if (jsonTooDeep(text)) throw new VigilError('BAD_REQUEST', 'request body is nested too deeply');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new VigilError('BAD_REQUEST', `malformed JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VigilError('BAD_REQUEST', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function queryInput(query: URLSearchParams): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key);
    if (all.length > 1) {
      throw new VigilError('BAD_REQUEST', `${key}: given more than once`, { field: key });
    }
    input[key] = all[0];
  }
  return input;
}

function safeFilename(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return cleaned === '' ? 'vigil-report' : cleaned.slice(0, 200);
}

function hostForUrl(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '::' || host === '[::]') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host: host === '' ? undefined : host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServerHandle> {
  if (opts.token.length === 0) {
    throw new VigilError('INVALID_CONFIGURATION', 'the API token must not be empty');
  }
  const { api, events, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const batchMs = opts.batchMs ?? DEFAULT_BATCH_MS;
  const maxClientBuffer = opts.maxClientBufferBytes ?? 4 * 1024 * 1024;
  const tokenMatches = createTokenCheck(opts.token);
  logger.addSecret(opts.token);

  const server = http.createServer({
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: STREAM_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  const clients = new Set<WebSocket>();
  const alive = new WeakMap<WebSocket, boolean>();

  await listen(server, opts.host, opts.port);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${hostForUrl(opts.host)}:${port}`;
  const hosts = allowedHosts(opts.host, port);
  const uiCsp = uiContentSecurityPolicy(port);
  const openapi = JSON.stringify(buildOpenApiDocument({ serverUrl: url }));
  if (!isLoopbackHost(opts.host)) {
    logger.warn(
      `the API listens on ${opts.host || 'every interface'}:${port} and is reachable from the network; anyone with the token can control your services`,
    );
  }

  /** Host and Origin checks: a refusal, or null. */
  const refuseHostOrigin = (req: http.IncomingMessage): VigilError | null => {
    if (!isAllowedHost(req.headers.host, hosts)) {
      return new VigilError('FORBIDDEN', 'Host header not allowed', {
        hint: `use http://127.0.0.1:${port}`,
      });
    }
    if (!isAllowedOrigin(req.headers.origin, hosts)) {
      return new VigilError('FORBIDDEN', 'Origin not allowed');
    }
    return null;
  };

  const presentedToken = (req: http.IncomingMessage, query?: URLSearchParams): string | undefined =>
    bearerToken(req.headers.authorization) ??
    parseCookies(req.headers.cookie).get(TOKEN_COOKIE) ??
    query?.get('token') ??
    undefined;

  const unauthorized = (): VigilError =>
    new VigilError('UNAUTHORIZED', 'missing or wrong token', {
      hint: 'send Authorization: Bearer <token> (the token is in <data-dir>/api-token)',
    });

  const sendJson = (res: http.ServerResponse, status: number, value: unknown): void => {
    const body = JSON.stringify(value ?? null);
    res.writeHead(status, {
      'Content-Type': JSON_CONTENT_TYPE,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  };

  /** 405 with an Allow header; the envelope's code is BAD_REQUEST (the request is wrong). */
  const sendMethodNotAllowed = (
    res: http.ServerResponse,
    method: string,
    rawPath: string,
    allow: readonly string[],
  ): void => {
    res.setHeader('Allow', allow.join(', '));
    sendJson(res, 405, {
      error: {
        code: 'BAD_REQUEST',
        message: `${method} is not allowed on ${rawPath}; use ${allow.join(' or ')}`,
      },
    });
  };

  const sendError = (res: http.ServerResponse, err: unknown, context: string): void => {
    let error: VigilError;
    if (err instanceof VigilError) error = err;
    else {
      logger.error(`${context} failed`, {
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
      error = new VigilError('INTERNAL', 'internal error');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error.code === 'UNAUTHORIZED') res.setHeader('WWW-Authenticate', 'Bearer');
    sendJson(res, error.status, error.toEnvelope());
  };

  const runCommand = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    name: CommandName,
    params: Readonly<Record<string, string>>,
    query: URLSearchParams,
  ): Promise<void> => {
    const def = contract[name];
    let input: Record<string, unknown>;
    if (def.method === 'GET') {
      input = queryInput(query);
    } else if (def.method === 'DELETE' && !hasBody(req)) {
      // A DELETE names its target in the path; a body, when sent, must still be JSON.
      input = {};
    } else {
      if (!isJsonContentType(req.headers['content-type'])) {
        throw new VigilError('UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json');
      }
      input = parseJsonBody(await readBody(req, MAX_BODY_BYTES));
    }
    for (const [key, value] of Object.entries(params)) {
      if (Object.prototype.hasOwnProperty.call(input, key) && input[key] !== value) {
        throw new VigilError('BAD_REQUEST', `${key}: differs from the path`, { field: key });
      }
      input[key] = value;
    }
    const parsed = parseCommandInput(name, input);
    const fn = api[name] as (i: unknown, c: { actor: string }) => Promise<unknown>;
    const result = await fn.call(api, parsed, {
      actor: actorFromHeader(header(req, 'x-vigil-client')),
    });
    if (name === 'getReport') {
      const report = result as ReportResponse;
      const isHtml = report.content_type.toLowerCase().startsWith('text/html');
      res.writeHead(200, {
        'Content-Type': report.content_type,
        'Content-Disposition': `attachment; filename="${safeFilename(report.filename)}"`,
        'Content-Length': Buffer.byteLength(report.body),
        ...(isHtml ? { 'Content-Security-Policy': DOCUMENT_CSP } : {}),
      });
      res.end(report.body);
      return;
    }
    sendJson(res, 200, result);
  };

  const runExtra = (res: http.ServerResponse, name: ExtraRouteName): void => {
    switch (name) {
      case 'liveness':
        sendJson(res, 200, { ok: true });
        return;
      case 'openapi':
        res.writeHead(200, {
          'Content-Type': JSON_CONTENT_TYPE,
          'Content-Length': Buffer.byteLength(openapi),
        });
        res.end(openapi);
        return;
      case 'metrics': {
        const text = opts.metrics();
        res.writeHead(200, {
          'Content-Type': METRICS_CONTENT_TYPE,
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      case 'stream':
        res.setHeader('Upgrade', 'websocket');
        sendJson(res, 426, {
          error: {
            code: 'BAD_REQUEST',
            message: 'this route is a WebSocket: send an upgrade request',
          },
        });
        return;
    }
  };

  const serveStatic = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    rawPath: string,
    query: URLSearchParams,
  ): Promise<void> => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      sendMethodNotAllowed(res, method, rawPath, ['GET', 'HEAD']);
      return;
    }
    if ((rawPath === '/' || rawPath === '/index.html') && query.has('token')) {
      if (!tokenMatches(query.get('token') ?? undefined)) throw unauthorized();
      res.writeHead(302, {
        Location: '/',
        'Set-Cookie': tokenCookie(opts.token),
        'Content-Length': 0,
      });
      res.end();
      return;
    }
    const file = opts.staticDir ? await resolveStaticFile(opts.staticDir, rawPath) : null;
    if (file === null) throw new VigilError('NOT_FOUND', 'not found');
    const stat = await fs.promises.stat(file);
    const type = contentTypeFor(file);
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': stat.size,
      ...(type.startsWith('text/html') ? { 'Content-Security-Policy': uiCsp } : {}),
    });
    if (method === 'HEAD') {
      res.end();
      return;
    }
    fs.createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    const rawUrl = req.url ?? '/';
    const method = req.method ?? 'GET';
    const { rawPath, query } = splitUrl(rawUrl);
    res.on('finish', () => logger.debug(`${method} ${rawPath} ${res.statusCode}`));
    let context = `${method} ${rawPath}`;
    try {
      if (!rawPath.startsWith('/'))
        throw new VigilError('BAD_REQUEST', 'request target must be a path');
      const refusal = refuseHostOrigin(req);
      if (refusal) throw refusal;
      const match = matchRoute(method, rawPath);
      if (match.kind === 'found' && !match.route.authenticated) {
        runExtra(res, match.route.target.name as ExtraRouteName);
        return;
      }
      if (!isApiPath(rawPath)) {
        if (match.kind === 'method_not_allowed') {
          sendMethodNotAllowed(res, method, rawPath, match.allow);
          return;
        }
        await serveStatic(req, res, rawPath, query);
        return;
      }
      if (!tokenMatches(presentedToken(req))) throw unauthorized();
      switch (match.kind) {
        case 'not_found':
          throw new VigilError('NOT_FOUND', `no route ${rawPath}`);
        case 'method_not_allowed':
          sendMethodNotAllowed(res, method, rawPath, match.allow);
          return;
        case 'bad_path':
          throw new VigilError('BAD_REQUEST', `${match.param}: not a valid path segment`, {
            field: match.param,
          });
        case 'found': {
          const target = match.route.target;
          if (target.kind === 'extra') {
            runExtra(res, target.name);
            return;
          }
          context = target.name;
          await runCommand(req, res, target.name, match.params, query);
          return;
        }
      }
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.setHeader('Connection', 'close');
        discardRest(req);
      }
      sendError(res, err, context);
    }
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void handle(req, res);
  });

  const refuseUpgrade = (socket: Duplex, err: VigilError): void => {
    const body = JSON.stringify(err.toEnvelope());
    const reason = http.STATUS_CODES[err.status] ?? 'Error';
    socket.end(
      `HTTP/1.1 ${err.status} ${reason}\r\n` +
        'Connection: close\r\n' +
        `Content-Type: ${JSON_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        (err.status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '') +
        '\r\n' +
        body,
    );
  };

  const onConnection = (ws: WebSocket): void => {
    clients.add(ws);
    alive.set(ws, true);
    let dropped = false;
    let session: ReturnType<typeof createStreamSession> | null = null;
    const drop = (): void => {
      if (dropped) return;
      dropped = true;
      session?.close();
      logger.warn('stream client too slow: closed');
      ws.close(4008, 'too slow');
      const cut = setTimeout(() => ws.terminate(), SLOW_CLIENT_GRACE_MS);
      cut.unref();
    };
    const send = (msg: StreamMessage): void => {
      if (dropped || ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify(msg));
      if (ws.bufferedAmount > maxClientBuffer) drop();
    };
    session = createStreamSession({ events, send, clock, batchMs });
    if (dropped) session.close();
    const s = session;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        const msg = JSON.parse(String(data)) as { type?: unknown };
        if (msg.type === 'resync') s.resync();
      } catch {
        // ignore what is not JSON
      }
    });
    ws.on('pong', () => alive.set(ws, true));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      clients.delete(ws);
      s.close();
    });
  };

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const { rawPath, query } = splitUrl(req.url ?? '/');
    if (rawPath !== EXTRA_ROUTES.stream) {
      refuseUpgrade(socket, new VigilError('NOT_FOUND', `no WebSocket route ${rawPath}`));
      return;
    }
    const refusal = refuseHostOrigin(req);
    if (refusal) {
      refuseUpgrade(socket, refusal);
      return;
    }
    if (!tokenMatches(presentedToken(req, query))) {
      refuseUpgrade(socket, unauthorized());
      return;
    }
    wss.handleUpgrade(req, socket, head, onConnection);
  });

  const pinger = setInterval(() => {
    for (const ws of clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, opts.pingMs ?? 30_000);
  pinger.unref();

  logger.info(`API listening on ${url}`);

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(pinger);
        for (const ws of clients) ws.terminate();
        clients.clear();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
