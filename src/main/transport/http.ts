/**
 * The REST + WebSocket server: listens, and sends every request through the Host, Origin and token
 * checks (security.ts) before any handler runs. The handlers live apart: contract commands in
 * rest.ts, the browser UI's static files in ui.ts, the event stream in ws-stream.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { EXTRA_ROUTES, type VigilApi } from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { buildOpenApiDocument } from './openapi.js';
import {
  BodyTooLarge,
  JSON_CONTENT_TYPE,
  discardRest,
  runCommand,
  sendError,
  sendJson,
  sendMethodNotAllowed,
} from './rest.js';
import { isApiPath, matchRoute, type ExtraRouteName } from './routes.js';
import {
  TOKEN_COOKIE,
  allowedHosts,
  bearerToken,
  createTokenCheck,
  isAllowedHost,
  isAllowedOrigin,
  isLoopbackHost,
  parseCookies,
  uiContentSecurityPolicy,
} from './security.js';
import { DEFAULT_BATCH_MS, type EventSource } from './stream.js';
import { serveUi } from './ui.js';
import { createWsStreamServer, refuseUpgrade } from './ws-stream.js';

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
/**
 * Slow clients (slowloris): a local client sends its headers in well under a second and its body
 * (at most 64 KiB) in little more; one that takes longer is cut off (408) instead of holding a
 * connection for Node's defaults of 60 s and 5 min. Checked every second. Slow handlers are not
 * affected: these bound receiving the request, not answering it.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
const TIMEOUT_CHECK_MS = 1_000;

function splitUrl(rawUrl: string): { rawPath: string; query: URLSearchParams } {
  const q = rawUrl.indexOf('?');
  return q < 0
    ? { rawPath: rawUrl, query: new URLSearchParams() }
    : { rawPath: rawUrl.slice(0, q), query: new URLSearchParams(rawUrl.slice(q + 1)) };
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
  await listen(server, opts.host, opts.port);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${hostForUrl(opts.host)}:${port}`;
  const hosts = allowedHosts(opts.host, port);
  const uiCsp = uiContentSecurityPolicy(port);
  /** Built on the first request for it: rendering every output schema takes tens of ms. */
  let openapi: string | null = null;
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

  const runExtra = (res: http.ServerResponse, name: ExtraRouteName): void => {
    switch (name) {
      case 'liveness':
        sendJson(res, 200, { ok: true });
        return;
      case 'openapi':
        openapi ??= JSON.stringify(buildOpenApiDocument({ serverUrl: url }));
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

  const ui = {
    staticDir: opts.staticDir,
    token: opts.token,
    tokenMatches,
    csp: uiCsp,
    unauthorized,
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
        await serveUi(ui, req, res, rawPath, query);
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
          await runCommand(api, req, res, target.name, match.params, query, logger);
          return;
        }
      }
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.setHeader('Connection', 'close');
        discardRest(req);
      }
      sendError(res, err, context, logger);
    }
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void handle(req, res);
  });

  const stream = createWsStreamServer({
    events,
    clock,
    batchMs,
    maxClientBufferBytes: maxClientBuffer,
    pingMs: opts.pingMs ?? 30_000,
    logger,
  });

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
    stream.accept(req, socket, head);
  });

  logger.info(`API listening on ${url}`);

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        stream.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
