import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import { AppProvider } from '../../app/context.js';
import type { Controller } from '../../app/controller.js';
import { LogStore } from '../../logs/ring.js';
import { createVigilStore } from '../../state/store.js';
import { snapshot, view } from '../../testing/support.js';
import { ConfigBanner } from './ConfigBanner.js';
import { Toasts } from './Toasts.js';

function render(node: React.ReactNode, live = createVigilStore({ theme: 'light' })) {
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
      {node}
    </AppProvider>,
  );
}

describe('ConfigBanner', () => {
  it('renders nothing while no change is rejected', () => {
    expect(render(<ConfigBanner />)).toBe('');
  });

  it('names the file, each problem with its place, and that the last good stack runs, as text', () => {
    const store = createVigilStore({ theme: 'light' });
    store.getState().snapshot(snapshot([view('api')]));
    store.getState().reloadAnswered({
      success: false,
      applied: false,
      changes: { added: [], removed: [], restarted: [], updated_in_place: [], unchanged: [] },
      errors: [
        {
          message: 'unknown key "<img src=x onerror=alert(1)>"',
          file: '/stacks/shop/vigil.yaml',
          line: 4,
          col: 5,
          path: 'services.api.x',
        },
      ],
    });
    const html = render(<ConfigBanner />, store);
    expect(html).toContain('A change to vigil.yaml was rejected');
    expect(html).toContain('vigil.yaml:4:5');
    expect(html).toContain('services.api.x');
    expect(html).toContain('still running the last good configuration');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    expect(html).toContain('aria-label="Dismiss"');
  });
});

describe('Toasts', () => {
  it('shows each toast with its title and text', () => {
    const store = createVigilStore({ theme: 'light' });
    store
      .getState()
      .toast({ key: 'k', tone: 'ok', title: 'Stack file reloaded', text: 'restarted: web' });
    const html = render(<Toasts />, store);
    expect(html).toContain('Stack file reloaded');
    expect(html).toContain('restarted: web');
    expect(html).toContain('role="status"');
  });
});
