/**
 * The desktop app's main process: one window onto one stack. It hosts the supervisor and the
 * history (StackHost), serves the API to the window over IPC, and adds what only a desktop app
 * has: menus, a tray, notifications, dialogs. No decisions live here beyond the window's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, Menu, Notification, app, dialog, ipcMain, shell } from 'electron';
import { VigilError } from '../../shared/errors.js';
import type { VigilEvent } from '../../shared/events.js';
import type { SystemState } from '../../shared/model.js';
import { importStackAsync } from '../stackfile/import/index.js';
import { defaultDataDir } from '../host/data-dir.js';
import { trustedSenderCheck } from '../transport/ipc.js';
import type {
  DesktopExportRequest,
  DesktopExportResult,
  DesktopStackExportRequest,
  DesktopStackExportResult,
} from '../../shared/desktop.js';
import { registerDesktopHandlers, sendMenuCommand } from './desktop-ipc.js';
import { exportReport, exportStack } from './export.js';
import { menuTemplate, type ExportFormat } from './menu.js';
import { OPEN_FILTERS, openChosenFile, writeStackText, type Question } from './open-stack.js';
import { noticeFor, traySummary } from './notify.js';
import { addRecent, clearRecent, initialStack, readRecent, writeRecent } from './recent.js';
import { setUpSqliteBinding } from './sqlite-binding.js';
import { StackHost, StackLoadError } from './stack-host.js';
import { createTray, type VigilTray } from './tray.js';
import { createMainWindow, guardWebContents, secureSession } from './window.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The app's root: the package directory in development, app.asar when packaged. */
const appRoot = path.resolve(here, '..', '..');
/** Files that processes must reach (the demo's services) are unpacked next to app.asar. */
const unpacked = (p: string): string =>
  p.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);

const paths = {
  preload: path.join(appRoot, 'out', 'preload', 'index.cjs'),
  rendererDir: path.join(appRoot, 'out', 'renderer'),
  rendererIndex: path.join(appRoot, 'out', 'renderer', 'index.html'),
  icon: path.join(appRoot, 'resources', 'icon.png'),
  trayIcon: path.join(appRoot, 'resources', 'tray.png'),
  demo: unpacked(path.join(appRoot, 'examples', 'demo', 'vigil.yaml')),
};

/** Electron's own build of the SQLite binding, chosen before any database opens. */
const sqlite = setUpSqliteBinding({ appRoot, packaged: app.isPackaged, env: process.env });

const devUrl = !app.isPackaged ? (process.env['ELECTRON_RENDERER_URL'] ?? null) : null;
const dataDir = defaultDataDir(process.env);

let win: BrowserWindow | null = null;
let tray: VigilTray | null = null;
let quitting = false;
let closedStack = false;
let system: SystemState | null = null;
let recent = readRecent(app.getPath('userData'));

/** IPC calls are answered only for the app's own page (its file, or the dev server's origin). */
const isTrustedSender = trustedSenderCheck({
  fileRoot: paths.rendererDir,
  ...(devUrl ? { origins: [new URL(devUrl).origin] } : {}),
});

const host = new StackHost({
  dataDir,
  ipcMain,
  // The renderer talks over IPC only. The REST API (for `vigil ps` and scripts) is opt-in.
  serveHttp: process.env.VIGIL_DESKTOP_API === '1' || process.argv.includes('--serve-api'),
  isTrustedSender,
  onEvent: (ev) => onStackEvent(ev),
  onShutdownRequested: () => void quit(),
});

function onStackEvent(ev: VigilEvent): void {
  const stack = host.stack;
  const notice = noticeFor(ev, system, stack?.name ?? 'the stack');
  if (ev.type === 'status_update') system = ev.system;
  if (notice && Notification.isSupported()) {
    new Notification({
      title: notice.title,
      body: notice.body,
      urgency: notice.urgency,
      silent: notice.urgency !== 'critical',
    }).show();
  }
  if (ev.type === 'status_update' || ev.type === 'service_event') updateTray();
}

