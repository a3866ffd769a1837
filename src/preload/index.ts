/**
 * The real preload script: exposes the bridge as `window.vigil` in the isolated page. The only
 * file that imports Electron on the renderer's side.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildBridge } from './bridge.js';

contextBridge.exposeInMainWorld('vigil', buildBridge(ipcRenderer));
