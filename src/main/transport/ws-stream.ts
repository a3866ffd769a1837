/**
 * The event stream over WebSocket: one stream session per client (snapshot, then batched events),
 * `resync` on request, pings to find dead peers, and a client that does not read fast enough closed
 * with 4008 instead of growing memory. Authentication happens before `accept` is called.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { VigilError } from '../../shared/errors.js';
import type { StreamMessage } from '../../shared/events.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { JSON_CONTENT_TYPE } from './rest.js';
import { createStreamSession, type EventSource } from './stream.js';

/** A stream client closed as too slow is cut off if its close handshake has not ended by then. */
const SLOW_CLIENT_GRACE_MS = 2_000;
const STREAM_CLIENT_MESSAGE_BYTES = 4096;

export interface WsStreamOptions {
  readonly events: EventSource;
  readonly clock: Clock;
  readonly batchMs: number;
  readonly maxClientBufferBytes: number;
  readonly pingMs: number;
  readonly logger: Logger;
}

export interface WsStreamServer {
  /** Completes the upgrade of an authenticated request. */
  accept(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Terminates every client and stops the pings. */
  close(): void;
}

/** Answers an upgrade request with an HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, err: VigilError): void {
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
}

export function createWsStreamServer(opts: WsStreamOptions): WsStreamServer {
  const { events, clock, batchMs, logger } = opts;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: STREAM_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  const clients = new Set<WebSocket>();
  const alive = new WeakMap<WebSocket, boolean>();

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
      if (ws.bufferedAmount > opts.maxClientBufferBytes) drop();
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

  const pinger = setInterval(() => {
    for (const ws of clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, opts.pingMs);
  pinger.unref();

  return {
    accept(req, socket, head) {
      wss.handleUpgrade(req, socket, head, onConnection);
    },
    close() {
      clearInterval(pinger);
      for (const ws of clients) ws.terminate();
      clients.clear();
      wss.close();
    },
  };
}
