// A stand-in for the `electron` module, for booting the real main bundle (out/main/index.js) under
// plain Node. It records everything the app asks of Electron and sends each record to the parent
// process (the test) over the fork channel; the parent drives it back over the same channel: call
// an IPC handler as a frame would, click a menu item, navigate, quit. Nothing here decides for the
// app: it only stands where Electron's objects stand.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const home = process.env.VIGIL_FAKE_ELECTRON_HOME ?? path.join(process.cwd(), '.fake-electron');

/** Functions and cycles dropped: what the parent sees is data. */
function plain(value) {
  const seen = new WeakSet();
  return JSON.parse(
    JSON.stringify(value ?? null, (_k, v) => {
      if (typeof v === 'function') return `[function]`;
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[cycle]';
        seen.add(v);
      }
      if (v instanceof Uint8Array) return `[bytes ${v.byteLength}]`;
      return v;
    }),
  );
}

function record(kind, data = {}) {
  process.send?.({ type: 'record', kind, data: plain(data) });
}

// ---------------------------------------------------------------------------------------- app
class FakeApp extends EventEmitter {
  isPackaged = false;
  #ready = false;
  #readyPromise = new Promise((resolve) =>
    setImmediate(() => {
      this.#ready = true;
      record('app.ready');
      this.emit('ready');
      resolve();
    }),
  );
  getName() {
    return 'Vigil';
  }
  getVersion() {
    return '0.0.0-boot-test';
  }
  getPath(name) {
    return path.join(home, name);
  }
  isReady() {
    return this.#ready;
  }
  whenReady() {
    return this.#readyPromise;
  }
  requestSingleInstanceLock() {
    record('app.requestSingleInstanceLock');
    return true;
  }
  setAppUserModelId(id) {
    record('app.setAppUserModelId', { id });
  }
  /** Electron's order: before-quit (preventable), will-quit, quit, then the process ends. */
  quit() {
    record('app.quit');
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (prevented) {
      record('app.quit.prevented');
      return;
    }
    for (const w of windows) if (!w.isDestroyed()) w.destroy();
    this.emit('will-quit', { preventDefault: () => undefined });
    this.emit('quit', {}, 0);
    record('app.exited', { code: 0 });
    setImmediate(() => process.exit(0));
  }
  exit(code = 0) {
    record('app.exit', { code });
    setImmediate(() => process.exit(code));
  }
}
export const app = new FakeApp();

// ---------------------------------------------------------------------------------- session
class FakeWebRequest {
  onHeadersReceived(fn) {
    session.defaultSession.headersHandler = fn;
    record('session.webRequest.onHeadersReceived');
  }
}
class FakeSession extends EventEmitter {
  webRequest = new FakeWebRequest();
  permissionRequestHandler = null;
  permissionCheckHandler = null;
  devicePermissionHandler = null;
  headersHandler = null;
  setPermissionRequestHandler(fn) {
    this.permissionRequestHandler = fn;
    record('session.setPermissionRequestHandler');
  }
  setPermissionCheckHandler(fn) {
    this.permissionCheckHandler = fn;
    record('session.setPermissionCheckHandler');
  }
  setDevicePermissionHandler(fn) {
    this.devicePermissionHandler = fn;
    record('session.setDevicePermissionHandler');
  }
}
export const session = { defaultSession: new FakeSession() };

// ------------------------------------------------------------------------ windows, contents
let nextId = 1;
const windows = [];
const contentsById = new Map();

class FakeWebContents extends EventEmitter {
  id = nextId++;
  #destroyed = false;
  windowOpenHandler = null;
  url = '';
  constructor() {
    super();
    contentsById.set(this.id, this);
  }
  setWindowOpenHandler(fn) {
    this.windowOpenHandler = fn;
    record('webContents.setWindowOpenHandler', { id: this.id });
  }
  send(channel, msg) {
    record('webContents.send', { id: this.id, channel, msg });
  }
  reload() {
    record('webContents.reload', { id: this.id });
  }
  isDestroyed() {
    return this.#destroyed;
  }
  destroy() {
    this.#destroyed = true;
    this.emit('destroyed');
  }
  /**
   * Electron prints with Chromium; so does the stand-in, when the test names a Chromium binary
   * (VIGIL_FAKE_PRINT_CHROMIUM): the page this window loaded, printed with the options given.
   */
  async printToPDF(options) {
    record('webContents.printToPDF', { id: this.id, url: this.url, options });
    const executablePath = process.env.VIGIL_FAKE_PRINT_CHROMIUM;
    if (!executablePath) throw new Error('no Chromium to print with (VIGIL_FAKE_PRINT_CHROMIUM)');
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--allow-file-access-from-files'],
    });
    try {
      const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
      await page.goto(this.url, { waitUntil: 'load' });
      const pdf = await page.pdf({
        format: options?.pageSize ?? 'A4',
        printBackground: Boolean(options?.printBackground),
        preferCSSPageSize: true,
      });
      return pdf;
    } finally {
      await browser.close();
    }
  }
}

