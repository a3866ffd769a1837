/**
 * Hot reload seen from the browser UI: a running `vigil up --ui` on a copy of the fixture stack
 * (the repository's fixture is never touched). A broken edit shows the banner naming file:line:col
 * while the last good configuration keeps running; fixing the file clears it and says what was
 * restarted; "Reload stack" shows its answer.
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
import { FIXTURE_STACK, startVigil, type RunningVigil } from './support/vigil.js';

interface ServiceJson {
  readonly name: string;
  readonly lifecycle: string;
  readonly pid: number | null;
}

const WEB_COMMAND = '    command: [node, svc.mjs, --name, web]\n';

/** A port free on 127.0.0.1 right now. */
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
  describe('stack file reload in the browser UI', () => {
    it.skip(`needs Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set VIGIL_CHROMIUM)`, () => {});
  });
} else {
  describe('stack file reload in the browser UI', () => {
    const fixtureText = fs.readFileSync(FIXTURE_STACK, 'utf8');
    /** The copy's text: the fixture with ports of its own (another run may hold the fixture's). */
    let baseText = fixtureText;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-reload-'));
    const stack = path.join(dir, 'vigil.yaml');
    let vigil: RunningVigil;
    let browser: Browser;
    let page: Page;
    let app: AppPage;
    let config: ConfigPage;
    const pageErrors: string[] = [];
    /** The line of the key the broken edit adds. */
    let badLine = 0;

    /** What Vigil said about the stack file, for failure messages. */
    const configEvents = () =>
      vigil
        .output()
        .split('\n')
        .filter((l) => l.includes('config-') || l.includes('stack file'))
        .join('\n');
    const explain = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        throw new Error(`${what}: ${String(err)}\nVigil said:\n${configEvents()}`);
      }
    };

    const services = async () =>
      (await vigil.api<{ services: ServiceJson[] }>('/orchestrator/services')).services;

    beforeAll(async () => {
      for (const f of fs.readdirSync(path.dirname(FIXTURE_STACK))) {
        fs.copyFileSync(path.join(path.dirname(FIXTURE_STACK), f), path.join(dir, f));
      }
      for (const port of ['47811', '47812', '47813']) {
        baseText = baseText.replaceAll(port, String(await freePort()));
      }
      fs.writeFileSync(stack, baseText);
      expect(baseText).toContain(WEB_COMMAND);
      vigil = await startVigil(stack);
      browser = await launchBrowser();
      page = await browser.context.newPage();
      page.on('pageerror', (e) => pageErrors.push(e.message));
      app = new AppPage(page);
      config = new ConfigPage(page);
      await app.open(vigil.openUrl);
      const graph = new GraphPage(page);
      await until(
        'ten nodes',
        async () => ((await graph.nodes().count()) === 10 ? true : null),
        15_000,
      );
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await vigil?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    it('a broken edit shows the banner: what, where, and that the last good stack runs', async () => {
      const web = await until(
        'web to run',
        async () => {
          const s = (await services()).find((x) => x.name === 'web');
          return s?.lifecycle === 'running' && s.pid ? s : null;
        },
        20_000,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\n${vigil.output().slice(-4_000)}`);
      });
      const broken = baseText.replace(WEB_COMMAND, `${WEB_COMMAND}    bogus_key: 1\n`);
      badLine = broken.split('\n').findIndex((l) => l.includes('bogus_key')) + 1;
      fs.writeFileSync(stack, broken);

      await explain('the banner', () => config.banner().waitFor({ timeout: 10_000 }));
      const text = (await config.banner().textContent()) ?? '';
      expect(text).toContain(`vigil.yaml:${badLine}:5`);
      expect(text).toContain('unknown key "bogus_key"');
      expect(text).toMatch(/still running the last good configuration/i);
      await app.screenshot('config-rejected-light');

      // Nothing was stopped or restarted: the last good configuration keeps running.
      const after = await services();
      expect(after).toHaveLength(10);
      expect(after.find((x) => x.name === 'web')).toMatchObject({
        lifecycle: 'running',
        pid: web.pid,
      });
    });

    it('dismissed, it stays away; Reload stack brings back every problem with its key path', async () => {
      await explain('dismissing the banner', () => config.dismiss());
      await page.waitForTimeout(500);
      expect(await config.banner().count()).toBe(0);
      await config.reloadButton().click();
      await explain('the banner again', () => config.banner().waitFor({ timeout: 10_000 }));
      expect(await config.problems().count()).toBeGreaterThanOrEqual(1);
      const first = (await config.problems().first().textContent()) ?? '';
      expect(first).toContain(`vigil.yaml:${badLine}:5`);
      expect(first).toContain('services.web.bogus_key');
    });

    it('fixing the file clears the banner and says what was restarted', async () => {
      const fixed = baseText.replace(WEB_COMMAND, `${WEB_COMMAND}    env: { E2E_RELOADED: "1" }\n`);
      fs.writeFileSync(stack, fixed);
      const toast = config.toast('restarted: web');
      await explain('the banner to go and the toast to come', async () => {
        await config.banner().waitFor({ state: 'detached', timeout: 10_000 });
        await toast.waitFor({ timeout: 10_000 });
      });
      expect(await toast.textContent()).toContain('Stack file reloaded');
      await app.screenshot('config-reloaded-light');
    });

    it('Reload stack on an unchanged file says there was nothing to change', async () => {
      await config.reloadButton().click();
      const toast = config.toast('no changes');
      await explain('the toast', () => toast.waitFor({ timeout: 10_000 }));
      expect(await config.banner().count()).toBe(0);
      expect(pageErrors).toEqual([]);
      // The repository's fixture was never written to.
      expect(fs.readFileSync(FIXTURE_STACK, 'utf8')).toBe(fixtureText);
    });
  });
}
