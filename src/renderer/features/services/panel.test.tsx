import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { AppProvider } from '../../app/context.js';
import type { Controller } from '../../app/controller.js';
import { LogStore } from '../../logs/ring.js';
import { createVigilStore } from '../../state/store.js';
import { snapshot, view } from '../../testing/support.js';
import { REGISTERED_NOTE } from './actions.js';
import { ServicePanel } from './ServicePanel.js';

function renderPanel(registered: boolean): string {
  const live = createVigilStore({ theme: 'light' });
  live.getState().snapshot(snapshot([{ ...view('hook'), registered }]));
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
  });
});