function updateTray(): void {
  const stack = host.stack;
  if (!tray || !stack) return;
  const runners = [...stack.supervisor.runners.values()];
  const up = runners.filter((r) => r.lifecycle === 'running' || r.lifecycle === 'completed').length;
  tray.update(traySummary(stack.name, system, up, runners.length), system);
}

function refreshMenu(): void {
  const template = menuTemplate(
    {
      openStack: () => void chooseStack(),
      openRecent: (file) => void openStack(file),
      clearRecent: () => {
        recent = clearRecent(recent);
        writeRecent(app.getPath('userData'), recent);
        refreshMenu();
      },
      // The page shows the answer (a toast, or the banner listing the file's problems).
      reloadStack: () => {
        if (!sendMenuCommand(win?.webContents, 'reload-stack')) void reloadStack();
      },
      startAll: () => void host.stack?.client.startAll({}).catch(showError),
      stopAll: () => void host.stack?.client.stopAll({}).catch(showError),
      checkHealthNow: () => void host.stack?.client.checkHealthNow({}).catch(showError),
      exportReport: (format) => void runExport(format),
      toggleTheme: () => void sendMenuCommand(win?.webContents, 'toggle-theme'),
      showDataDir: () => void shell.openPath(dataDir),
      quit: () => void quit(),
    },
    recent.recent,
    { isMac: process.platform === 'darwin', dev: !app.isPackaged, appName: app.getName() },
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function showError(err: unknown): void {
  const message =
    err instanceof StackLoadError
      ? err.details.join('\n\n')
      : err instanceof VigilError
        ? `${err.message}${err.hint ? `\n\n${err.hint}` : ''}`
        : String(err);
  const title = err instanceof StackLoadError ? `Cannot open ${path.basename(err.file)}` : 'Vigil';
  if (win)
    void dialog.showMessageBox(win, { type: 'error', title, message: title, detail: message });
  else dialog.showErrorBox(title, message);
}

async function openStack(file: string): Promise<boolean> {
  try {
    const stack = await host.open(file);
    closedStack = false;
    system = null;
    recent = addRecent(recent, stack.file);
    writeRecent(app.getPath('userData'), recent);
    refreshMenu();
    win?.setTitle(`${stack.name} — Vigil`);
    // The page starts over with the new stack's snapshot.
    if (win && !win.webContents.isDestroyed()) win.webContents.reload();
    updateTray();
    return true;
  } catch (err) {
    showError(err);
    return false;
  }
}

async function ask(q: Question): Promise<number> {
  const opts = {
    type: q.type,
    title: q.title,
    message: q.message,
    detail: q.detail,
    buttons: [...q.buttons],
    defaultId: q.defaultId,
    cancelId: q.cancelId,
    noLink: true,
  };
  const r = win ? await dialog.showMessageBox(win, opts) : await dialog.showMessageBox(opts);
  return r.response;
}

/** Open Stack…: a Vigil stack file opens; another tool's is imported first (see open-stack.ts). */
async function chooseStack(): Promise<void> {
  const opts = {
    title: 'Open a stack file',
    properties: ['openFile'] as 'openFile'[],
    filters: OPEN_FILTERS.map((f) => ({ name: f.name, extensions: [...f.extensions] })),
  };
  const choice = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
  const file = choice.filePaths[0];
  if (choice.canceled || !file) return;
  await openChosenFile(file, {
    ask,
    importStack: (f) => importStackAsync(f),
    exists: (f) => fs.existsSync(f),
    writeFile: writeStackText,
    open: openStack,
    showError,
  });
}

async function reloadStack(): Promise<void> {
  const stack = host.stack;
  if (!stack) return;
  const result = await stack.client.reload({}).catch((err: unknown) => {
    showError(err);
    return null;
  });
  if (result && !result.applied && result.errors.length > 0) {
    showError(
      new StackLoadError(
        stack.file,
        result.errors.map(
          (e) => `${path.basename(e.file)}:${e.line}:${e.col} ${e.path}: ${e.message}`,
        ),
      ),
    );
  }
}

/** A report saved where the user says (the page's Export dialog and the File menu). */
async function saveReportOf(request: DesktopExportRequest): Promise<DesktopExportResult> {
  const stack = host.stack;
  if (!stack) throw new VigilError('NOT_RUNNING', 'no stack is open');
  return exportReport({
    parent: win,
    client: stack.client,
    stackName: stack.name,
    request,
    scratchDir: path.join(dataDir, 'tmp'),
  });
}

/** The open stack exported to Kubernetes or Compose (the page's Export dialog). */
async function exportStackOf(
  request: DesktopStackExportRequest,
): Promise<DesktopStackExportResult> {
  const stack = host.stack;
  if (!stack) throw new VigilError('NOT_RUNNING', 'no stack is open');
  const result = await exportStack({ parent: win, stackFile: stack.file, request });
  if (result.saved && result.path) shell.showItemInFolder(result.path);
  return result;
}

async function runExport(format: ExportFormat): Promise<void> {
  if (!host.stack) return;
  try {
    const result = await saveReportOf({ format });
    if (result.saved && result.file) shell.showItemInFolder(result.file);
  } catch (err) {
    showError(err);
  }
}

function showWindow(): void {
  if (!win || win.isDestroyed()) {
    win = makeWindow();
    return;
  }
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

async function quit(): Promise<void> {
  if (quitting) {
    await host.forceKill();
    return;
  }
  quitting = true;
  await host.close();
  closedStack = true;
  tray?.destroy();
  app.quit();
}

function makeWindow(): BrowserWindow {
  const w = createMainWindow(
    {
      preload: paths.preload,
      devUrl,
      rendererIndex: paths.rendererIndex,
      ...(fs.existsSync(paths.icon) ? { icon: paths.icon } : {}),
    },
    false,
  );
  w.on('close', (event) => {
    if (quitting) return;
    event.preventDefault();
    const running = host.stack ? host.stack.supervisor.runners.size : 0;
    const choice = dialog.showMessageBoxSync(w, {
      type: 'question',
      title: 'Close Vigil',
      message: 'Stop the stack, or keep it running?',
      detail: `${running} service${running === 1 ? '' : 's'} of ${host.stack?.name ?? 'this stack'} are supervised. Kept running, Vigil stays in the tray and keeps healing them.`,
      buttons: ['Stop the Stack and Quit', 'Keep Running in the Tray', 'Cancel'],
      defaultId: 0,
      cancelId: 2,
      noLink: true,
    });
    if (choice === 0) void quit();
    else if (choice === 1) w.hide();
  });
  w.on('closed', () => {
    if (win === w) win = null;
  });
  return w;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  app.on('web-contents-created', (_e, wc) => guardWebContents(wc));
  app.on('window-all-closed', () => {
    // The stack keeps running in the tray until the user quits.
    if (quitting) app.quit();
  });
  app.on('activate', () => showWindow());
  app.on('before-quit', (event) => {
    if (closedStack || !host.stack) return;
    event.preventDefault();
    void quit();
  });

  void app.whenReady().then(async () => {
    if (!sqlite.result.ok) {
      // Without its SQLite binding the app cannot keep history: say why and how to repair it.
      process.stderr.write(`vigil: ${sqlite.result.message}\n`);
      dialog.showErrorBox('Vigil cannot open its history', sqlite.result.message);
      app.exit(1);
      return;
    }
    app.setAppUserModelId('dev.vigil.app');
    secureSession(devUrl);
    registerDesktopHandlers(ipcMain, {
      isTrustedSender,
      exportReport: saveReportOf,
      exportStack: exportStackOf,
    });
    refreshMenu();
    const first = initialStack(
      process.argv.slice(app.isPackaged ? 1 : 2),
      recent,
      paths.demo,
      (f) => fs.existsSync(f),
      process.cwd(),
    );
    const opened = await openStack(first);
    if (!opened && first !== paths.demo) await openStack(paths.demo);
    win = makeWindow();
    tray = createTray(paths.trayIcon, {
      show: showWindow,
      startAll: () => void host.stack?.client.startAll({}).catch(showError),
      stopAll: () => void host.stack?.client.stopAll({}).catch(showError),
      quit: () => void quit(),
    });
    updateTray();
  });
}
