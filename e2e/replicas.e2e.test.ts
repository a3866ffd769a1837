/**
 * A replicated service in the browser UI, against the in-memory stand-in for the supervisor
 * served by the real HTTP transport: one node with its count and instance strip, the panel's
 * instances with their own restart and logs, scaling, failover and failback, at 3 instances and
 * at 20. Each button is checked by the command and input the API received.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { silentLogger } from '../src/main/core/logger.js';
import { FAKE_START, FakeVigil, fakeReplicasView } from '../src/main/transport/testing/fake-api.js';
import { startHttpServer, type HttpServerHandle } from '../src/main/transport/http.js';
import type { HealingEvent, ServiceEvent } from '../src/shared/events.js';
import type { InstanceView, ReplicasView, ServiceView } from '../src/shared/views.js';
import { AppPage } from './pages/app.page.js';
import { GraphPage } from './pages/graph.page.js';
import { PanelPage } from './pages/panel.page.js';
import { TimelinePage } from './pages/timeline.page.js';
import { ReplicasPage } from './pages/replicas.page.js';
import {
  CHROMIUM_PATH,
  SCREENSHOTS,
  chromiumAvailable,
  launchBrowser,
  type Browser,
} from './support/browser.js';
import { ROOT } from './support/vigil.js';

const TOKEN = 'replicas-test-token-0123456789abcdef0123456789';

function deps(on: Record<string, 'healthy' | 'started'>): ServiceView['dependencies'] {
  return {
    required: Object.keys(on),
    optional: [],
    conditions: on,
    dependents: [],
    layer: 0,
  };
}

/** Some instances not all fine, so that the strip and the table show their colours. */
function varied(r: ReplicasView, sick: Record<number, Partial<InstanceView>>): ReplicasView {
  const instances = r.instances.map((i) => ({ ...i, ...sick[i.index] }));
  const ready = instances.filter((i) => i.status === 'healthy').length;
  const total = instances.reduce((a, x) => a + x.requests, 0);
  return {
    ...r,
    ready,
    instances,
    balancer: r.balancer && {
      ...r.balancer,
      split: instances.map((x) => ({
        id: x.id,
        pool: 'primary' as const,
        requests: x.requests,
        share: total > 0 ? x.requests / total : 0,
      })),
    },
  };
}

const SICK_3: Record<number, Partial<InstanceView>> = {
  0: { requests: 412, latency_p95_ms: 6.2, restart_count: 1 },
  1: { requests: 398, errors: 2, latency_p95_ms: 8.9 },
  2: {
    status: 'degraded',
    lifecycle: 'starting',
    health: 'unknown',
    in_pool: false,
    requests: 35,
    latency_p95_ms: null,
    restart_count: 3,
    last_error: 'exited with code 1',
  },
};

const SICK_20: Record<number, Partial<InstanceView>> = {
  4: { status: 'unhealthy', health: 'unhealthy', in_pool: false, ejected: true, errors: 14 },
  9: { status: 'degraded', lifecycle: 'starting', health: 'unknown', in_pool: false },
  13: { draining: true, in_pool: false },
  17: { status: 'stopped', lifecycle: 'backoff', health: 'unknown', pid: null, in_pool: false },
};

function instanceEvent(id: string, to: ServiceEvent['to'], status: ServiceEvent['status']) {
  const ev: ServiceEvent = {
    type: 'service_event',
    ts: FAKE_START + 5_000,
    service: id,
    from: 'running',
    to,
    status,
    generation: 2,
    pid: null,
    reason: { kind: 'exit', message: 'exited with code 1', exitCode: 1 },
  };
  return ev;
}

function replicaEvent(
  action: HealingEvent['action'],
  at: number,
  replica: HealingEvent['replica'],
  message: string,
  service = 'api',
): HealingEvent {
  return {
    type: 'healing_event',
    ts: Date.now() - 60_000 + at * 1_000,
    service,
    action,
    reason: { kind: 'manual', message, by: 'ui' },
    attempt: 0,
    generation: 1,
    replica,
  };
}

const called = (fake: FakeVigil, command: string) =>
  fake.calls.filter((c) => c.command === command).map((c) => c.input);

async function shoot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

