import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { menuTemplate, reportFileName, type MenuActions } from './menu.js';
import { noticeFor, traySummary } from './notify.js';
import { MAX_RECENT, NO_RECENT, addRecent, initialStack, parseRecent } from './recent.js';
import { APP_CSP, SECURE_WEB_PREFERENCES, devCsp, externalHttpUrl } from './security.js';

describe('recent stacks', () => {
  it('puts the newest first without duplicates, capped, and remembers the last', () => {
    let r = NO_RECENT;
    for (let i = 0; i < MAX_RECENT + 3; i++) r = addRecent(r, `/stacks/s${i}/vigil.yaml`);
    r = addRecent(r, '/stacks/s5/vigil.yaml');
    expect(r.recent).toHaveLength(MAX_RECENT);
    expect(r.recent[0]).toBe('/stacks/s5/vigil.yaml');
    expect(r.recent.filter((f) => f === '/stacks/s5/vigil.yaml')).toHaveLength(1);
    expect(r.last).toBe('/stacks/s5/vigil.yaml');
  });

  it('reads a damaged or hostile file as empty, keeping only absolute paths', () => {
    expect(parseRecent('not json')).toEqual(NO_RECENT);
    expect(parseRecent('null')).toEqual(NO_RECENT);
    expect(
      parseRecent(
        JSON.stringify({ recent: ['/a.yaml', 'relative.yaml', 3, '/a.yaml'], last: 'x' }),
      ),
    ).toEqual({
      recent: ['/a.yaml'],
      last: null,
    });
  });

  it('opens the stack named on the command line, else the last one, else the demo', () => {
    const exists = (f: string) => f === '/last/vigil.yaml';
    const recent = { recent: [], last: '/last/vigil.yaml' };
    expect(initialStack(['--stack', 'x/vigil.yaml'], recent, '/demo.yaml', exists, '/cwd')).toBe(
      path.resolve('/cwd', 'x/vigil.yaml'),
    );
    expect(initialStack(['--stack=/abs.yml'], recent, '/demo.yaml', exists, '/cwd')).toBe(
      '/abs.yml',
    );
    expect(initialStack(['.', 'shop.yaml'], recent, '/demo.yaml', exists, '/cwd')).toBe(
      '/cwd/shop.yaml',
    );
    expect(initialStack([], recent, '/demo.yaml', exists, '/cwd')).toBe('/last/vigil.yaml');
    expect(initialStack([], { recent: [], last: '/gone.yaml' }, '/demo.yaml', exists, '/cwd')).toBe(
      '/demo.yaml',
    );
  });
});

describe('desktop notifications', () => {
  it('notifies when a service is quarantined', () => {
    const n = noticeFor(
      {
        type: 'healing_event',
        ts: 0,
        service: 'api',
        action: 'quarantine',
        reason: { kind: 'exit', message: 'crashed 7 times' },
        attempt: 7,
        generation: 3,
      },
      'degraded',
      'shop',
    );
    expect(n).toMatchObject({ title: 'api quarantined', urgency: 'normal' });
    expect(n!.body).toContain('crashed 7 times');
  });

  it('notifies when the system turns critical, once', () => {
    const ev = {
      type: 'status_update' as const,
      ts: 0,
      system: 'critical' as const,
      message: 'db is down',
      failing: ['db'],
    };
    expect(noticeFor(ev, 'healthy', 'shop')).toMatchObject({
      title: 'shop is critical',
      urgency: 'critical',
    });
    expect(noticeFor(ev, 'critical', 'shop')).toBeNull();
    expect(noticeFor({ ...ev, system: 'degraded' }, 'healthy', 'shop')).toBeNull();
  });

  it('summarises the stack for the tray', () => {
    expect(traySummary('shop', 'healthy', 6, 7)).toBe('shop: healthy · 6/7 up');
    expect(traySummary('shop', null, 0, 7)).toBe('shop: starting · 0/7 up');
  });
});

