/**
 * The browser UI against a real `vigil up --ui` running the ten-service fixture stack. Tests run
 * in order on one page; the crashing service is watched first, while it is still crashing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { AppPage } from './pages/app.page.js';
import { ExportPage } from './pages/export.page.js';
import { GraphPage } from './pages/graph.page.js';
import { PanelPage } from './pages/panel.page.js';
import { TimelinePage } from './pages/timeline.page.js';
import {
  CHROMIUM_PATH,
  chromiumAvailable,
  launchBrowser,
  type Browser,
} from './support/browser.js';
import { startVigil, type RunningVigil } from './support/vigil.js';

const SERVICES = [
  'api',
  'cache',
  'crasher',
  'db',
  'mailer',
  'migrate',
  'noisy',
  'scheduler',
  'web',
  'worker',
];

interface ServiceJson {
  readonly name: string;
  readonly restart_count: number;
  readonly lifecycle: string;
}

async function until<T>(what: string, fn: () => Promise<T | null>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown = null;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== null) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

if (!chromiumAvailable()) {
  describe('browser UI', () => {
    it.skip(`needs Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set VIGIL_CHROMIUM)`, () => {});
  });
} else {
  describe('browser UI', () => {
    let vigil: RunningVigil;
    let browser: Browser;
    let page: Page;
    let app: AppPage;
    let graph: GraphPage;
    let panel: PanelPage;
    const dialogs: string[] = [];
    const pageErrors: string[] = [];

    beforeAll(async () => {
      vigil = await startVigil();
      browser = await launchBrowser();
      page = await browser.context.newPage();
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      page.on('pageerror', (e) => pageErrors.push(e.message));
      app = new AppPage(page);
      graph = new GraphPage(page);
      panel = new PanelPage(page);
      await app.open(vigil.openUrl);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await vigil?.stop();
    }, 30_000);

    it('loads the stack: one node per service, the stack named in the top bar', async () => {
      await graph.nodes().first().waitFor({ timeout: 15_000 });
      await until(
        'ten nodes',
        async () => ((await graph.nodes().count()) === 10 ? true : null),
        10_000,
      );
      const names = await graph
        .nodes()
        .evaluateAll((els) => els.map((e) => e.querySelector('.vg-node-name')?.textContent ?? ''));
      expect(names.sort()).toEqual(SERVICES);
      expect(await app.stackName().textContent()).toBe('e2e-shop');
      expect(await graph.edgeLabels().allTextContents()).toContain('completed');
      await until(
        'the live connection',
        async () => ((await app.connection().textContent())?.includes('live') ? true : null),
        10_000,
      );
    });

    it('the crashing service turns red, then shows its quarantine reason', async () => {
      const seen = await graph.waitForStatus(
        'crasher',
        ['unhealthy', 'timeout', 'quarantined'],
        20_000,
      );
      if (seen === 'quarantined') {
        // On a loaded machine the page can open after the crasher has already given up: release
        // it, to watch it go red and be quarantined again.
        await vigil.api('/orchestrator/release/crasher', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{}',
        });
      }
      expect(await graph.waitForStatus('crasher', ['unhealthy', 'timeout'], 20_000)).toMatch(
        /unhealthy|timeout/,
      );
      await expect
        .poll(() => graph.node('crasher').evaluate((e) => getComputedStyle(e).borderLeftColor), {
          timeout: 2_000,
        })
        .toBeTruthy();
      await graph.waitForStatus('crasher', ['quarantined'], 40_000);
      await graph.open('crasher');
      expect(await panel.title().textContent()).toBe('crasher');
      await panel.quarantineReason().waitFor({ timeout: 10_000 });
      expect(await panel.quarantineReason().textContent()).toMatch(
        /gave up after 2 restart attempts/,
      );
      expect(await panel.action('release').isEnabled()).toBe(true);
      expect(await panel.action('start').isEnabled()).toBe(false);
      await panel.close();
    });

    it('clicking a node opens its panel naming it', async () => {
      await graph.open('api');
      expect(await panel.title().textContent()).toBe('api');
      await panel.close();
      await graph.open('db');
      expect(await panel.title().textContent()).toBe('db');
    });

    it('restart from the panel increments that service restart_count in the REST API', async () => {
      await until(
        'api to run',
        async () =>
          (await vigil.api<ServiceJson>('/orchestrator/services/api')).lifecycle === 'running'
            ? true
            : null,
        20_000,
      );
      const before = (await vigil.api<ServiceJson>('/orchestrator/services/api')).restart_count;
      await graph.open('api');
      await panel.run('restart');
      const after = await until(
        'restart_count to grow',
        async () => {
          const n = (await vigil.api<ServiceJson>('/orchestrator/services/api')).restart_count;
          return n > before ? n : null;
        },
        15_000,
      );
      expect(after).toBe(before + 1);
      let shown: string | null = null;
      await until(
        'the panel to show it',
        async () => {
          shown = await panel.restarts().textContent();
          return shown?.startsWith(String(after)) ? true : null;
        },
        10_000,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}; the panel shows "${shown}", the API says ${after}`);
      });
      await panel.close();
    });

    it('shows the API error when an action is refused', async () => {
      // The buttons only offer what makes sense, so a refusal comes from a race with another
      // client; the network answer stands in for it here.
      const refusal = {
        error: { code: 'CONFLICT', message: 'crasher is not quarantined (it is running)' },
      };
      await page.route('**/orchestrator/release/crasher', (route) =>
        route.fulfill({
          status: 409,
          contentType: 'application/json',
          body: JSON.stringify(refusal),
        }),
      );
      try {
        await graph.open('crasher');
        await panel.run('release');
        await panel.error().waitFor({ timeout: 5_000 });
        expect(await panel.error().textContent()).toBe(
          'crasher is not quarantined (it is running) (CONFLICT)',
        );
        expect(await graph.status('crasher')).toBe('quarantined');
      } finally {
        await page.unroute('**/orchestrator/release/crasher');
      }
      await panel.close();
    });

    it('a log line with markup renders as text and runs nothing', async () => {
      await graph.open('noisy');
      await panel.showLogs();
      const evil = page
        .locator('.vg-log-text', { hasText: '<img src=x onerror=alert(1)>' })
        .first();
      await evil.waitFor({ timeout: 15_000 });
      expect(await evil.textContent()).toBe('<img src=x onerror=alert(1)>');
      await page
        .locator('.vg-log-text', { hasText: '<script>alert(2)</script>' })
        .first()
        .waitFor();
      expect(await page.getByTestId('log-view').locator('img, script').count()).toBe(0);
      // ANSI colours become styled text
      const coloured = page
        .getByTestId('log-view')
        .locator('span[style*="color"]', { hasText: 'noisy' });
      await coloured.first().waitFor({ timeout: 5_000 });
      // search narrows the list
      await panel.logSearch().fill('warning');
      await until(
        'filtered rows',
        async () => {
          const texts = await panel.logRows().allTextContents();
          if (texts.length > 0 && texts.every((t) => t.includes('warning'))) return true;
          // the rows seen last go into the timeout's message
          const rows = await panel
            .logRows()
            .evaluateAll((els) =>
              els.map((e) => `${e.getAttribute('data-index')}/${e.getAttribute('data-seq')}`),
            );
          const summary = await page.locator('.vg-logs-summary').textContent();
          throw new Error(
            `rows shown: ${JSON.stringify(texts)} ${JSON.stringify(rows)} summary ${summary}`,
          );
        },
        5_000,
      );
      await panel.logSearch().fill('');
      expect(dialogs).toEqual([]);
      expect(pageErrors).toEqual([]);
      await panel.close();
    });

    it('exports a report as a download', async () => {
      const exporter = new ExportPage(page);
      await exporter.open();
      // PDF is printed by the desktop app; a browser is not offered it.
      expect(await exporter.dialog().getByText('PDF', { exact: true }).count()).toBe(0);
      const download = await exporter.export('Markdown', 'Last hour');
      expect(download.suggestedFilename()).toMatch(/\.md$/);
      const file = path.join(
        fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-report-')),
        'report.md',
      );
      await download.saveAs(file);
      const text = fs.readFileSync(file, 'utf8');
      expect(text).toContain('e2e-shop');
      expect(text).toContain('crasher');
      expect(await exporter.status().textContent()).toMatch(/^Saved /);
      const csv = await exporter.export('CSV', 'Since the stack started');
      expect(csv.suggestedFilename()).toMatch(/\.csv$/);
      await exporter.close();
    });

    it('keyboard: arrows move the selection, Enter opens the panel, Esc closes it', async () => {
      await page.locator('body').press('Escape');
      await page.mouse.click(5, 300); // focus the page, not a control
      await page.keyboard.press('ArrowRight');
      const first = await page.locator('.vg-node.is-selected .vg-node-name').textContent();
      expect(SERVICES).toContain(first);
      await page.keyboard.press('ArrowRight');
      const second = await page.locator('.vg-node.is-selected .vg-node-name').textContent();
      expect(second).not.toBe(first);
      await page.keyboard.press('Enter');
      await panel.root().waitFor();
      expect(await panel.title().textContent()).toBe(second);
      // `/` jumps to the log search of the open panel
      await page.keyboard.press('/');
      await until(
        'the log search to have focus',
        async () =>
          (await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))) ===
          'Search logs'
            ? true
            : null,
        5_000,
      );
      await page.keyboard.press('Escape');
      await panel.root().waitFor({ state: 'detached' });
    });

    it('`r` restarts the selected service', async () => {
      await graph.open('web');
      await page.keyboard.press('Escape');
      await panel.root().waitFor({ state: 'detached' });
      await until(
        'web to run',
        async () =>
          (await vigil.api<ServiceJson>('/orchestrator/services/web')).lifecycle === 'running'
            ? true
            : null,
        20_000,
      );
      const before = (await vigil.api<ServiceJson>('/orchestrator/services/web')).restart_count;
      expect(await page.locator('.vg-node.is-selected .vg-node-name').textContent()).toBe('web');
      await page.keyboard.press('r');
      await until(
        'web restart_count to grow',
        async () =>
          (await vigil.api<ServiceJson>('/orchestrator/services/web')).restart_count === before + 1
            ? true
            : null,
        15_000,
      );
    });

    it('lays the graph out top to bottom on request, and back', async () => {
      const y = async (name: string) => (await graph.node(name).boundingBox())!.y;
      const x = async (name: string) => (await graph.node(name).boundingBox())!.x;
      expect(await x('api')).toBeGreaterThan(await x('db'));
      await page.getByTestId('layout-direction').click();
      await until(
        'the top-to-bottom layout',
        async () => ((await y('api')) > (await y('db')) + 20 ? true : null),
        5_000,
      );
      await page.getByTestId('layout-direction').click();
      await until(
        'the left-to-right layout',
        async () => ((await x('api')) > (await x('db')) + 20 ? true : null),
        5_000,
      );
    });

    it('the healing timeline lists what happened, filterable by service', async () => {
      await app.showTimeline();
      const timeline = new TimelinePage(page);
      await timeline.items().first().waitFor({ timeout: 10_000 });
      await timeline.filterService('crasher');
      const texts = await timeline.items().allTextContents();
      expect(texts.length).toBeGreaterThan(0);
      expect(texts.every((t) => t.includes('crasher'))).toBe(true);
      expect(texts.some((t) => t.includes('quarantined'))).toBe(true);
      await timeline.filterKind('quarantine');
      expect(
        (await timeline.items().allTextContents()).every((t) => /quarantine|released/.test(t)),
      ).toBe(true);
      await timeline.filterService('');
      await timeline.filterKind('all');
      await app.showGraph();
    });

    it('a service that registered itself has a badge and no action buttons', async () => {
      await vigil.api('/orchestrator/register', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: 'hook',
          url: 'http://127.0.0.1:47811',
          health_path: '/health',
          heartbeat_interval: 60_000,
        }),
      });
      await graph.node('hook').waitFor({ timeout: 10_000 });
      expect(await graph.node('hook').locator('.vg-tag-registered').textContent()).toBe(
        'registered',
      );
      await graph.open('hook');
      await page.getByTestId('registered-badge').waitFor({ timeout: 5_000 });
      expect(await panel.root().locator('[data-action]').count()).toBe(0);
      expect(await page.getByTestId('registered-note').textContent()).toMatch(
        /does not start, stop or restart/,
      );
      await app.screenshot('registered-light');
      await panel.close();
    });

    it('the panel shows uptime % and MTTR from the stats', async () => {
      interface Stats {
        service_details: Record<
          string,
          { mttr_ms: number | null; uptime_percentage: Record<string, number | null> }
        >;
      }
      await graph.open('api');
      await panel.showOverview();
      const uptime = page.getByTestId('fact-uptime').locator('dd');
      await until(
        'the uptime figures',
        async () =>
          /^1h .+ · 24h .+ · 7d .+$/.test((await uptime.textContent()) ?? '') ? true : null,
        10_000,
      );
      const stats = (await vigil.api<Stats>('/orchestrator/stats')).service_details['api']!;
      if (stats.uptime_percentage['1h'] !== null)
        expect(await uptime.textContent()).toMatch(/^1h \d+(\.\d+)? %/);
      const mttr = (await page.getByTestId('fact-mttr').locator('dd').textContent()) ?? '';
      if (stats.mttr_ms === null) expect(mttr.startsWith('—')).toBe(true);
      else expect(mttr).toMatch(/^\d+(\.\d+)? (ms|s)|^\d+m /);
      await panel.close();
    });

    it('remembers the theme across reloads', async () => {
      await app.setTheme('dark');
      await page.reload();
      await page.locator('.vg-topbar').waitFor();
      expect(await app.theme()).toBe('dark');
      await app.setTheme('light');
    });

    it('saves screenshots of the canvas, the panel and the timeline in both themes', async () => {
      const files: string[] = [];
      for (const theme of ['light', 'dark'] as const) {
        await app.setTheme(theme);
        await app.showGraph();
        await graph.nodes().first().waitFor();
        files.push(await app.screenshot(`canvas-${theme}`));
        await graph.open('api');
        await panel.showOverview();
        await page.locator('.vg-chart canvas').first().waitFor({ timeout: 10_000 });
        files.push(await app.screenshot(`panel-${theme}`));
        await panel.showLogs();
        files.push(await app.screenshot(`logs-${theme}`));
        await panel.close();
        await graph.open('crasher');
        files.push(await app.screenshot(`quarantined-${theme}`));
        await panel.close();
        await app.showTimeline();
        files.push(await app.screenshot(`timeline-${theme}`));
        await app.showGraph();
      }
      for (const f of files) expect(fs.statSync(f).size).toBeGreaterThan(10_000);
    });

    it('a page without the token says how to sign in', async () => {
      await browser.context.clearCookies();
      await page.goto(vigil.origin + '/');
      const state = page.locator('.vg-state');
      await state.waitFor({ timeout: 10_000 });
      expect(await state.textContent()).toMatch(/not signed in/i);
      expect(await state.textContent()).toContain('?token=');
      await app.open(vigil.openUrl);
      await graph.nodes().first().waitFor({ timeout: 10_000 });
    });
  });
}