export class BrowserWindow extends EventEmitter {
  #destroyed = false;
  #visible = false;
  constructor(options = {}) {
    super();
    this.options = options;
    this.webContents = new FakeWebContents();
    windows.push(this);
    record('BrowserWindow.new', { id: this.webContents.id, options });
    app.emit('web-contents-created', {}, this.webContents);
  }
  static getAllWindows() {
    return windows.filter((w) => !w.isDestroyed());
  }
  async loadFile(file) {
    this.webContents.url = pathToFileURL(file).href;
    record('BrowserWindow.loadFile', { id: this.webContents.id, file });
    setImmediate(() => this.emit('ready-to-show'));
  }
  async loadURL(url) {
    this.webContents.url = url;
    record('BrowserWindow.loadURL', { id: this.webContents.id, url });
    setImmediate(() => this.emit('ready-to-show'));
  }
  show() {
    this.#visible = true;
    record('BrowserWindow.show', { id: this.webContents.id });
  }
  hide() {
    this.#visible = false;
    record('BrowserWindow.hide', { id: this.webContents.id });
  }
  isVisible() {
    return this.#visible;
  }
  focus() {}
  isMinimized() {
    return false;
  }
  restore() {}
  setTitle(title) {
    record('BrowserWindow.setTitle', { id: this.webContents.id, title });
  }
  isDestroyed() {
    return this.#destroyed;
  }
  /** The user closing the window: `close` (preventable), then `closed`. */
  close() {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) this.destroy();
    return !prevented;
  }
  destroy() {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.webContents.destroy();
    record('BrowserWindow.destroyed', { id: this.webContents.id });
    this.emit('closed');
  }
}

// ------------------------------------------------------------------------------------- ipc
const handlers = new Map();
export const ipcMain = {
  handle(channel, fn) {
    if (handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, fn);
    record('ipcMain.handle', { channel });
  },
  removeHandler(channel) {
    handlers.delete(channel);
    record('ipcMain.removeHandler', { channel });
  },
  on(channel) {
    record('ipcMain.on', { channel });
  },
};

// ------------------------------------------------------------------------------ menu, tray
export class Menu {
  constructor(template) {
    this.template = template;
  }
  static buildFromTemplate(template) {
    return new Menu(template);
  }
  static applicationMenu = null;
  static setApplicationMenu(menu) {
    Menu.applicationMenu = menu;
    record('Menu.setApplicationMenu', { template: menu?.template ?? null });
  }
}

const trays = [];
export class Tray extends EventEmitter {
  constructor(image) {
    super();
    this.menu = null;
    this.destroyed = false;
    trays.push(this);
    record('Tray.new', { image: image?.source ?? null });
  }
  setToolTip(text) {
    record('Tray.setToolTip', { text });
  }
  setContextMenu(menu) {
    this.menu = menu;
    record('Tray.setContextMenu', { template: menu.template });
  }
  destroy() {
    this.destroyed = true;
    record('Tray.destroy');
  }
}

export const nativeImage = {
  createFromPath: (p) => ({
    source: p,
    isEmpty: () => false,
    resize() {
      return this;
    },
  }),
  createEmpty: () => ({
    source: null,
    isEmpty: () => true,
    resize() {
      return this;
    },
  }),
};

// ---------------------------------------------------------------------- dialogs and shell
export const dialog = {
  showErrorBox(title, content) {
    record('dialog.showErrorBox', { title, content });
  },
  async showMessageBox(...args) {
    const opts = args.length > 1 ? args[1] : args[0];
    record('dialog.showMessageBox', opts);
    return { response: opts.cancelId ?? 0, checkboxChecked: false };
  },
  showMessageBoxSync(...args) {
    const opts = args.length > 1 ? args[1] : args[0];
    record('dialog.showMessageBoxSync', opts);
    return Number(process.env.VIGIL_FAKE_CLOSE_CHOICE ?? opts.cancelId ?? 0);
  },
  async showOpenDialog(...args) {
    record('dialog.showOpenDialog', args.length > 1 ? args[1] : args[0]);
    return { canceled: true, filePaths: [] };
  },
  /** Answers with the next file the test queued (`save-as`), else cancels. */
  async showSaveDialog(...args) {
    const opts = args.length > 1 ? args[1] : args[0];
    const file = saveAnswers.shift() ?? null;
    record('dialog.showSaveDialog', { ...opts, answer: file });
    return file ? { canceled: false, filePath: file } : { canceled: true, filePath: '' };
  },
};
const saveAnswers = [];

