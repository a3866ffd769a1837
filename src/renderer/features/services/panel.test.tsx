import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { AppProvider } from '../../app/context.js';
import type { Controller } from '../../app/controller.js';
import { LogStore } from '../../logs/ring.js';
import { createVigilStore } from '../../state/store.js';
import { replicas, snapshot, view } from '../../testing/support.js';
import { REGISTERED_NOTE } from './actions.js';
import { ServicePanel } from './ServicePanel.js';
import type { ServiceView, WatchView } from '../../../shared/views.js';

const WATCH: WatchView = {
  enabled: true,
  state: 'watching',
  paths: ['src/', 'package.json'],
  ignore: ['**/*.test.ts'],
  action: 'run',
  run: 'npm run build',
  debounce_ms: 300,
  gitignore: true,
  paused_reason: null,
  last_change: {
    at: '2026-01-01T10:00:00.000Z',
    files: { paths: ['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/d.ts'], count: 40 },
  },
  last_error: null,
  restarts: 2,
};

function renderPanel(registered: boolean, watch: WatchView | null = null): string {
  return renderService({ ...view('hook'), registered, watch });
}

function renderService(s: ServiceView, busy = false): string {
  const live = createVigilStore({ theme: 'light' });
  live.getState().snapshot(snapshot([s]));
  live.getState().openPanel(s.name);
  if (busy) live.getState().setBusy(s.name);
  // A server render reads the store's initial state: hand it the current one.
  const store = { ...live, getInitialState: live.getState };
  return renderToStaticMarkup(
    <AppProvider
      deps={{
        store,
        logs: new LogStore(),
        controller: {} as Controller,
        transport: 'http',
        desktop: null,
      }}
    >
      <ServicePanel searchRef={{ current: null }} />
    </AppProvider>,
  );
}

