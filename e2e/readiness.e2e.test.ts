/**
 * Launch and health under failure, seen from the browser UI: a service whose health endpoint hangs
 * says why it is not ready (graph node and service panel), a service that started without its
 * crash-looping optional dependency says so, and a reload whose changed service crashes is rolled
 * back with the config banner saying the running configuration differs from the file.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { AppPage } from './pages/app.page.js';
import { ConfigPage } from './pages/config.page.js';
import { GraphPage } from './pages/graph.page.js';
import {
  CHROMIUM_PATH,
  chromiumAvailable,
  launchBrowser,
  type Browser,
} from './support/browser.js';
import { startVigil, type RunningVigil } from './support/vigil.js';

/** Serves 200 on PORT; with DIE set, exits with that code before listening. */
const WEB = `
import http from 'node:http';
if (process.env.DIE) setTimeout(() => process.exit(Number(process.env.DIE)), 50);
else http.createServer((q, r) => { r.writeHead(200); r.end('ok'); }).listen(Number(process.env.PORT), '127.0.0.1');
`;
/** Accepts connections and never answers. */
const HUNG = `
import net from 'node:net';
net.createServer(() => {}).listen(Number(process.env.PORT), '127.0.0.1');
`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function stackText(ports: readonly number[], jobsDie: boolean): string {
  return `version: 1
name: readiness
services:
  tracing:
    command: node web.mjs
    port: ${ports[0]}
    required: false
    env: { DIE: "7" }
  gateway:
    command: node web.mjs
    port: ${ports[1]}
    depends_on:
      tracing: { condition: healthy, optional: true }
  search:
    command: node hung.mjs
    port: ${ports[2]}
    required: false
    health: { http: { path: /health }, timeout: 200ms, interval: 300ms, start_interval: 300ms }
  jobs:
    command: node web.mjs
    port: ${ports[3]}
    phase: 2
${jobsDie ? '    env: { DIE: "5" }\n' : ''}`;
}

if (!chromiumAvailable()) {
  describe('readiness notes and reload rollback in the browser UI', () => {
    it.skip(`needs Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set VIGIL_CHROMIUM)`, () => {});
  });
} else {
  describe('readiness notes and reload rollback in the browser UI', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-readiness-'));
    const stack = path.join(dir, 'vigil.yaml');
    let ports: number[] = [];
    let vigil: RunningVigil;
    let browser: Browser;
    let page: Page;
    let graph: GraphPage;
    let config: ConfigPage;
    const pageErrors: string[] = [];

    beforeAll(async () => {
      fs.writeFileSync(path.join(dir, 'web.mjs'), WEB);
      fs.writeFileSync(path.join(dir, 'hung.mjs'), HUNG);
      for (let i = 0; i < 4; i++) ports.push(await freePort());
      fs.writeFileSync(stack, stackText(ports, false));
      vigil = await startVigil(stack);
      browser = await launchBrowser();
      page = await browser.context.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await new AppPage(page).open(vigil.openUrl);
      graph = new GraphPage(page);
      config = new ConfigPage(page);
      await graph.node('search').waitFor({ timeout: 15_000 });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await vigil?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      ports = [];
    }, 30_000);

    it('the node and the panel of a service with a hung health endpoint say why it is not ready', async () => {
      const note = page.getByTestId('node-note-search');
      await expect
        .poll(async () => (await note.textContent().catch(() => '')) ?? '', { timeout: 15_000 })
        .toMatch(/^not ready: timed out after 200ms, \d+ checks$/);
      expect(await graph.node('search').getAttribute('data-status')).toBe('timeout');
      await graph.open('search');
      const panelNote = page.getByTestId('not-ready-note');
      await expect
        .poll(async () => (await panelNote.textContent()) ?? '', { timeout: 10_000 })
        .toMatch(/not ready: timed out after 200ms, \d+ checks, startup timeout in \d/);
      expect(pageErrors).toEqual([]);
    }, 40_000);

    it('a service that started without its crash-looping optional dependency says so', async () => {
      const note = page.getByTestId('node-note-gateway');
      await expect
        .poll(async () => (await note.textContent().catch(() => '')) ?? '', { timeout: 15_000 })
        .toBe('started without tracing: exited with code 7');
      expect(await graph.node('gateway').getAttribute('data-status')).toBe('healthy');
    }, 30_000);

    it('a reload whose changed service crashes is rolled back and the banner says the running configuration differs', async () => {
      await graph.waitForStatus('jobs', ['healthy'], 15_000);
      fs.writeFileSync(stack, stackText(ports, true));
      const title = page.getByTestId('config-rolled-back');
      await title.waitFor({ timeout: 20_000 });
      expect(await title.textContent()).toBe('A change to vigil.yaml was rolled back');
      const banner = await config.banner().textContent();
      expect(banner).toContain('jobs: exited with code 5');
      expect(banner).toContain('The running configuration differs from the file');
      const status = await vigil.api<{ system: { config_rollback: { message: string } | null } }>(
        '/orchestrator/status',
      );
      expect(status.system.config_rollback?.message).toContain('jobs: exited with code 5');
      await graph.waitForStatus('jobs', ['healthy'], 15_000);
      // A later good edit applies normally and clears the banner.
      fs.writeFileSync(stack, stackText(ports, false) + '\n');
      await config.banner().waitFor({ state: 'detached', timeout: 15_000 });
      expect(pageErrors).toEqual([]);
    }, 60_000);
  });
}