if (!chromiumAvailable()) {
  describe('replicated service in the UI', () => {
    it.skip(`needs Chromium at ${CHROMIUM_PATH}`, () => {});
  });
} else {
  describe('replicated service in the UI', () => {
    const fake = new FakeVigil(['db', 'api-stub', 'api', 'web', 'worker']);
    let server: HttpServerHandle;
    let browser: Browser;
    let page: Page;
    let ui: ReplicasPage;
    let panel: PanelPage;

    beforeAll(async () => {
      fake.setService('db', { port: 5432 });
      fake.setService('api-stub', { port: 3900 });
      fake.setService('api', {
        phase: 1,
        port: 3000,
        dependencies: deps({ db: 'healthy' }),
        replicas: varied(
          {
            ...fakeReplicasView('api', 3, { failover: 'api-stub', frontPort: 3000 }),
          },
          SICK_3,
        ),
        status: 'degraded',
        health: 'degraded',
      });
      const api = fake.service('api');
      fake.setService('api', {
        replicas: {
          ...api.replicas!,
          balancer: { ...api.replicas!.balancer!, strategy: 'least_connections' },
        },
      });
      fake.setService('web', { phase: 2, dependencies: deps({ api: 'healthy' }) });
      fake.setService('worker', {
        phase: 2,
        dependencies: deps({ api: 'started', db: 'healthy' }),
      });
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
      ui = new ReplicasPage(page);
      panel = new PanelPage(page);
      await new AppPage(page).open(`${server.url}/?token=${TOKEN}`);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('shows the service as one node with its count and one cell per instance', async () => {
      await new GraphPage(page).node('api').waitFor({ timeout: 15_000 });
      expect(await ui.count('api').textContent()).toBe('2/3');
      expect(await ui.stripCells('api').count()).toBe(3);
      expect(
        await ui.stripCells('api').evaluateAll((cells) => cells.map((c) => c.dataset['status'])),
      ).toEqual(['healthy', 'healthy', 'degraded']);
      // plain services have neither
      expect(await page.getByTestId('strip-db').count()).toBe(0);
    });

    it('lists the instances in the panel, with the balancer and failover', async () => {
      await new GraphPage(page).open('api');
      await ui.section().waitFor();
      expect(await ui.rows().count()).toBe(3);
      expect(await ui.row('api#2').getAttribute('data-status')).toBe('degraded');
      expect(await ui.row('api#1').locator('td').nth(2).textContent()).toBe('3001');
      expect(await ui.button('balancer-line').textContent()).toContain('least connections');
      expect(await ui.button('failover-route').textContent()).toContain('api-stub');
      expect(await ui.button('failback-btn').isDisabled()).toBe(true);
      await shoot(page, 'replicas-3');
    });

    it('restarts one instance, and all at once', async () => {
      await ui.click('restart-api#1');
      await expect
        .poll(() => called(fake, 'restartService'))
        .toEqual([{ name: 'api', instance: 1 }]);
      await page.locator('[data-action="restart_all_at_once"]').click();
      await expect
        .poll(() => called(fake, 'restartService'))
        .toContainEqual({ name: 'api', all_at_once: true });
    });

    it('fails over to the backup and back', async () => {
      await ui.click('failover-btn');
      await expect.poll(() => called(fake, 'failoverService')).toEqual([{ name: 'api' }]);
      await expect.poll(() => ui.button('failover-route').textContent()).toContain('held by hand');
      expect(await ui.button('failover-btn').isDisabled()).toBe(true);
      await ui.click('failback-btn');
      await expect
        .poll(() => called(fake, 'failoverService'))
        .toEqual([{ name: 'api' }, { name: 'api', back: true }]);
      await expect.poll(() => ui.button('failback-btn').isDisabled()).toBe(true);
    });

    it('scales with + and −', async () => {
      await ui.click('scale-up');
      await expect.poll(() => called(fake, 'scaleService')).toEqual([{ name: 'api', replicas: 4 }]);
      await expect.poll(() => ui.rows().count()).toBe(4);
      await ui.click('scale-down');
      await expect
        .poll(() => called(fake, 'scaleService'))
        .toEqual([
          { name: 'api', replicas: 4 },
          { name: 'api', replicas: 3 },
        ]);
      await expect.poll(() => ui.stripCells('api').count()).toBe(3);
    });

    it('merges the instances’ logs with a prefix, and narrows them to one', async () => {
      for (let i = 0; i < 9; i++) {
        fake.emit({
          type: 'log',
          ts: FAKE_START + 100 + i,
          service: 'api',
          instance: `api#${i % 3}`,
          stream: i === 7 ? 'stderr' : 'stdout',
          line: `GET /orders/${100 + i} 200 ${3 + (i % 4)}ms`,
          seq: 1_000 + i,
        });
      }
      await ui.click('logs-api#1');
      await page.getByTestId('log-view').waitFor();
      expect(await ui.logFilter().inputValue()).toBe('api#1');
      await expect
        .poll(() => ui.logPrefixes().allTextContents())
        .toEqual(['[api#1]', '[api#1]', '[api#1]']);
      await shoot(page, 'replicas-logs-one');
      await ui.logFilter().selectOption('');
      await expect.poll(() => ui.logPrefixes().count()).toBe(9);
      expect(await ui.logPrefixes().first().textContent()).toBe('[api#0]');
      await shoot(page, 'replicas-logs-all');
      await panel.showOverview();
    });

    it('follows an instance’s events live', async () => {
      const api = fake.service('api');
      fake.setService('api', {
        replicas: varied(api.replicas!, {
          1: { status: 'unhealthy', health: 'unhealthy', lifecycle: 'backoff', in_pool: false },
        }),
      });
      fake.emit(instanceEvent('api#1', 'backoff', 'unhealthy'));
      await expect.poll(() => ui.row('api#1').getAttribute('data-status')).toBe('unhealthy');
      await expect
        .poll(() =>
          ui.stripCells('api').evaluateAll((cells) => cells.map((c) => c.dataset['status'])),
        )
        .toEqual(['healthy', 'unhealthy', 'healthy']);
      // the view was re-read for the event of `api#1`
      expect(called(fake, 'getService')).toContainEqual({ name: 'api' });
    });

    it('scales to 20 by typing the count; the node stays readable', async () => {
      await ui.scaleTo(20);
      await expect
        .poll(() => called(fake, 'scaleService'))
        .toContainEqual({ name: 'api', replicas: 20 });
      await expect.poll(() => ui.rows().count()).toBe(20);
      const api = fake.service('api');
      fake.setService('api', { replicas: varied(api.replicas!, SICK_20) });
      fake.emit(instanceEvent('api#17', 'backoff', 'stopped'));
      await expect.poll(() => ui.count('api').textContent()).toBe('17/20');
      expect(await ui.stripCells('api').count()).toBe(20);
      // every cell inside the node, none squeezed to nothing
      const boxes = await ui
        .stripCells('api')
        .evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().width));
      expect(Math.min(...boxes)).toBeGreaterThan(3);
      await shoot(page, 'replicas-20');
      for (let i = 0; i < 4; i++) await page.locator('.react-flow__controls-zoomin').click();
      await page.waitForTimeout(500);
      await page
        .getByTestId('node-api')
        .screenshot({ path: path.join(SCREENSHOTS, 'replicas-20-node.png') });
    });

    it('beyond 24 instances: 24 cells and the rest as +N', async () => {
      await ui.scaleTo(30);
      await expect.poll(() => ui.stripCells('api').count()).toBe(24);
      expect(await page.getByTestId('strip-api').locator('.vg-strip-more').textContent()).toBe(
        '+6',
      );
      await page
        .getByTestId('node-api')
        .screenshot({ path: path.join(SCREENSHOTS, 'replicas-30-node.png') });
      await ui.scaleTo(3);
      await expect.poll(() => ui.stripCells('api').count()).toBe(3);
    });

    it('puts instance and scaling events on the healing timeline', async () => {
      fake.emit(replicaEvent('scaling_executed', 1, { from: 3, to: 5 }, 'asked from the UI'));
      fake.emit(replicaEvent('instance_added', 2, { instance: 'api#4' }, 'scaled up'));
      fake.emit(replicaEvent('instance_lost', 3, { instance: 'api#1' }, 'exited with code 1'));
      fake.emit(
        replicaEvent('topology_updated', 4, { pool: ['api#0', 'api#2'] }, 'api#1 left the pool'),
      );
      fake.emit(replicaEvent('failover_completed', 5, {}, 'no instance of api was ready'));
      fake.emit(replicaEvent('failback_completed', 6, {}, 'api ready for 10 s'));
      fake.emit({
        ...replicaEvent('restart', 7, undefined, 'exited with code 1', 'api#1'),
        reason: { kind: 'exit', message: 'exited with code 1', exitCode: 1 },
        attempt: 1,
      });
      const app = new AppPage(page);
      await app.showTimeline();
      const timeline = new TimelinePage(page);
      await timeline.filterService('api');
      await expect.poll(() => timeline.items().count()).toBe(7);
      const text = await timeline.items().allTextContents();
      expect(text.join('\n')).toContain('scaled from 3 to 5 instances: asked from the UI');
      expect(text.join('\n')).toContain('instance api#4 added: scaled up');
      expect(text.join('\n')).toContain('(2 instances taking traffic)');
      expect(text.join('\n')).toContain('failed over to the backup');
      await timeline.filterKind('replicas');
      await expect.poll(() => timeline.items().count()).toBe(6);
      await shoot(page, 'replicas-timeline');
      await app.setTheme('dark');
      await app.showGraph();
      await new GraphPage(page).open('api');
      await shoot(page, 'replicas-dark');
      await app.setTheme('light');
    });
  });
}
