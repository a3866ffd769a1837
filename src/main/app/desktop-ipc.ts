/**
 * The main side of `window.vigilDesktop`: the export handler (sender checked like every other
 * handler, input checked, errors sent back as an envelope) and menu commands sent to the page.
 * Written against structural interfaces so that it is tested with the fake IPC pair.
 */
import type { IpcResult } from '../../shared/client/bridge.js';
import { toVigilError } from '../../shared/client/validate.js';
import { VigilError } from '../../shared/errors.js';
import {
  DESKTOP_EXPORT_CHANNEL,
  DESKTOP_EXPORT_STACK_CHANNEL,
  DESKTOP_MENU_CHANNEL,
  parseExportRequest,
  parseStackExportRequest,
  type DesktopChannels,
  type MenuCommand,
} from '../../preload/desktop.js';
import type { Logger } from '../core/logger.js';
import type { IpcEventLike, IpcMainLike } from '../transport/ipc.js';

type ExportChannel = DesktopChannels[typeof DESKTOP_EXPORT_CHANNEL];
type StackExportChannel = DesktopChannels[typeof DESKTOP_EXPORT_STACK_CHANNEL];

export interface DesktopHandlerOptions {
  isTrustedSender(event: IpcEventLike): boolean;
  /** Saves a report where the user says; `saved: false` when cancelled. */
  exportReport(req: ExportChannel['request']): Promise<ExportChannel['response']>;
  /** Exports the open stack where the user says; absent: the channel is not offered. */
  exportStack?(req: StackExportChannel['request']): Promise<StackExportChannel['response']>;
  readonly logger?: Logger;
}

/** Registers the desktop bridge's handlers; returns the function that removes them. */
export function registerDesktopHandlers(
  ipcMain: IpcMainLike,
  opts: DesktopHandlerOptions,
): () => void {
  let exporting = false;
  ipcMain.handle(
    DESKTOP_EXPORT_CHANNEL,
    async (event, input): Promise<IpcResult<ExportChannel['response']>> => {
      if (!opts.isTrustedSender(event)) {
        return {
          ok: false,
          error: new VigilError('FORBIDDEN', 'IPC call from an untrusted frame').toEnvelope().error,
        };
      }
      const req = parseExportRequest(input);
      if (!req.ok) {
        return {
          ok: false,
          error: new VigilError('BAD_REQUEST', req.message).toEnvelope().error,
        };
      }
      // One save dialog at a time: a second click while one is open is refused, not queued.
      if (exporting) {
        return {
          ok: false,
          error: new VigilError('CONFLICT', 'a report is already being exported').toEnvelope()
            .error,
        };
      }
      exporting = true;
      try {
        return { ok: true, value: await opts.exportReport(req.value) };
      } catch (err) {
        if (!(err instanceof VigilError)) {
          opts.logger?.error('report export failed', {
            error: err instanceof Error ? (err.stack ?? err.message) : String(err),
          });
        }
        return { ok: false, error: toVigilError(err).toEnvelope().error };
      } finally {
        exporting = false;
      }
    },
  );
  const exportStack = opts.exportStack;
  if (exportStack !== undefined) {
    let busy = false;
    ipcMain.handle(
      DESKTOP_EXPORT_STACK_CHANNEL,
      async (event, input): Promise<IpcResult<StackExportChannel['response']>> => {
        if (!opts.isTrustedSender(event))
          return {
            ok: false,
            error: new VigilError('FORBIDDEN', 'IPC call from an untrusted frame').toEnvelope()
              .error,
          };
        const req = parseStackExportRequest(input);
        if (!req.ok)
          return {
            ok: false,
            error: new VigilError('BAD_REQUEST', req.message).toEnvelope().error,
          };
        if (busy)
          return {
            ok: false,
            error: new VigilError('CONFLICT', 'the stack is already being exported').toEnvelope()
              .error,
          };
        busy = true;
        try {
          return { ok: true, value: await exportStack(req.value) };
        } catch (err) {
          if (!(err instanceof VigilError))
            opts.logger?.error('stack export failed', {
              error: err instanceof Error ? (err.stack ?? err.message) : String(err),
            });
          return { ok: false, error: toVigilError(err).toEnvelope().error };
        } finally {
          busy = false;
        }
      },
    );
  }
  return () => {
    ipcMain.removeHandler(DESKTOP_EXPORT_CHANNEL);
    if (exportStack !== undefined) ipcMain.removeHandler(DESKTOP_EXPORT_STACK_CHANNEL);
  };
}

/** What a menu command is sent to: a window's web contents. */
export interface MenuTarget {
  send(channel: string, msg: unknown): void;
  isDestroyed(): boolean;
}

/** Sends a menu command to the page; false when there is no page to send it to. */
export function sendMenuCommand(
  target: MenuTarget | null | undefined,
  command: MenuCommand,
): boolean {
  if (!target || target.isDestroyed()) return false;
  target.send(DESKTOP_MENU_CHANNEL, command);
  return true;
}
