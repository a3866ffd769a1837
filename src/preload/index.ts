/**
 * The real preload script: exposes the API bridge as `window.vigil` and the desktop bridge (menu
 * commands, report export with PDF) as `window.vigilDesktop` in the isolated page. The only file
 * that imports Electron on the renderer's side.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildBridge } from './bridge.js';
import { buildDesktopBridge } from './desktop.js';

contextBridge.exposeInMainWorld('vigil', buildBridge(ipcRenderer));
contextBridge.exposeInMainWorld('vigilDesktop', buildDesktopBridge(ipcRenderer));
