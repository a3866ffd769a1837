import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { VigilDesktop } from '../../../shared/desktop.js';
import { AppProvider } from '../../app/context.js';
import type { Controller } from '../../app/controller.js';
import { LogStore } from '../../logs/ring.js';
import { createVigilStore } from '../../state/store.js';
import { ExportDialog } from './ExportDialog.js';

function render(desktop: VigilDesktop | null): string {
  return renderToStaticMarkup(
    <AppProvider
      deps={{
        store: createVigilStore({ theme: 'light' }),
        logs: new LogStore(),
        controller: {} as Controller,
        transport: desktop ? 'ipc' : 'http',
        desktop,
      }}
    >
      <ExportDialog />
    </AppProvider>,
  );
}

describe('ExportDialog', () => {
  it('offers PDF in the desktop app only', () => {
    const desktop: VigilDesktop = {
      onMenuCommand: () => () => undefined,
      exportReport: async () => ({ saved: false }),
    };
    expect(render(desktop)).toContain('value="pdf"');
    const browser = render(null);
    expect(browser).not.toContain('value="pdf"');
    expect(browser).toContain('value="csv"');
  });

  it('offers the stack export where the desktop app can write a folder, a note in the browser', () => {
    const desktop: VigilDesktop = {
      onMenuCommand: () => () => undefined,
      exportReport: async () => ({ saved: false }),
      exportStack: async () => ({ saved: false }),
    };
    const html = render(desktop);
    expect(html).toContain('Export to Kubernetes…');
    expect(html).toContain('Export to Compose…');
    const browser = render(null);
    expect(browser).not.toContain('Export to Kubernetes…');
    expect(browser).toContain('vigil export kubernetes');
  });
});
