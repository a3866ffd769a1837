/**
 * The main window and the rules every web contents follows: sandboxed, isolated, no Node; no
 * navigation, no new windows, no webviews, no permissions; http(s) links go to the system
 * browser after parsing; everything else is refused.
 */
import path from 'node:path';
import { BrowserWindow, app, session, shell, type WebContents } from 'electron';
import { APP_CSP, SECURE_WEB_PREFERENCES, devCsp, externalHttpUrl } from './security.js';

export interface WindowOptions {
  readonly preload: string;
  /** The dev server's URL in development, else null (the built page is loaded from disk). */
  readonly devUrl: string | null;
  readonly rendererIndex: string;
  readonly icon?: string;
}

function openExternally(url: string): void {
  const safe = externalHttpUrl(url);
  if (safe) void shell.openExternal(safe);
}

const guarded = new WeakSet<WebContents>();

/** Applies the navigation and window rules to a web contents (every one the app creates). Idempotent. */
export function guardWebContents(wc: WebContents): void {
  if (guarded.has(wc)) return;
  guarded.add(wc);
  wc.on('will-navigate', (event, url) => {
    event.preventDefault();
    openExternally(url);
  });
  wc.on('will-redirect', (event) => event.preventDefault());
  wc.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
  wc.on('will-attach-webview', (event) => event.preventDefault());
}

/** Session-wide rules: no permissions, a CSP header on http responses, a save dialog for downloads. */
export function secureSession(devUrl: string | null): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  const csp = devUrl ? devCsp(new URL(devUrl).origin) : APP_CSP;
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] },
    });
  });
  ses.on('will-download', (_event, item) => {
    item.setSaveDialogOptions({
      title: 'Save report',
      defaultPath: path.join(app.getPath('downloads'), path.basename(item.getFilename())),
    });
  });
}

export function createMainWindow(opts: WindowOptions, dark: boolean): BrowserWindow {
  const win = new BrowserWindow({
    width: 1380,
    height: 880,
    minWidth: 880,
    minHeight: 560,
    show: false,
    title: 'Vigil',
    backgroundColor: dark ? '#0d1016' : '#f4f6f9',
    ...(opts.icon ? { icon: opts.icon } : {}),
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: opts.preload },
  });
  guardWebContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  if (opts.devUrl) void win.loadURL(opts.devUrl);
  else void win.loadFile(opts.rendererIndex);
  return win;
}
