/**
 * The main side of `window.vigilDesktop`: the export handlers, report and stack (sender checked
 * like every other handler, input checked, errors sent back as an envelope, through the contract's
 * one dispatch) and menu commands sent to the page.
 * Written against structural interfaces so that it is tested with the fake IPC pair.
 */
import type { IpcResult } from '../../shared/client/bridge.js';
import { VigilError } from '../../shared/errors.js';
import {
  DESKTOP_EXPORT_CHANNEL,
  DESKTOP_EXPORT_STACK_CHANNEL,
  DESKTOP_MENU_CHANNEL,
  parseExportRequest,
  parseStackExportRequest,
  type DesktopChannels,
  type DesktopExportRequest,
  type DesktopStackExportRequest,
  type MenuCommand,
} from '../../shared/desktop.js';
import type { Logger } from '../core/logger.js';
import { dispatch, toIpcResult } from '../transport/dispatch.js';
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

/** The export request, or BAD_REQUEST saying what is wrong with it. */
function parseExport(input: unknown): DesktopExportRequest {
  const req = parseExportRequest(input);
  if (!req.ok) throw new VigilError('BAD_REQUEST', req.message);
  return req.value;
}

/** The stack export request, or BAD_REQUEST saying what is wrong with it. */
function parseStackExport(input: unknown): DesktopStackExportRequest {
  const req = parseStackExportRequest(input);
  if (!req.ok) throw new VigilError('BAD_REQUEST', req.message);
  return req.value;
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
      const run = async (req: DesktopExportRequest): Promise<ExportChannel['response']> => {
        // One save dialog at a time: a second click while one is open is refused, not queued.
        if (exporting) throw new VigilError('CONFLICT', 'a report is already being exported');
        exporting = true;
        try {
          return await opts.exportReport(req);
        } finally {
          exporting = false;
        }
      };
      return toIpcResult(await dispatch(parseExport, run, input, 'report export', opts.logger));
    },
  );
  const exportStack = opts.exportStack;
  if (exportStack !== undefined) {
    let busy = false;
    ipcMain.handle(
      DESKTOP_EXPORT_STACK_CHANNEL,
      async (event, input): Promise<IpcResult<StackExportChannel['response']>> => {
        if (!opts.isTrustedSender(event)) {
          return {
            ok: false,
            error: new VigilError('FORBIDDEN', 'IPC call from an untrusted frame').toEnvelope()
              .error,
          };
        }
        const run = async (
          req: DesktopStackExportRequest,
        ): Promise<StackExportChannel['response']> => {
          // One dialog at a time, as for the report.
          if (busy) throw new VigilError('CONFLICT', 'the stack is already being exported');
          busy = true;
          try {
            return await exportStack(req);
          } finally {
            busy = false;
          }
        };
        return toIpcResult(
          await dispatch(parseStackExport, run, input, 'stack export', opts.logger),
        );
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
