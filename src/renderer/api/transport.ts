/**
 * How the renderer talks to Vigil, chosen once at start: the preload bridge (`window.vigil`) in
 * the desktop app, otherwise REST + WebSocket against the page's own origin (browser UI; the token
 * travels in an HttpOnly cookie, so the page never handles it). Everything above this file is the
 * same on both transports.
 */
import type { VigilClient } from '../../shared/contract.js';
import type { VigilEvent } from '../../shared/events.js';
import type { StatusResponse } from '../../shared/views.js';
import { connectBridgeStream, type VigilBridge } from '../../shared/client/bridge.js';
import { createHttpClient, type FetchLike } from '../../shared/client/http.js';
import { connectStream, type WebSocketConstructor } from '../../shared/client/stream.js';
import type { VigilDesktop } from '../../shared/desktop.js';

export type TransportKind = 'ipc' | 'http';
export type StreamState = 'connecting' | 'open' | 'closed';

export interface StreamCallbacks {
  onSnapshot(snapshot: StatusResponse): void;
  onEvent(event: VigilEvent): void;
  onStatus(status: StreamState): void;
}

export interface Transport {
  readonly kind: TransportKind;
  readonly client: VigilClient;
  /** Starts the snapshot-then-deltas stream; `close()` ends it. */
  connect(callbacks: StreamCallbacks): { close(): void };
}

/** What the transport needs from the page (the real `window`, or a fake in tests). */
export interface HostWindow {
  readonly vigil?: unknown;
  /** The desktop app's own bridge (menu commands, save dialogs, PDF); absent in a browser. */
  readonly vigilDesktop?: unknown;
  readonly location: { readonly origin: string };
  readonly fetch?: FetchLike;
  readonly WebSocket?: WebSocketConstructor;
}

function isBridge(x: unknown): x is VigilBridge {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { subscribe?: unknown }).subscribe === 'function' &&
    typeof (x as { getStatus?: unknown }).getStatus === 'function'
  );
}

export function ipcTransport(bridge: VigilBridge): Transport {
  return {
    kind: 'ipc',
    client: bridge,
    connect(cb) {
      cb.onStatus('connecting');
      let opened = false;
      const stream = connectBridgeStream(bridge, {
        onSnapshot(snapshot) {
          if (!opened) {
            opened = true;
            cb.onStatus('open');
          }
          cb.onSnapshot(snapshot);
        },
        onEvent: (ev) => cb.onEvent(ev),
      });
      return {
        close() {
          stream.close();
          cb.onStatus('closed');
        },
      };
    },
  };
}

export function httpTransport(
  origin: string,
  deps: { fetch?: FetchLike; WebSocket?: WebSocketConstructor } = {},
): Transport {
  const client = createHttpClient({
    baseUrl: '',
    client: 'ui',
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  return {
    kind: 'http',
    client,
    connect(cb) {
      return connectStream({
        url: origin,
        onSnapshot: (s) => cb.onSnapshot(s),
        onEvent: (e) => cb.onEvent(e),
        onStatus: (s) => cb.onStatus(s),
        ...(deps.WebSocket ? { WebSocket: deps.WebSocket } : {}),
      });
    },
  };
}

/** The bridge when the preload exposed one, else REST + WebSocket on this page's origin. */
export function selectTransport(win: HostWindow): Transport {
  if (isBridge(win.vigil)) return ipcTransport(win.vigil);
  const fetchFn: FetchLike | undefined = win.fetch
    ? (input, init) => win.fetch!(input, init)
    : undefined;
  return httpTransport(win.location.origin, {
    ...(fetchFn ? { fetch: fetchFn } : {}),
    ...(win.WebSocket ? { WebSocket: win.WebSocket } : {}),
  });
}

/** The desktop bridge when the page runs in the desktop app, else null (a browser). */
export function selectDesktop(win: Pick<HostWindow, 'vigilDesktop'>): VigilDesktop | null {
  const d = win.vigilDesktop;
  if (
    typeof d === 'object' &&
    d !== null &&
    typeof (d as { onMenuCommand?: unknown }).onMenuCommand === 'function' &&
    typeof (d as { exportReport?: unknown }).exportReport === 'function'
  ) {
    return d as VigilDesktop;
  }
  return null;
}