export const shell = {
  async openExternal(url) {
    record('shell.openExternal', { url });
  },
  async openPath(p) {
    record('shell.openPath', { path: p });
    return '';
  },
  showItemInFolder(p) {
    record('shell.showItemInFolder', { path: p });
  },
};

export class Notification extends EventEmitter {
  static isSupported() {
    return true;
  }
  constructor(options) {
    super();
    this.options = options;
  }
  show() {
    record('Notification.show', this.options);
  }
}

export const nativeTheme = Object.assign(new EventEmitter(), {
  shouldUseDarkColors: false,
  themeSource: 'system',
});

export const contextBridge = {
  exposeInMainWorld() {
    throw new Error('contextBridge is for the preload, not the main process');
  },
};

// ------------------------------------------------------------------------- the test's side
function findItem(items, labels) {
  const [first, ...rest] = labels;
  const item = (items ?? []).find((i) => i.label === first);
  if (!item) return null;
  return rest.length === 0 ? item : findItem(item.submenu, rest);
}

function ipcEvent(frameUrl, senderId) {
  return {
    senderFrame: frameUrl === null ? null : { url: frameUrl },
    sender: {
      id: senderId,
      send: (channel, msg) => process.send?.({ type: 'send', senderId, channel, msg: plain(msg) }),
      isDestroyed: () => false,
      once: () => undefined,
    },
  };
}

const ops = {
  async invoke({ channel, frameUrl, senderId = 1, args = [] }) {
    const fn = handlers.get(channel);
    if (!fn) return { noHandler: true };
    return { result: plain(await fn(ipcEvent(frameUrl, senderId), ...args)) };
  },
  channels: () => [...handlers.keys()],
  menuClick({ labels }) {
    const item = findItem(Menu.applicationMenu?.template, labels);
    if (!item || typeof item.click !== 'function') return { clicked: false };
    item.click(item, windows[0], {});
    return { clicked: true };
  },
  trayClick({ label }) {
    const tray = trays.at(-1);
    const item = tray?.menu?.template.find((i) => i.label === label);
    if (!item || typeof item.click !== 'function') return { clicked: false };
    item.click();
    return { clicked: true };
  },
  /** A page of window `id` trying to leave: was it prevented, and what went to the system browser. */
  navigate({ id, url, kind }) {
    const wc = contentsById.get(id);
    if (!wc) return { missing: true };
    if (kind === 'window-open') return { action: wc.windowOpenHandler?.({ url })?.action ?? null };
    let prevented = false;
    wc.emit(kind, { preventDefault: () => (prevented = true) }, url);
    return { prevented, listeners: wc.listenerCount(kind) };
  },
  headers({ url }) {
    const fn = session.defaultSession.headersHandler;
    if (!fn) return { none: true };
    return new Promise((resolve) =>
      fn({ url, responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => resolve(r)),
    );
  },
  permission({ permission }) {
    const fn = session.defaultSession.permissionRequestHandler;
    return new Promise((resolve) => fn(null, permission, (granted) => resolve({ granted })));
  },
  saveAs({ file }) {
    saveAnswers.push(file);
    return {};
  },
  closeWindow({ id }) {
    const w = windows.find((x) => x.webContents.id === id);
    return { closed: w ? w.close() : false };
  },
};

process.on('message', (m) => {
  if (!m || m.type !== 'op') return;
  const fn = ops[m.op];
  Promise.resolve()
    .then(() => (fn ? fn(m.arg ?? {}) : Promise.reject(new Error(`unknown op ${m.op}`))))
    .then(
      (value) => process.send?.({ type: 'reply', id: m.id, value: value ?? null }),
      (err) => process.send?.({ type: 'reply', id: m.id, error: String(err?.stack ?? err) }),
    );
});
process.on('uncaughtException', (err) => {
  record('process.uncaughtException', { message: String(err?.stack ?? err) });
  process.exit(70);
});
process.on('unhandledRejection', (err) => {
  record('process.unhandledRejection', { message: String(err?.stack ?? err) });
});
