/**
 * A connected pair of fake `ipcMain` / `ipcRenderer` objects: messages are structured-cloned like
 * Electron does, so what crosses must be plain data. For tests of the IPC transport and bridge.
 */
import type { IpcEventLike, IpcMainLike } from '../ipc.js';
import type { IpcRendererLike } from '../../../preload/bridge.js';

type Handler = (event: IpcEventLike, ...args: unknown[]) => unknown;
type Listener = (event: unknown, msg: unknown) => void;

export interface FakeIpcPair {
  readonly ipcMain: IpcMainLike & { readonly channels: () => string[] };
  readonly ipcRenderer: IpcRendererLike & { readonly listenerCount: (channel: string) => number };
  /** The URL the fake frame reports (change it to play an untrusted page). */
  frameUrl: string | null;
  /** Simulates the window going away. */
  destroy(): void;
}

export function fakeIpcPair(
  frameUrl: string | null = 'file:///app/renderer/index.html',
): FakeIpcPair {
  const handlers = new Map<string, Handler>();
  const listeners = new Map<string, Set<Listener>>();
  const onDestroyed: (() => void)[] = [];
  let destroyed = false;
  const sender = {
    id: 1,
    send(channel: string, msg: unknown) {
      if (destroyed) throw new Error('Object has been destroyed');
      for (const l of [...(listeners.get(channel) ?? [])]) l({}, structuredClone(msg));
    },
    isDestroyed: () => destroyed,
    once(_event: 'destroyed', fn: () => void) {
      onDestroyed.push(fn);
    },
  };
  const pair: FakeIpcPair = {
    frameUrl,
    ipcMain: {
      handle(channel, fn) {
        if (handlers.has(channel))
          throw new Error(`Attempted to register a second handler for '${channel}'`);
        handlers.set(channel, fn);
      },
      removeHandler(channel) {
        handlers.delete(channel);
      },
      channels: () => [...handlers.keys()],
    },
    ipcRenderer: {
      async invoke(channel, ...args) {
        const handler = handlers.get(channel);
        if (!handler) throw new Error(`No handler registered for '${channel}'`);
        const event: IpcEventLike = {
          senderFrame: pair.frameUrl === null ? null : { url: pair.frameUrl },
          sender,
        };
        return structuredClone(await handler(event, ...structuredClone(args)));
      },
      on(channel, fn) {
        let set = listeners.get(channel);
        if (!set) listeners.set(channel, (set = new Set()));
        set.add(fn);
      },
      removeListener(channel, fn) {
        listeners.get(channel)?.delete(fn);
      },
      listenerCount: (channel) => listeners.get(channel)?.size ?? 0,
    },
    destroy() {
      destroyed = true;
      for (const fn of onDestroyed) fn();
    },
  };
  return pair;
}
