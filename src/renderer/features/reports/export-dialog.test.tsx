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
});
