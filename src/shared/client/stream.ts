/**
 * The client side of the event stream: snapshot first, then deltas with per-connection sequence
 * numbers. `health_update` and `log` arrive batched (payload = array) and are handed out one by
 * one. A gap in the sequence means something was lost: the reader asks for a fresh snapshot and
 * ignores everything until it arrives.
 */
import { EXTRA_ROUTES } from '../contract.js';
import type { StreamMessage, VigilEvent, VigilEventType } from '../events.js';
import type { StatusResponse } from '../views.js';

/** Event types the server collects and sends as one array per batch interval. */
export const BATCHED_EVENT_TYPES: readonly VigilEventType[] = ['health_update', 'log'];

/** What a client sends to get a fresh snapshot. */
export const RESYNC_MESSAGE = JSON.stringify({ type: 'resync' });

export interface StreamHandlers {
  onSnapshot(snapshot: StatusResponse): void;
  onEvent(event: VigilEvent): void;
}

/** The events a message carries: one, or the array of a batch. */
export function unbatch(msg: StreamMessage): readonly VigilEvent[] {
  if (msg.type === 'snapshot') return [];
  return Array.isArray(msg.payload) ? (msg.payload as VigilEvent[]) : [msg.payload as VigilEvent];
}

function isStreamMessage(x: unknown): x is StreamMessage {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  return typeof m['seq'] === 'number' && typeof m['type'] === 'string' && 'payload' in m;
}

export type ReaderVerdict = 'ok' | 'ignored' | 'gap';

export interface StreamReader {
  /** Feeds one decoded message; `gap` means the caller must ask for a resync. */
  accept(msg: unknown): ReaderVerdict;
  /** Forgets the sequence (a new connection starts its own); waits for the next snapshot. */
  reset(): void;
  readonly lastSeq: number;
  readonly synced: boolean;
}

export function createStreamReader(handlers: StreamHandlers): StreamReader {
  let lastSeq = 0;
  let synced = false;
  return {
    accept(msg) {
      if (!isStreamMessage(msg)) return 'ignored';
      if (msg.type === 'snapshot') {
        lastSeq = msg.seq;
        synced = true;
        handlers.onSnapshot(msg.payload as StatusResponse);
        return 'ok';
      }
      if (!synced) return 'ignored';
      if (msg.seq !== lastSeq + 1) {
        synced = false;
        return 'gap';
      }
      lastSeq = msg.seq;
      for (const ev of unbatch(msg)) handlers.onEvent(ev);
      return 'ok';
    },
    reset() {
      lastSeq = 0;
      synced = false;
    },
    get lastSeq() {
      return lastSeq;
    },
    get synced() {
      return synced;
    },
  };
}

/** The part of the WebSocket interface the stream client uses (browser's and `ws`'s both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // Handlers take `never` so that both the DOM's and `ws`'s event types fit.
  onopen: ((ev: never) => void) | null;
  onmessage: ((ev: never) => void) | null;
  onclose: ((ev: never) => void) | null;
  onerror: ((ev: never) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type StreamStatus = 'connecting' | 'open' | 'closed';

export interface ConnectStreamOptions extends StreamHandlers {
  /** `ws://127.0.0.1:9000/orchestrator/stream`, or the server's base URL (http or ws). */
  readonly url: string;
  /** Sent as `?token=`; omit in the browser UI (the cookie carries it). */
  readonly token?: string;
  /** Node 20 has no global WebSocket: pass `ws`'s. */
  readonly WebSocket?: WebSocketConstructor;
  onStatus?(status: StreamStatus): void;
  /** Reconnect delays: doubles from `initialMs` up to `maxMs` (defaults 250 ms, 10 s). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

/** Turns a base or stream URL into the stream's ws(s) URL with the token. */
export function streamUrl(url: string, token?: string): string {
  // `location` exists in a page only; shared code is checked without the DOM's types.
  const page = (globalThis as { location?: { readonly href: string } }).location;
  const base = page?.href ?? 'http://127.0.0.1/';
  const u = new URL(url, base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  if (u.pathname === '' || u.pathname === '/') u.pathname = EXTRA_ROUTES.stream;
  if (token) u.searchParams.set('token', token);
  return u.toString();
}

function decode(data: unknown): unknown {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer) text = new TextDecoder().decode(data);
  else if (ArrayBuffer.isView(data))
    text = new TextDecoder().decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  else return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const OPEN = 1;

/** Connects to the event stream and keeps it connected (with backoff) until `close()`. */
export function connectStream(opts: ConnectStreamOptions): { close(): void } {
  const Ctor = opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Ctor) throw new Error('no WebSocket implementation: pass one as the WebSocket option');
  const url = streamUrl(opts.url, opts.token);
  const initialMs = opts.backoff?.initialMs ?? 250;
  const maxMs = opts.backoff?.maxMs ?? 10_000;
  const reader = createStreamReader(opts);
  let socket: WebSocketLike | null = null;
  let stopped = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const connect = (): void => {
    timer = null;
    if (stopped) return;
    opts.onStatus?.('connecting');
    reader.reset();
    let ws: WebSocketLike;
    try {
      ws = new Ctor(url);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      opts.onStatus?.('open');
    };
    ws.onmessage = (ev: { data: unknown }) => {
      if (socket !== ws) return;
      if (reader.accept(decode(ev.data)) === 'gap' && ws.readyState === OPEN)
        ws.send(RESYNC_MESSAGE);
    };
    ws.onerror = () => {
      // a close event follows; reconnecting happens there
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (stopped) return;
      opts.onStatus?.('closed');
      scheduleReconnect();
    };
  };

  const scheduleReconnect = (): void => {
    if (stopped || timer !== null) return;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 20));
    attempt += 1;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    timer = setTimeout(connect, delay);
  };

  connect();
  return {
    close() {
      if (stopped) return;
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      const ws = socket;
      socket = null;
      try {
        ws?.close(1000, 'client closed');
      } catch {
        // already closing
      }
      opts.onStatus?.('closed');
    },
  };
}
