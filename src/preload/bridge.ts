/**
 * The preload bridge: one method per command of the contract (no generic invoke, no raw
 * ipcRenderer), plus the event stream. Errors come back as the VigilErrors the main side raised.
 */
import { COMMAND_NAMES } from '../shared/contract.js';
import type { StreamMessage } from '../shared/events.js';
import type { StatusResponse } from '../shared/views.js';
import {
  IPC_EVENT_CHANNEL,
  IPC_SUBSCRIBE_CHANNEL,
  IPC_UNSUBSCRIBE_CHANNEL,
  commandChannel,
  unwrapIpcResult,
  type VigilBridge,
} from '../shared/client/bridge.js';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, fn: (event: unknown, msg: unknown) => void): void;
  removeListener(channel: string, fn: (event: unknown, msg: unknown) => void): void;
}

export function buildBridge(ipcRenderer: IpcRendererLike): VigilBridge {
  const methods: Record<string, (input?: unknown) => Promise<unknown>> = {};
  for (const name of COMMAND_NAMES) {
    const channel = commandChannel(name);
    methods[name] = async (input?: unknown) =>
      unwrapIpcResult(await ipcRenderer.invoke(channel, input ?? {}));
  }

  const listeners = new Set<(msg: StreamMessage) => void>();
  // The renderer never sees Electron's event object (it carries the sender): only the message.
  const onMessage = (_event: unknown, msg: unknown): void => {
    for (const listener of [...listeners]) listener(msg as StreamMessage);
  };
  const resync = async (): Promise<void> => {
    unwrapIpcResult(await ipcRenderer.invoke(IPC_SUBSCRIBE_CHANNEL));
  };

  const extra = {
    subscribe(listener: (msg: StreamMessage) => void): () => void {
      if (listeners.size === 0) ipcRenderer.on(IPC_EVENT_CHANNEL, onMessage);
      listeners.add(listener);
      // (Re)starts this window's stream: every listener gets a fresh snapshot first.
      void resync().catch(() => undefined);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        listeners.delete(listener);
        if (listeners.size === 0) {
          ipcRenderer.removeListener(IPC_EVENT_CHANNEL, onMessage);
          void ipcRenderer.invoke(IPC_UNSUBSCRIBE_CHANNEL).catch(() => undefined);
        }
      };
    },
    resync,
    snapshot: () => methods['getStatus']!({}) as Promise<StatusResponse>,
  };
  return Object.freeze({ ...methods, ...extra }) as unknown as VigilBridge;
}
