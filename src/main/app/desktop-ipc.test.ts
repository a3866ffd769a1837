import { describe, expect, it, vi } from 'vitest';
import { VigilError } from '../../shared/errors.js';
import {
  DESKTOP_EXPORT_CHANNEL,
  DESKTOP_MENU_CHANNEL,
  parseExportRequest,
  type DesktopExportRequest,
  type MenuCommand,
} from '../../shared/desktop.js';
import { buildDesktopBridge } from '../../preload/desktop.js';
import { fakeIpcPair } from '../transport/testing/fake-ipc.js';
import { trustedSenderCheck, type IpcSenderLike } from '../transport/ipc.js';
import { registerDesktopHandlers, sendMenuCommand, type MenuTarget } from './desktop-ipc.js';

const APP = trustedSenderCheck({ fileRoot: '/app/renderer' });

function setup(
  exportReport: (req: DesktopExportRequest) => Promise<{ saved: boolean; file?: string }> = async (
    req,
  ) => ({ saved: true, file: `/home/me/report.${req.format}` }),
) {
  const ipc = fakeIpcPair('file:///app/renderer/index.html');
  const spy = vi.fn(exportReport);
  const off = registerDesktopHandlers(ipc.ipcMain, { isTrustedSender: APP, exportReport: spy });
  return { ipc, spy, off, desktop: buildDesktopBridge(ipc.ipcRenderer) };
}

/** The fake window's web contents, as the main process sees it (the sender of its calls). */
async function windowOf(ipc: ReturnType<typeof fakeIpcPair>): Promise<MenuTarget> {
  let sender: IpcSenderLike | null = null;
  ipc.ipcMain.handle('test:who', (event) => {
    sender = event.sender;
    return null;
  });
  await ipc.ipcRenderer.invoke('test:who');
  ipc.ipcMain.removeHandler('test:who');
  const s = sender as unknown as IpcSenderLike;
  return {
    send: (channel, msg) => s.send!(channel, msg),
    isDestroyed: () => s.isDestroyed?.() ?? false,
  };
}

describe('desktop bridge: report export', () => {
  it('saves a report for the app page, PDF included, and says where', async () => {
    const { desktop, spy } = setup();
    await expect(desktop.exportReport({ format: 'pdf', since: '24h' })).resolves.toEqual({
      saved: true,
      file: '/home/me/report.pdf',
    });
    expect(spy).toHaveBeenCalledWith({ format: 'pdf', since: '24h' });
    await desktop.exportReport({ format: 'csv' });
    expect(spy).toHaveBeenLastCalledWith({ format: 'csv' });
  });

  it('refuses another frame with FORBIDDEN and exports nothing', async () => {
    const { ipc, desktop, spy } = setup();
    ipc.frameUrl = 'https://evil.example/';
    await expect(desktop.exportReport({ format: 'md' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    ipc.frameUrl = null;
    await expect(desktop.exportReport({ format: 'md' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(spy).not.toHaveBeenCalled();
  });

  it('checks what the page sent: a known format, a short since, no other fields', async () => {
    const { ipc, spy } = setup();
    const call = (input: unknown) => ipc.ipcRenderer.invoke(DESKTOP_EXPORT_CHANNEL, input);
    for (const bad of [
      null,
      'md',
      { format: 'exe' },
      { format: 'md', since: 'x'.repeat(65) },
      { format: 'md', since: 3 },
      { format: 'md', path: '/etc/passwd' },
    ]) {
      expect(await call(bad)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(spy).not.toHaveBeenCalled();
    expect(parseExportRequest({ format: 'html', since: '7d' })).toEqual({
      ok: true,
      value: { format: 'html', since: '7d' },
    });
  });

  it('a cancelled dialog is not an error; failures keep their code, others say internal error', async () => {
    const answers = [
      async () => ({ saved: false }),
      async () => {
        throw new VigilError('NOT_RUNNING', 'no stack is open');
      },
      async () => {
        throw new Error('EACCES /secret/path');
      },
    ];
    const { desktop } = setup(async () => answers.shift()!());
    await expect(desktop.exportReport({ format: 'md' })).resolves.toEqual({ saved: false });
    await expect(desktop.exportReport({ format: 'md' })).rejects.toMatchObject({
      code: 'NOT_RUNNING',
      message: 'no stack is open',
    });
    await expect(desktop.exportReport({ format: 'md' })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'internal error',
    });
  });

  it('one save dialog at a time', async () => {
    let finish: (v: { saved: boolean }) => void = () => undefined;
    const { desktop } = setup(() => new Promise((resolve) => (finish = resolve)));
    const first = desktop.exportReport({ format: 'md' });
    await expect(desktop.exportReport({ format: 'md' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    finish({ saved: false });
    await expect(first).resolves.toEqual({ saved: false });
    const again = desktop.exportReport({ format: 'md' });
    finish({ saved: false });
    await expect(again).resolves.toEqual({ saved: false });
  });

  it('removes its handler', () => {
    const { ipc, off } = setup();
    expect(ipc.ipcMain.channels()).toEqual([DESKTOP_EXPORT_CHANNEL]);
    off();
    expect(ipc.ipcMain.channels()).toEqual([]);
  });
});

describe('desktop bridge: menu commands', () => {
  it('reaches the page listener as the command alone; unknown commands are dropped', async () => {
    const { ipc, desktop } = setup();
    const target = await windowOf(ipc);
    const seen: MenuCommand[] = [];
    const off = desktop.onMenuCommand((c) => seen.push(c));
    expect(sendMenuCommand(target, 'reload-stack')).toBe(true);
    expect(sendMenuCommand(target, 'toggle-theme')).toBe(true);
    target.send(DESKTOP_MENU_CHANNEL, 'rm -rf');
    target.send(DESKTOP_MENU_CHANNEL, { command: 'toggle-theme' });
    expect(seen).toEqual(['reload-stack', 'toggle-theme']);
    off();
    off();
    expect(ipc.ipcRenderer.listenerCount(DESKTOP_MENU_CHANNEL)).toBe(0);
    sendMenuCommand(target, 'export-report');
    expect(seen).toHaveLength(2);
  });

  it('says when there is no page to send to', async () => {
    const { ipc } = setup();
    const target = await windowOf(ipc);
    expect(sendMenuCommand(null, 'toggle-theme')).toBe(false);
    ipc.destroy();
    expect(sendMenuCommand(target, 'toggle-theme')).toBe(false);
  });
});
