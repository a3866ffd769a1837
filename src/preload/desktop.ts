/**
 * The desktop-only bridge, `window.vigilDesktop`, built from the channel map in
 * `src/shared/desktop.ts`. No Electron import: the real preload passes `ipcRenderer` in.
 */
import { unwrapIpcResult } from '../shared/client/bridge.js';
import {
  DESKTOP_EXPORT_CHANNEL,
  DESKTOP_EXPORT_STACK_CHANNEL,
  DESKTOP_MENU_CHANNEL,
  isMenuCommand,
  type DesktopExportRequest,
  type DesktopExportResult,
  type DesktopStackExportRequest,
  type DesktopStackExportResult,
  type MenuCommand,
  type VigilDesktop,
} from '../shared/desktop.js';
import type { IpcRendererLike } from './bridge.js';

export function buildDesktopBridge(ipcRenderer: IpcRendererLike): VigilDesktop {
  return Object.freeze({
    onMenuCommand(cb: (command: MenuCommand) => void): () => void {
      // The page never sees Electron's event object, and only known commands.
      const listener = (_event: unknown, msg: unknown): void => {
        if (isMenuCommand(msg)) cb(msg);
      };
      ipcRenderer.on(DESKTOP_MENU_CHANNEL, listener);
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        ipcRenderer.removeListener(DESKTOP_MENU_CHANNEL, listener);
      };
    },
    async exportReport(req: DesktopExportRequest): Promise<DesktopExportResult> {
      const request: DesktopExportRequest = {
        format: req.format,
        ...(req.since !== undefined ? { since: req.since } : {}),
      };
      return unwrapIpcResult<DesktopExportResult>(
        await ipcRenderer.invoke(DESKTOP_EXPORT_CHANNEL, request),
      );
    },
    async exportStack(req: DesktopStackExportRequest): Promise<DesktopStackExportResult> {
      return unwrapIpcResult<DesktopStackExportResult>(
        await ipcRenderer.invoke(DESKTOP_EXPORT_STACK_CHANNEL, { target: req.target }),
      );
    },
  });
}
