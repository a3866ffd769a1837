/**
 * The IPC contract between the Electron main process and the preload bridge: channel names derived
 * from command names, and the result envelope that carries errors across (Electron would reduce a
 * thrown Error to its message).
 */
import type { CommandName, VigilClient } from '../contract.js';
import type { ErrorEnvelope } from '../errors.js';
import type { StreamMessage } from '../events.js';
import type { StatusResponse } from '../views.js';
import { errorFromEnvelope } from './validate.js';
import { createStreamReader, type StreamHandlers } from './stream.js';

export const IPC_PREFIX = 'vigil:';
/** Main → renderer: stream messages `{seq, ts, type, payload}`, snapshot first. */
export const IPC_EVENT_CHANNEL = 'vigil:event';
/** Renderer → main: start (or restart, with a fresh snapshot) the event stream of this window. */
export const IPC_SUBSCRIBE_CHANNEL = 'vigil:subscribe';
export const IPC_UNSUBSCRIBE_CHANNEL = 'vigil:unsubscribe';

export function commandChannel(name: CommandName): string {
  return `${IPC_PREFIX}${name}`;
}

/** What every IPC handler returns. */
export type IpcResult<T = unknown> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ErrorEnvelope['error'] };

/** The value of a result, or the VigilError it carries. */
export function unwrapIpcResult<T>(result: unknown): T {
  if (typeof result === 'object' && result !== null && 'ok' in result) {
    const r = result as IpcResult<T>;
    if (r.ok) return r.value;
    throw errorFromEnvelope({ error: r.error });
  }
  throw errorFromEnvelope({ error: { code: 'INTERNAL', message: 'malformed IPC reply' } });
}

/** What the preload exposes as `window.vigil`: one method per command, plus the event stream. */
export type VigilBridge = VigilClient & {
  /** Listens to stream messages; starts this window's stream (snapshot first). Returns unsubscribe. */
  subscribe(listener: (msg: StreamMessage) => void): () => void;
  /** Asks for a fresh snapshot on the stream (after a gap or a reload of the page state). */
  resync(): Promise<void>;
  /** The whole state now, as a plain call (same as `getStatus`). */
  snapshot(): Promise<StatusResponse>;
};

/**
 * Connects stream handlers to the bridge, with the same gap detection as the WebSocket client:
 * the renderer's code is the same on both transports.
 */
export function connectBridgeStream(
  bridge: VigilBridge,
  handlers: StreamHandlers,
): { close(): void } {
  const reader = createStreamReader(handlers);
  const unsubscribe = bridge.subscribe((msg) => {
    if (reader.accept(msg) === 'gap') void bridge.resync().catch(() => undefined);
  });
  return { close: unsubscribe };
}