describe('window security', () => {
  it('isolates and sandboxes the renderer, without Node', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    });
  });

  it('has a strict CSP; the dev server gets only what hot reload needs', () => {
    expect(APP_CSP).toContain("script-src 'self'");
    expect(APP_CSP).not.toContain('unsafe-eval');
    expect(APP_CSP).not.toMatch(/script-src[^;]*unsafe-inline/);
    const dev = devCsp('http://localhost:5173');
    expect(dev).toContain('ws://localhost:5173');
    expect(dev).toMatch(/script-src 'self' 'unsafe-inline'/);
  });

  it('opens only http(s) links externally, decided by parsing', () => {
    expect(externalHttpUrl('https://example.com/docs')).toBe('https://example.com/docs');
    expect(externalHttpUrl('http://127.0.0.1:9000/')).toBe('http://127.0.0.1:9000/');
    expect(externalHttpUrl('file:///etc/passwd')).toBeNull();
    expect(externalHttpUrl('javascript:alert(1)')).toBeNull();
    expect(externalHttpUrl('smb://host/share')).toBeNull();
    expect(externalHttpUrl('https://user:pw@example.com/')).toBeNull();
    expect(externalHttpUrl('not a url with https://example.com')).toBeNull();
    expect(externalHttpUrl('HTTPS://EXAMPLE.com')).toBe('https://example.com/');
  });
});

describe('menu', () => {
  const actions = (): MenuActions => ({
    openStack: vi.fn(),
    openRecent: vi.fn(),
    clearRecent: vi.fn(),
    reloadStack: vi.fn(),
    startAll: vi.fn(),
    stopAll: vi.fn(),
    checkHealthNow: vi.fn(),
    exportReport: vi.fn(),
    toggleTheme: vi.fn(),
    showDataDir: vi.fn(),
    quit: vi.fn(),
  });
  const find = (
    items: MenuItemConstructorOptions[],
    label: string,
  ): MenuItemConstructorOptions | undefined => {
    for (const item of items) {
      if (item.label === label) return item;
      if (Array.isArray(item.submenu)) {
        const inner = find(item.submenu, label);
        if (inner) return inner;
      }
    }
    return undefined;
  };
  const click = (item: MenuItemConstructorOptions | undefined) =>
    (item?.click as unknown as () => void)();

  it('offers the stack, export and theme commands, wired to their actions', () => {
    const a = actions();
    const t = menuTemplate(a, ['/w/shop/vigil.yaml'], {
      isMac: false,
      dev: false,
      appName: 'Vigil',
    });
    click(find(t, 'Open Stack…'));
    expect(a.openStack).toHaveBeenCalled();
    click(find(t, 'shop/vigil.yaml'));
    expect(a.openRecent).toHaveBeenCalledWith('/w/shop/vigil.yaml');
    click(find(t, 'PDF…'));
    expect(a.exportReport).toHaveBeenCalledWith('pdf');
    click(find(t, 'Stop All'));
    expect(a.stopAll).toHaveBeenCalled();
    click(find(t, 'Toggle Theme'));
    expect(a.toggleTheme).toHaveBeenCalled();
    expect(find(t, 'Quit')).toBeDefined();
    expect(find(t, 'Toggle Developer Tools')).toBeUndefined();
  });

  it('says when there are no recent stacks', () => {
    const t = menuTemplate(actions(), [], { isMac: true, dev: true, appName: 'Vigil' });
    expect(find(t, 'No recent stacks')?.enabled).toBe(false);
    expect(t[0]!.label).toBe('Vigil');
  });

  it('names report files after the stack and the day', () => {
    expect(reportFileName('shop', 'pdf', new Date(Date.UTC(2026, 2, 4)))).toBe(
      'shop-report-2026-03-04.pdf',
    );
    expect(reportFileName('a/b c', 'md', new Date(Date.UTC(2026, 2, 4)))).toBe(
      'a_b_c-report-2026-03-04.md',
    );
  });
});