describe('ServicePanel', () => {
  it('a registered service: a badge, the reason, and no action buttons', () => {
    const html = renderPanel(true);
    expect(html).toContain('data-testid="registered-badge"');
    expect(html).toContain(REGISTERED_NOTE.replace(/'/g, '&#x27;'));
    expect(html).not.toContain('data-action=');
  });

  it('a service Vigil runs: its buttons, no badge; uptime and MTTR facts wait for the stats', () => {
    const html = renderPanel(false);
    expect(html).toContain('data-action="restart"');
    expect(html).toContain('data-action="stop"');
    expect(html).not.toContain('registered-badge');
    expect(html).toContain('data-testid="fact-uptime"');
    expect(html).toContain('data-testid="fact-mttr"');
    expect(html).not.toContain('watch-section');
  });

  it('a watched service: what is watched, the last change, and a switch that is on', () => {
    const html = renderPanel(false, WATCH);
    expect(html).toContain('File watch: watching');
    expect(html).toContain('src/, package.json');
    expect(html).toContain('run npm run build, then restart');
    expect(html).toContain('src/a.ts, src/b.ts, src/c.ts and 37 more');
    expect(html).toMatch(/role="switch" aria-checked="true"/);
  });

  it('a watch turned off or paused by a loop: the switch is off and says why', () => {
    expect(renderPanel(false, { ...WATCH, enabled: false, state: 'off' })).toMatch(
      /File watch: off.*aria-checked="false"/s,
    );
    const paused = renderPanel(false, {
      ...WATCH,
      state: 'paused',
      paused_reason: 'restart loop: hook changes files under its own watched paths',
    });
    expect(paused).toContain('paused (restart loop)');
    expect(paused).toContain('restart loop: hook changes files');
    expect(paused).toContain('Resume');
  });
});

/** The opening tag of the element with this test id (its attributes). */
function tagOf(html: string, testId: string): string {
  const m = new RegExp(`<[^>]*data-testid="${testId}"[^>]*>`).exec(html);
  if (!m) throw new Error(`no element with data-testid="${testId}"`);
  return m[0];
}

const disabled = (html: string, testId: string) => /\sdisabled=""/.test(tagOf(html, testId));

describe('ServicePanel of a replicated service', () => {
  const api = (r = replicas('api', 3, { backup: 'api-stub' })) => ({
    ...view('api'),
    replicas: r,
  });

  it('lists every instance with its state, pid, port, traffic, latency, restarts and pool', () => {
    const html = renderService(
      api(
        replicas('api', 3, {
          backup: 'api-stub',
          sick: {
            1: { status: 'unhealthy', lifecycle: 'running', errors: 7, restart_count: 4 },
            2: { draining: true, in_pool: false, latency_p95_ms: 1_250 },
          },
        }),
      ),
    );
    const rows = html.match(/<tr data-instance="[^"]+"/g) ?? [];
    expect(rows).toEqual([
      '<tr data-instance="api#0"',
      '<tr data-instance="api#1"',
      '<tr data-instance="api#2"',
    ]);
    const row1 = /<tr data-instance="api#1".*?<\/tr>/s.exec(html)![0];
    for (const cell of ['unhealthy', '7001', '3002', '>200<', '>7<', '>4<', 'in pool']) {
      expect(row1).toContain(cell);
    }
    expect(/<tr data-instance="api#2".*?<\/tr>/s.exec(html)![0]).toMatch(/1\.3 s.*draining/s);
    expect(html).toContain('data-testid="restart-api#1"');
    expect(html).toContain('data-testid="logs-api#2"');
    expect(html).toContain('2 of 3 ready');
  });

  it('shows the balancer, its split, failover and the scale control', () => {
    const html = renderService(api());
    expect(tagOf(html, 'scale-input')).toContain('value="3"');
    expect(html).toMatch(/data-testid="balancer-line".*http · round robin/s);
    expect(html).toContain('<code>127.0.0.1:3000</code>');
    // shares 100/600, 200/600, 300/600
    expect(html.match(/data-share="[\d.]+"/g)).toEqual([
      'data-share="0.167"',
      'data-share="0.333"',
      'data-share="0.500"',
    ]);
    expect(html).toMatch(/data-testid="failover-route".*own instances.*api-stub/s);
    expect(disabled(html, 'failover-btn')).toBe(false);
    expect(disabled(html, 'failback-btn')).toBe(true);
    expect(html).toContain('data-action="restart_all_at_once"');
    expect(html).not.toContain('data-testid="rollout"');
  });

  it('disables − at one instance, + at the maximum, and both while an action runs', () => {
    const one = renderService(api(replicas('api', 1)));
    expect(disabled(one, 'scale-down')).toBe(true);
    expect(disabled(one, 'scale-up')).toBe(false);
    const full = renderService(
      api(
        replicas('api', 4, {
          scale: { metric: 'cpu', target: 70, min: 1, max: 4, cooldown_ms: 1 },
        }),
      ),
    );
    expect(disabled(full, 'scale-up')).toBe(true);
    expect(disabled(full, 'scale-down')).toBe(false);
    expect(full).toContain('automatic on cpu, target 70 %, 1–4');
    const busy = renderService(api(), true);
    expect(disabled(busy, 'scale-up')).toBe(true);
    expect(disabled(busy, 'restart-api#0')).toBe(true);
    expect(disabled(busy, 'failover-btn')).toBe(true);
  });

  it('held on the backup: says so, and only Fail back is offered', () => {
    const html = renderService(
      api(
        replicas('api', 3, {
          backup: 'api-stub',
          failover: { route: 'backup', pinned: true },
        }),
      ),
    );
    expect(html).toMatch(/data-testid="failover-route".*on backup.*api-stub.*held by hand/s);
    expect(disabled(html, 'failover-btn')).toBe(true);
    expect(disabled(html, 'failback-btn')).toBe(false);
  });

  it('shows how far a rolling restart got', () => {
    const html = renderService(
      api({ ...replicas('api', 3), rollout: { kind: 'restart', done: 1, total: 3 } }),
    );
    expect(html).toMatch(/data-testid="rollout".*Rolling restart: 1 of 3/s);
  });

  it('no port: no balancer, and says why', () => {
    const html = renderService(api(replicas('api', 2, { balancer: false })));
    expect(html).toContain('No balancer');
    expect(html).not.toContain('data-testid="traffic-split"');
  });

  it('a plain service has no instances part and no "all at once"', () => {
    const html = renderService(view('db'));
    expect(html).not.toContain('data-testid="replicas"');
    expect(html).not.toContain('restart_all_at_once');
  });
});
