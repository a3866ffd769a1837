/**
 * The desktop app itself. Needs the Electron binary, which cannot be downloaded on every machine:
 * without it these checks skip and say so. Checks the window opens (with the SQLite binding built
 * for Electron, prepared as `npm start` does), the page has no Node, and navigation away from the
 * app is refused.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { FIXTURE_STACK, ROOT } from './support/vigil.js';
// @ts-expect-error: a plain .mjs script without types
import { prepareElectronSqlite as prepare } from '../scripts/sqlite-electron.mjs';

const prepareElectronSqlite = prepare as () =>
  { ok: true; file: string; how: string } | { ok: false; message: string };

/** The binary named by node_modules/electron/path.txt, without requiring `electron` (which downloads). */
function electronBinary(): string | null {
  const dir = path.join(ROOT, 'node_modules', 'electron');
  try {
    const rel = fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim();
    const bin = path.join(dir, 'dist', rel);
    return rel && fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();

if (!binary) {
  describe('desktop app', () => {
    it.skip('needs the Electron binary, which is not installed here (no network download possible)', () => {});
  });
} else {
  describe('desktop app', () => {
    let app: ElectronApplication;
    let page: Page;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-electron-'));

    beforeAll(async () => {
      // The main process needs the SQLite binding built for Electron (as `npm start` prepares it).
      const sqlite = prepareElectronSqlite();
      if (!sqlite.ok) throw new Error(`vigil: ${sqlite.message}`);
      app = await _electron.launch({
        executablePath: binary,
        args: [
          path.join(ROOT, 'out', 'main', 'index.js'),
          '--stack',
          FIXTURE_STACK,
          '--no-sandbox',
        ],
        env: {
          ...process.env,
          VIGIL_DATA_DIR: dataDir,
          VIGIL_SQLITE_BINDING: sqlite.file,
          ELECTRON_DISABLE_SECURITY_WARNINGS: '1',
        },
        cwd: ROOT,
      });
      page = await app.firstWindow();
      await page.locator('.vg-topbar').waitFor({ timeout: 30_000 });
    }, 90_000);

    afterAll(async () => {
      // Quitting stops the stack in order (before-quit waits for it).
      await app?.evaluate(({ app: electronApp }) => electronApp.quit()).catch(() => undefined);
      await app?.close().catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }, 30_000);

    it('opens a window onto the stack', async () => {
      await page.locator('.react-flow__node-service').first().waitFor({ timeout: 20_000 });
      expect(await page.locator('.react-flow__node-service').count()).toBe(10);
      expect(await page.getByTestId('connection').textContent()).toContain('desktop');
    });

    it('gives the page no Node: no require, process or Buffer', async () => {
      const globals = await page.evaluate(() => {
        const w = window as unknown as Record<string, unknown>;
        return [typeof w['require'], typeof w['process'], typeof w['Buffer']];
      });
      expect(globals).toEqual(['undefined', 'undefined', 'undefined']);
      expect(
        await page.evaluate(() => typeof (window as unknown as { vigil?: unknown }).vigil),
      ).toBe('object');
    });

    it('exposes the desktop bridge with its three methods only, and offers PDF and stack export', async () => {
      const keys = await page.evaluate(() =>
        Object.keys((window as unknown as { vigilDesktop: object }).vigilDesktop).sort(),
      );
      expect(keys).toEqual(['exportReport', 'exportStack', 'onMenuCommand']);
      await page.getByRole('button', { name: 'Export report' }).click();
      const dialog = page.getByRole('dialog', { name: 'Export healing report' });
      await dialog.getByText('PDF', { exact: true }).waitFor();
      await dialog.getByRole('button', { name: 'Export to Kubernetes…' }).waitFor();
      await dialog.getByRole('button', { name: 'Export to Compose…' }).waitFor();
      await dialog.getByRole('button', { name: 'Close' }).click();
    });

    it('a menu command reaches the page through the bridge', async () => {
      const before = await page.evaluate(() => document.documentElement.dataset['theme']);
      await app.evaluate(({ BrowserWindow }) => {
        BrowserWindow.getAllWindows()[0]!.webContents.send('vigil-desktop:menu', 'toggle-theme');
      });
      await page.waitForFunction((b) => document.documentElement.dataset['theme'] !== b, before, {
        timeout: 5_000,
      });
    });

    it('refuses navigation and new windows', async () => {
      const before = page.url();
      await page.evaluate(() => {
        window.location.href = 'https://example.com/';
      });
      await page.waitForTimeout(500);
      expect(page.url()).toBe(before);
      expect(await page.evaluate(() => window.open('https://example.com/') === null)).toBe(true);
      expect(app.windows()).toHaveLength(1);
    });
  });
}
