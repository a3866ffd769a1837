import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { AppProvider } from '../../app/context.js';
import type { Controller } from '../../app/controller.js';
import { LogStore } from '../../logs/ring.js';
import { createVigilStore } from '../../state/store.js';
import { snapshot, view } from '../../testing/support.js';
import { REGISTERED_NOTE } from './actions.js';
import { ServicePanel } from './ServicePanel.js';
import type { WatchView } from '../../../shared/views.js';

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
  const live = createVigilStore({ theme: 'light' });
  live.getState().snapshot(snapshot([{ ...view('hook'), registered, watch }]));
  live.getState().openPanel('hook');
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
