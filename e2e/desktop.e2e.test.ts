/**
 * The desktop app's main process, booted for real: the built bundle (out/main/index.js) runs under
 * Node with a stand-in `electron` (e2e/desktop/fake-electron.mjs) that records what the app does.
 * It must open the demo stack with its SQLite history, start the services, make a secure window
 * onto files that exist, register one IPC handler per contract and desktop command (each refusing
 * a foreign frame and answering the app's own), build the menu and tray, and on quit stop every
 * service, close the store and leave no process. Then the real renderer, in Chromium, drives the
 * same handlers through the real preload bundle: a click restarts a real service, a quarantine
 * becomes a desktop notification. A wrong SQLite binding gives a message and a clean exit.
 *
 * What only the stand-in can show: that Electron itself honours these options (sandbox, CSP
 * header, the navigation events it would emit) is Electron's part, checked by the Electron spec
 * (electron.e2e.test.ts) where the binary exists.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../src/shared/contract.js';
import { commandChannel } from '../src/shared/client/bridge.js';
import { DESKTOP_EXPORT_CHANNEL } from '../src/shared/desktop.js';
import { APP_CSP } from '../src/main/app/security.js';
import {
  BootedMain,
  PRELOAD_BUNDLE,
  RENDERER_DIR,
  RENDERER_INDEX,
  survivors,
  type IpcEnvelope,
} from './desktop/boot.js';
import { bridgeToMain, forwardSends } from './desktop/page-bridge.js';
import {
  CHROMIUM_PATH,
  chromiumAvailable,
  launchBrowser,
  type Browser,
} from './support/browser.js';
import { ROOT } from './support/vigil.js';
import { AppPage } from './pages/app.page.js';
import { GraphPage } from './pages/graph.page.js';
import { PanelPage } from './pages/panel.page.js';

const DEMO_SERVICES = ['api', 'cache', 'db', 'flaky', 'migrate', 'web', 'worker'];
const PAGE_URL = pathToFileURL(RENDERER_INDEX).href;
const FOREIGN_URLS = ['https://evil.example/', `file://${os.tmpdir()}/elsewhere/index.html`];
const NODE_BUILD = path.join(
  ROOT,
  'node_modules',
  'better-sqlite3',
  'build',
  'Release',
  'better_sqlite3.node',
);

interface ServiceLite {
  readonly name: string;
  readonly lifecycle: string;
  readonly pid: number | null;
}

function value<T>(r: IpcEnvelope | 'no handler'): T {
  if (r === 'no handler') throw new Error('no handler');
  if (!r.ok) throw new Error(`${r.error?.code}: ${r.error?.message}`);
  return r.value as T;
}

describe('desktop main process (booted with a stand-in electron)', () => {
  let main: BootedMain;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-boot-scratch-'));
  /** A copy of the Node build in a cache directory, named to the app like `npm start` does. */
  const binding = path.join(scratch, 'sqlite-cache', 'better_sqlite3.node');

  const services = async (): Promise<ServiceLite[]> =>
    value<{ services: ServiceLite[] }>(await main.invoke('vigil:getStatus', [{}], PAGE_URL))
      .services;
  const service = async (name: string): Promise<ServiceLite> =>
    (await services()).find((s) => s.name === name)!;
  const waitService = async (name: string, pred: (s: ServiceLite) => boolean, ms = 40_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const s = await service(name);
      if (pred(s)) return s;
      if (Date.now() > end) throw new Error(`${name} stayed ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    for (const f of [PRELOAD_BUNDLE, RENDERER_INDEX])
      if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first`);
    fs.mkdirSync(path.dirname(binding), { recursive: true });
    fs.copyFileSync(NODE_BUILD, binding);
    main = BootedMain.start([], {
      VIGIL_SQLITE_BINDING: binding,
      ...(chromiumAvailable() ? { VIGIL_FAKE_PRINT_CHROMIUM: CHROMIUM_PATH } : {}),
    });
    await main.waitRecord('Tray.new');
  }, 60_000);

  afterAll(async () => {
    await main?.dispose();
    fs.rmSync(scratch, { recursive: true, force: true });
  }, 30_000);

  it('opens the demo stack with its SQLite history, through the SQLite binding it was given', async () => {
    expect(main.all('process.uncaughtException')).toEqual([]);
    expect(main.all('dialog.showErrorBox')).toEqual([]);
    expect((await services()).map((s) => s.name).sort()).toEqual(DEMO_SERVICES);
    await waitService('api', (s) => s.lifecycle === 'running');
    const lock = JSON.parse(fs.readFileSync(path.join(main.dataDir, 'vigil.lock'), 'utf8'));
    expect(lock.pid).toBe(main.child.pid);
    const db = new Database(path.join(main.dataDir, 'vigil.db'), { readonly: true });
    try {
      const runs = db.prepare('SELECT stack_name, ended_at FROM runs').all();
      expect(runs).toEqual([{ stack_name: 'demo', ended_at: null }]);
    } finally {
      db.close();
    }
    // The SQLite binding the main process mapped is the one it was given, not node_modules' own.
    const maps = fs.readFileSync(`/proc/${main.child.pid}/maps`, 'utf8');
    expect(maps).toContain(binding);
    expect(maps).not.toContain(NODE_BUILD);
  });

  it('starts the services as real processes', async () => {
    const api = await waitService('api', (s) => s.lifecycle === 'running' && s.pid !== null);
    expect(survivors([api.pid!])).toEqual([api.pid]);
  });

  it('makes one isolated, sandboxed window onto a preload and a renderer that exist', () => {
    const wins = main.all('BrowserWindow.new');
    expect(wins).toHaveLength(1);
    const prefs = (wins[0]!.data['options'] as { webPreferences: Record<string, unknown> })
      .webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
      preload: PRELOAD_BUNDLE,
    });
    expect(fs.existsSync(prefs['preload'] as string)).toBe(true);
    const loaded = main.all('BrowserWindow.loadFile').map((r) => r.data['file']);
    expect(loaded).toEqual([RENDERER_INDEX]);
    expect(fs.readFileSync(RENDERER_INDEX, 'utf8')).toMatch(
      /<meta\s+http-equiv="Content-Security-Policy"\s+content="default-src 'self'; script-src 'self';/,
    );
    expect(main.all('BrowserWindow.show')).toHaveLength(1);
  });

  it('sends the CSP with every response and refuses every permission', async () => {
    const r = await main.op<{ responseHeaders: Record<string, string[]> }>('headers', {
      url: 'file:///x',
    });
    expect(r.responseHeaders['Content-Security-Policy']).toEqual([APP_CSP]);
    expect(APP_CSP).toContain("script-src 'self'");
    for (const permission of ['media', 'geolocation', 'notifications'])
      expect(await main.op('permission', { permission })).toEqual({ granted: false });
  });

  it('keeps the window on the app: navigation, redirects, new windows and webviews refused', async () => {
    const id = main.all('BrowserWindow.new')[0]!.data['id'];
    const before = main.all('shell.openExternal').length;
    expect(
      await main.op('navigate', { id, kind: 'will-navigate', url: 'https://example.org/docs' }),
    ).toMatchObject({ prevented: true });
    expect(
      await main.op('navigate', { id, kind: 'will-navigate', url: 'file:///etc/passwd' }),
    ).toMatchObject({ prevented: true });
    expect(
      await main.op('navigate', { id, kind: 'will-redirect', url: 'https://example.org/' }),
    ).toMatchObject({ prevented: true });
    expect(
      await main.op('navigate', { id, kind: 'will-attach-webview', url: 'https://x.example/' }),
    ).toMatchObject({ prevented: true });
    expect(
      await main.op('navigate', { id, kind: 'window-open', url: 'javascript:alert(1)' }),
    ).toEqual({ action: 'deny' });
    expect(
      await main.op('navigate', { id, kind: 'window-open', url: 'https://example.org/new' }),
    ).toEqual({ action: 'deny' });
    // Only the http(s) ones went to the system browser.
    expect(
      main
        .all('shell.openExternal')
        .slice(before)
        .map((r) => r.data['url']),
    ).toEqual(['https://example.org/docs', 'https://example.org/new']);
  });

  it('registers exactly one handler per contract command and per desktop command', async () => {
    const channels = await main.op<string[]>('channels');
    const expected = [...COMMAND_NAMES.map(commandChannel), DESKTOP_EXPORT_CHANNEL];
    for (const c of expected) expect(channels.filter((x) => x === c)).toHaveLength(1);
    expect(COMMAND_NAMES.length).toBeGreaterThan(20);
  });

  it('refuses every command from a foreign frame, or a call with no frame', async () => {
    for (const channel of [...COMMAND_NAMES.map(commandChannel), DESKTOP_EXPORT_CHANNEL]) {
      for (const url of [...FOREIGN_URLS, null]) {
        const r = await main.invoke(channel, [{}], url);
        expect(r, `${channel} from ${url}`).toMatchObject({
          ok: false,
          error: { code: 'FORBIDDEN' },
        });
      }
    }
  });

  it('validates every command the way the preload calls it: unknown input is BAD_REQUEST', async () => {
    for (const name of COMMAND_NAMES) {
      const r = await main.invoke(commandChannel(name), [{ notAField: 1 }], PAGE_URL);
      expect(r, name).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(await main.invoke(DESKTOP_EXPORT_CHANNEL, [{ format: 'exe' }], PAGE_URL)).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
  });

  it('answers the app own page: reads, and actions on an unknown service are UNKNOWN_SERVICE', async () => {
    const call = (name: string, input: unknown) =>
      main.invoke(commandChannel(name as (typeof COMMAND_NAMES)[number]), [input], PAGE_URL);
    expect(value<{ total_services: number }>(await call('listServices', {})).total_services).toBe(
      7,
    );
    expect(value<{ name: string }>(await call('getService', { name: 'api' })).name).toBe('api');
    for (const name of ['getServiceHistory', 'getLogs'])
      expect(await call(name, { name: 'db' }), name).toMatchObject({ ok: true });
    for (const name of ['getHealthStatus', 'getDependencies', 'getHealingHistory', 'getStats'])
      expect(await call(name, {}), name).toMatchObject({ ok: true });
    const report = value<{ body: string }>(await call('getReport', { format: 'md' }));
    expect(report.body).toContain('demo');
    for (const name of [
      'restartService',
      'startService',
      'stopService',
      'quarantineService',
      'releaseService',
    ])
      expect(await call(name, { name: 'nosuch' }), name).toMatchObject({
        ok: false,
        error: { code: 'UNKNOWN_SERVICE' },
      });
  });

  it('saves a report through the save dialog (the desktop command)', async () => {
    const file = path.join(scratch, 'report.md');
    await main.op('saveAs', { file });
    const r = value<{ saved: boolean; file: string }>(
      await main.invoke(DESKTOP_EXPORT_CHANNEL, [{ format: 'md', since: '1h' }], PAGE_URL),
    );
    expect(r).toEqual({ saved: true, file });
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^# .*demo/m);
    // No answer queued: the dialog is cancelled and nothing is written.
    expect(value(await main.invoke(DESKTOP_EXPORT_CHANNEL, [{ format: 'csv' }], PAGE_URL))).toEqual(
      { saved: false },
    );
  });

  it.skipIf(!chromiumAvailable())(
    'saves a PDF report: the HTML report loaded in a hidden script-less window and printed',
    async () => {
      const file = path.join(scratch, 'report.pdf');
      await main.op('saveAs', { file });
      const before = main.all('BrowserWindow.new').length;
      const r = value<{ saved: boolean; file: string }>(
        await main.invoke(DESKTOP_EXPORT_CHANNEL, [{ format: 'pdf' }], PAGE_URL),
      );
      expect(r).toEqual({ saved: true, file });
      expect(fs.readFileSync(file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const printer = main.all('BrowserWindow.new').slice(before);
      expect(printer).toHaveLength(1);
      expect(printer[0]!.data['options']).toMatchObject({
        show: false,
        webPreferences: {
          sandbox: true,
          contextIsolation: true,
          nodeIntegration: false,
          javascript: false,
        },
      });
      const printed = main.all('webContents.printToPDF').at(-1)!.data;
      expect(printed['options']).toEqual({ printBackground: true, pageSize: 'A4' });
      // The page printed was a temporary file inside the data directory, removed afterwards.
      const url = String(printed['url']);
      expect(url.startsWith(pathToFileURL(path.join(main.dataDir, 'tmp')).href)).toBe(true);
      expect(fs.existsSync(new URL(url))).toBe(false);
      expect(
        main.all('BrowserWindow.destroyed').some((d) => d.data['id'] === printer[0]!.data['id']),
      ).toBe(true);
      let text = '';
      try {
        text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
      } catch {
        return; // poppler is not installed: the bytes above are all that can be checked
      }
      expect(text).toContain('Healing report');
      expect(text).toContain('demo');
    },
    60_000,
  );

  it('builds the application menu and the tray', () => {
    const menu = main.all('Menu.setApplicationMenu').at(-1)!.data['template'] as {
      label: string;
      submenu?: { label?: string; submenu?: { label?: string }[] }[];
    }[];
    expect(menu.map((m) => m.label)).toEqual(expect.arrayContaining(['File', 'Stack', 'View']));
    const file = menu.find((m) => m.label === 'File')!.submenu!;
    const exportMenu = file.find((i) => i.label === 'Export Report')!.submenu!;
    expect(exportMenu.map((i) => i.label)).toContain('PDF…');
    expect(file.map((i) => i.label)).toContain('Quit');
    const tray = main.all('Tray.setContextMenu').at(-1)!.data['template'] as { label?: string }[];
    expect(tray.map((i) => i.label)).toEqual(
      expect.arrayContaining(['Show Vigil', 'Start All', 'Stop All', 'Stop the Stack and Quit']),
    );
    expect(main.all('Tray.setToolTip').at(-1)!.data['text']).toMatch(/^demo: /);
  });

  describe.skipIf(!chromiumAvailable())(
    `the real renderer in Chromium, over the same IPC handlers (needs Chromium at ${CHROMIUM_PATH}; VIGIL_CHROMIUM overrides it)`,
    () => {
      let browser: Browser;
      let context: BrowserContext;
      let page: Page;
      let stopForwarding: () => void = () => undefined;

      beforeAll(async () => {
        browser = await launchBrowser(['--allow-file-access-from-files']);
        context = browser.context;
        await bridgeToMain(context, main);
        page = await context.newPage();
        stopForwarding = forwardSends(main, page);
        await page.goto(PAGE_URL);
        await page.locator('.vg-topbar').waitFor({ timeout: 30_000 });
      }, 60_000);

      afterAll(async () => {
        stopForwarding();
        await browser?.close();
      });

      it('shows the stack over IPC, with no Node in the page', async () => {
        expect(page.url().startsWith(pathToFileURL(RENDERER_DIR).href)).toBe(true);
        await expect
          .poll(() => page.getByTestId('connection').textContent(), { timeout: 20_000 })
          .toContain('desktop');
        await new GraphPage(page).nodes().first().waitFor({ timeout: 20_000 });
        expect(await new GraphPage(page).nodes().count()).toBe(DEMO_SERVICES.length);
        expect(
          await page.evaluate(() => {
            const w = window as unknown as Record<string, unknown>;
            return [
              typeof w['require'],
              typeof w['process'],
              typeof w['vigil'],
              typeof w['vigilDesktop'],
            ];
          }),
        ).toEqual(['undefined', 'undefined', 'object', 'object']);
      });

      it('restarts a real service when its node is clicked and Restart pressed', async () => {
        const graph = new GraphPage(page);
        const panel = new PanelPage(page);
        const before = await waitService('web', (s) => s.lifecycle === 'running' && s.pid !== null);
        await graph.open('web');
        await panel.run('restart');
        const after = await waitService(
          'web',
          (s) => s.lifecycle === 'running' && s.pid !== null && s.pid !== before.pid,
        );
        expect(after.pid).not.toBe(before.pid);
        await expect.poll(() => survivors([before.pid!]), { timeout: 15_000 }).toEqual([]);
        const healing = value<{
          events: { service: string; action: string; reason: { actor?: string } }[];
        }>(await main.invoke('vigil:getHealingHistory', [{}], PAGE_URL));
        expect(healing.events.some((e) => e.service === 'web' && e.action === 'restart')).toBe(
          true,
        );
        await new AppPage(page).screenshot('desktop-over-ipc');
      });

      it('turns a quarantine into a desktop notification', async () => {
        const graph = new GraphPage(page);
        const panel = new PanelPage(page);
        await graph.open('flaky');
        await panel.run('quarantine');
        await main.waitRecord(
          'Notification.show',
          (d) => d['title'] === 'flaky quarantined',
          20_000,
        );
        expect((await service('flaky')).lifecycle).toBe('quarantined');
      });
    },
  );

  it('on Quit stops every service, closes the store and leaves no process', async () => {
    const pids = (await services()).map((s) => s.pid).filter((p): p is number => p !== null);
    expect(pids.length).toBeGreaterThanOrEqual(4);
    expect(await main.op('menuClick', { labels: ['File', 'Quit'] })).toEqual({ clicked: true });
    expect(await main.exited_(45_000)).toBe(true);
    expect(main.exit).toEqual({ code: 0, signal: null });
    expect(main.all('process.uncaughtException')).toEqual([]);
    expect(main.all('Tray.destroy')).toHaveLength(1);
    await expect.poll(() => survivors([...pids, main.child.pid!]), { timeout: 10_000 }).toEqual([]);
    for (const c of COMMAND_NAMES.map(commandChannel))
      expect(main.all('ipcMain.removeHandler').some((r) => r.data['channel'] === c)).toBe(true);
    // Closed cleanly: no lock, the WAL checkpointed away, the run ended as stopped.
    expect(fs.existsSync(path.join(main.dataDir, 'vigil.lock'))).toBe(false);
    expect(fs.existsSync(path.join(main.dataDir, 'vigil.db-wal'))).toBe(false);
    const db = new Database(path.join(main.dataDir, 'vigil.db'), { readonly: true });
    try {
      const run = db.prepare('SELECT how, ended_at FROM runs').get() as {
        how: string;
        ended_at: number;
      };
      expect(run.how).toBe('stopped');
      expect(run.ended_at).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  }, 60_000);
});

describe('desktop main process with an unusable SQLite binding', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-boot-binding-'));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  /** A copy of the Node build whose registration symbol claims Electron 45's ABI (150). */
  function wrongAbiCopy(): string {
    const bytes = Buffer.from(fs.readFileSync(NODE_BUILD));
    const from = Buffer.from(`node_register_module_v${process.versions.modules}`, 'latin1');
    for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + 1))
      bytes.write('node_register_module_v150', at, 'latin1');
    const file = path.join(scratch, 'wrong', 'better_sqlite3.node');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    return file;
  }

  for (const [what, file] of [
    ['of another ABI', () => wrongAbiCopy()],
    ['that is missing', () => path.join(scratch, 'missing', 'better_sqlite3.node')],
  ] as const) {
    it(`a binding ${what}: one message with the repair command, a clean exit, nothing started`, async () => {
      const main = BootedMain.start([], { VIGIL_SQLITE_BINDING: file() });
      try {
        expect(await main.exited_(30_000)).toBe(true);
        expect(main.exit).toEqual({ code: 1, signal: null });
        expect(main.all('process.uncaughtException')).toEqual([]);
        const shown = main.all('dialog.showErrorBox');
        expect(shown).toHaveLength(1);
        expect(shown[0]!.data['content']).toContain('`npm run sqlite:electron`');
        expect(main.stderr).toMatch(/^vigil: the SQLite binding .*npm run sqlite:electron/m);
        expect(main.all('BrowserWindow.new')).toEqual([]);
        expect(fs.existsSync(path.join(main.dataDir, 'vigil.lock'))).toBe(false);
      } finally {
        await main.dispose();
      }
    }, 40_000);
  }
});
