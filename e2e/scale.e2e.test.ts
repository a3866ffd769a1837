/**
 * The UI at scale, against an in-memory stand-in for the supervisor served by the real HTTP
 * transport: 200 services on the canvas, a burst of state changes, and a log flood that must stay
 * capped in the page. Functional checks only (no timing budgets).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { silentLogger } from '../src/main/core/logger.js';
import { FakeVigil } from '../src/main/transport/testing/fake-api.js';
import { startHttpServer, type HttpServerHandle } from '../src/main/transport/http.js';
import { AppPage } from './pages/app.page.js';
import { GraphPage } from './pages/graph.page.js';
import { PanelPage } from './pages/panel.page.js';
import {
  CHROMIUM_PATH,
  chromiumAvailable,
  launchBrowser,
  type Browser,
} from './support/browser.js';
import { ROOT } from './support/vigil.js';

const NAMES = Array.from({ length: 200 }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
const TOKEN = 'scale-test-token-0123456789abcdef0123456789';

async function statusBarCount(page: Page, status: string): Promise<number> {
  const text = await page
    .locator('.vg-count', { hasText: new RegExp(`^\\d+ ${status}$`) })
    .textContent();
  return Number(/(\d+)/.exec(text ?? '')?.[1] ?? NaN);
}

if (!chromiumAvailable()) {
  describe('UI at scale', () => {
    it.skip(`needs Chromium at ${CHROMIUM_PATH}`, () => {});
  });
} else {
  describe('UI at scale', () => {
    const fake = new FakeVigil(NAMES);
    let server: HttpServerHandle;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      server = await startHttpServer({
        api: fake.api,
        events: fake,
        host: '127.0.0.1',
        port: 0,
        token: TOKEN,
        logger: silentLogger,
        metrics: () => '',
        staticDir: path.join(ROOT, 'out', 'renderer'),
      });
      browser = await launchBrowser();
      page = await browser.context.newPage();
      await new AppPage(page).open(`${server.url}/?token=${TOKEN}`);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('lays out 200 services and shows every one in the minimap and the counts', async () => {
      await page.locator('.react-flow__node-service').first().waitFor({ timeout: 15_000 });
      await expect
        .poll(() => page.locator('.react-flow__minimap-node').count(), { timeout: 10_000 })
        .toBe(200);
      await expect.poll(() => statusBarCount(page, 'healthy'), { timeout: 10_000 }).toBe(200);
      // only what is on screen is in the DOM
      expect(await page.locator('.react-flow__node-service').count()).toBeLessThanOrEqual(200);
    });

    it('applies a burst of state changes', async () => {
      const stopped = NAMES.slice(0, 20);
      for (const name of stopped) {
        await fake.api.stopService({ name }, { actor: 'api' });
        fake.serviceEvent(name, 'stopped');
      }
      for (let i = 0; i < 500; i++) fake.healthEvent(NAMES[20 + (i % 180)]!, true);
      await expect.poll(() => statusBarCount(page, 'stopped'), { timeout: 10_000 }).toBe(20);
      expect(await statusBarCount(page, 'healthy')).toBe(180);
    });

    it('keeps a flooded log capped and the page responsive', async () => {
      const graph = new GraphPage(page);
      const panel = new PanelPage(page);
      for (let i = 0; i < 20_000; i++) fake.log('svc-100', `flood line ${i} ${'x'.repeat(80)}`);
      const summary = page.locator('.vg-logs-summary');
      await graph.open('svc-100');
      expect(await panel.title().textContent()).toBe('svc-100');
      await panel.showLogs();
      await expect
        .poll(() => summary.textContent(), { timeout: 15_000 })
        .toMatch(/^5000 lines · 15000 older dropped$/);
      // rows are virtualised: a few dozen in the DOM, not 5000
      expect(await panel.logRows().count()).toBeLessThan(200);
      expect(await page.evaluate(() => 1 + 1)).toBe(2);
      await new AppPage(page).screenshot('scale-200-services');
    });
  });
}
