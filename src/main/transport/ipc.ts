/**
 * Electron IPC, generated from the contract: one `vigil:<command>` channel per command, inputs
 * validated like on the wire, results and errors wrapped in an envelope (a thrown Error would lose
 * its code crossing the process boundary), and every call checked against the sender's frame.
 * Written against structural interfaces so that it runs (and is tested) without Electron.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { COMMAND_NAMES, type VigilApi } from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { StreamMessage } from '../../shared/events.js';
import {
  IPC_EVENT_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  IPC_UNSUBSCRIBE_CHANNEL,
  commandChannel,
  type IpcResult,
} from '../../shared/client/bridge.js';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { dispatchCommand, toIpcResult } from './dispatch.js';
import { createStreamSession, type EventSource } from './stream.js';

export interface IpcSenderLike {
  readonly id: number;
  send?(channel: string, msg: unknown): void;
  isDestroyed?(): boolean;
  once?(event: 'destroyed', fn: () => void): void;
}

export interface IpcEventLike {
  readonly senderFrame: { readonly url: string } | null;
  readonly sender: IpcSenderLike;
}

export interface IpcMainLike {
  handle(channel: string, fn: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface IpcHandlerOptions {
  /** The app checks the frame URL: its own file:// page or its dev-server origin. */
  isTrustedSender(event: IpcEventLike): boolean;
  /** When given, windows can subscribe to the event stream (`vigil:subscribe`). */
  readonly events?: EventSource;
  readonly batchMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

const forbidden = (): IpcResult => ({
  ok: false,
  error: new VigilError('FORBIDDEN', 'IPC call from an untrusted frame').toEnvelope().error,
});

/**
 * Registers one handler per command (and the stream channels when `events` is given). Returns a
 * function that removes them all and stops every stream.
 */
export function registerIpcHandlers(
  ipcMain: IpcMainLike,
  api: VigilApi,
  opts: IpcHandlerOptions,
): () => void {
  const channels: string[] = [];
  const streams = new Map<number, () => void>();

  for (const name of COMMAND_NAMES) {
    const channel = commandChannel(name);
    channels.push(channel);
    ipcMain.handle(channel, async (event, input): Promise<IpcResult> => {
      if (!opts.isTrustedSender(event)) return forbidden();
      return toIpcResult(
        await dispatchCommand(api, name, input, { actor: 'ui' }, { logger: opts.logger }),
      );
    });
  }

  if (opts.events) {
    const events = opts.events;
    const stop = (id: number): void => {
      streams.get(id)?.();
      streams.delete(id);
    };
    channels.push(IPC_SUBSCRIBE_CHANNEL, IPC_UNSUBSCRIBE_CHANNEL);
    ipcMain.handle(IPC_SUBSCRIBE_CHANNEL, (event): IpcResult => {
      if (!opts.isTrustedSender(event)) return forbidden();
      const sender = event.sender;
      if (typeof sender.send !== 'function') {
        return { ok: false, error: { code: 'INTERNAL', message: 'sender cannot receive events' } };
      }
      const first = !streams.has(sender.id);
      stop(sender.id);
      streams.set(
        sender.id,
        createEventForwarder(
          events,
          (channel, msg) => {
            if (sender.isDestroyed?.()) stop(sender.id);
            else sender.send?.(channel, msg);
          },
          { batchMs: opts.batchMs, clock: opts.clock },
        ),
      );
      if (first) sender.once?.('destroyed', () => stop(sender.id));
      return { ok: true, value: null };
    });
    ipcMain.handle(IPC_UNSUBSCRIBE_CHANNEL, (event): IpcResult => {
      if (!opts.isTrustedSender(event)) return forbidden();
      stop(event.sender.id);
      return { ok: true, value: null };
    });
  }

  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
    for (const stopStream of streams.values()) stopStream();
    streams.clear();
  };
}

/**
 * Forwards the event stream to one renderer: snapshot first, then `{seq, ts, type, payload}` with
 * the same batching as the WebSocket. Returns the function that stops it.
 */
export function createEventForwarder(
  events: EventSource,
  send: (channel: typeof IPC_EVENT_CHANNEL, msg: StreamMessage) => void,
  opts: { batchMs?: number | undefined; clock?: Clock | undefined } = {},
): () => void {
  const session = createStreamSession({
    events,
    send: (msg) => send(IPC_EVENT_CHANNEL, msg),
    clock: opts.clock ?? systemClock,
    ...(opts.batchMs !== undefined ? { batchMs: opts.batchMs } : {}),
  });
  return () => session.close();
}

export interface TrustedFrames {
  /** Origins of a dev server, e.g. `http://localhost:5173`. */
  readonly origins?: readonly string[];
  /** Absolute directory whose files (file://) are the app's own pages. */
  readonly fileRoot?: string;
}

/**
 * Whether a frame URL is one of the app's own pages, decided by parsing it (never by substring):
 * an exact origin match for http(s), a file under `fileRoot` for file://.
 */
export function isTrustedFrameUrl(url: string | undefined | null, trusted: TrustedFrames): boolean {
  if (!url) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    return (trusted.origins ?? []).some((o) => {
      try {
        return new URL(o).origin === u.origin;
      } catch {
        return false;
      }
    });
  }
  if (u.protocol === 'file:' && trusted.fileRoot !== undefined && u.host === '') {
    let file: string;
    try {
      file = path.resolve(fileURLToPath(u));
    } catch {
      return false;
    }
    const root = path.resolve(trusted.fileRoot);
    return file.startsWith(root + path.sep);
  }
  return false;
}

/** `isTrustedSender` for registerIpcHandlers, from the app's own pages. */
export function trustedSenderCheck(trusted: TrustedFrames): (event: IpcEventLike) => boolean {
  return (event) => isTrustedFrameUrl(event.senderFrame?.url, trusted);
}
