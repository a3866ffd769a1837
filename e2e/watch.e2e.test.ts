/**
 * File watching seen from the browser UI: the service panel shows what is watched; its switch
 * turns the watch off (an edit then restarts nothing) and on again (an edit restarts the service,
 * and the panel says which file changed).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { AppPage } from './pages/app.page.js';
import { GraphPage } from './pages/graph.page.js';
import {
  CHROMIUM_PATH,
  chromiumAvailable,
  launchBrowser,
  type Browser,
} from './support/browser.js';
import { FIXTURE_STACK, startVigil, type RunningVigil } from './support/vigil.js';

interface WatchJson {
  readonly enabled: boolean;
  readonly state: string;
  readonly restarts: number;
}
interface ServiceJson {
  readonly name: string;
  readonly lifecycle: string;
  readonly restart_count: number;
  readonly watch: WatchJson | null;
}

const STACK = `version: 1
name: e2e-watch
services:
  app:
    command: [node, svc.mjs, --name, app]
    watch: { paths: [src/], debounce: 200ms }
  other:
    command: [node, svc.mjs, --name, other]
`;

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
  describe('file watch in the browser UI', () => {
    it.skip(`needs Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set VIGIL_CHROMIUM)`, () => {});
  });
} else {
  describe('file watch in the browser UI', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-watch-'));
    let vigil: RunningVigil;
    let browser: Browser;
    let page: Page;
    let app: AppPage;

    const service = async (name: string) =>
      (await vigil.api<{ services: ServiceJson[] }>('/orchestrator/services')).services.find(
        (s) => s.name === name,
      )!;

    beforeAll(async () => {
      fs.copyFileSync(path.join(path.dirname(FIXTURE_STACK), 'svc.mjs'), path.join(dir, 'svc.mjs'));
      fs.mkdirSync(path.join(dir, 'src'));
      fs.writeFileSync(path.join(dir, 'src', 'main.js'), 'v1');
      fs.writeFileSync(path.join(dir, 'vigil.yaml'), STACK);
      vigil = await startVigil(path.join(dir, 'vigil.yaml'));
      browser = await launchBrowser();
      page = await browser.context.newPage();
      app = new AppPage(page);
      await app.open(vigil.openUrl);
      await until(
        'app running',
        async () => ((await service('app')).lifecycle === 'running' ? true : null),
        20_000,
      );
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await vigil?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('the switch turns the watch off and on; an edit restarts only while it is on', async () => {
      const graph = new GraphPage(page);
      await graph.open('app');
      const section = page.getByTestId('watch-section');
      await section.waitFor();
      expect(await page.getByTestId('watch-state').textContent()).toContain('watching');
      expect(await section.textContent()).toContain('src/');
      const toggle = page.getByTestId('watch-toggle');
      expect(await toggle.getAttribute('aria-checked')).toBe('true');
      await app.screenshot('watch-panel-on');

      await toggle.click();
      await until(
        'the switch off',
        async () => ((await toggle.getAttribute('aria-checked')) === 'false' ? true : null),
        10_000,
      );
      expect((await service('app')).watch).toMatchObject({ enabled: false, state: 'off' });
      expect(await page.getByTestId('watch-state').textContent()).toContain('off');
      await app.screenshot('watch-panel-off');
      const before = (await service('app')).restart_count;
      fs.writeFileSync(path.join(dir, 'src', 'main.js'), 'v2');
      await new Promise((r) => setTimeout(r, 1_500));
      expect((await service('app')).restart_count).toBe(before);

      await toggle.click();
      await until(
        'the switch on',
        async () => ((await toggle.getAttribute('aria-checked')) === 'true' ? true : null),
        10_000,
      );
      fs.writeFileSync(path.join(dir, 'src', 'main.js'), 'v3');
      await until(
        'a restart for the edit',
        async () => ((await service('app')).restart_count > before ? true : null),
        15_000,
      );
      await page
        .getByTestId('watch-last-change')
        .filter({ hasText: 'src/main.js' })
        .waitFor({ timeout: 15_000 });
      await app.screenshot('watch-panel-after-change');
      // A service without watch: has no switch.
      await graph.open('other');
      await page.getByTestId('service-panel').locator('h2', { hasText: 'other' }).waitFor();
      expect(await page.getByTestId('watch-section').count()).toBe(0);
    }, 60_000);
  });
}
