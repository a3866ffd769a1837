import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildDesktopBridge } from '../../preload/desktop.js';
import { DESKTOP_EXPORT_STACK_CHANNEL } from '../../shared/desktop.js';
import { fakeIpcPair } from '../transport/testing/fake-ipc.js';
import { trustedSenderCheck } from '../transport/ipc.js';
import { registerDesktopHandlers } from './desktop-ipc.js';
import { saveStackExport } from './stack-export.js';

const APP = trustedSenderCheck({ fileRoot: '/app/renderer' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-stack-export-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const stackFile = path.join(tmp, 'vigil.yaml');
fs.writeFileSync(
  stackFile,
  'name: shop\nservices:\n  db:\n    command: x\n    port: 5432\n    image: postgres:17\n  api:\n    command: y\n    port: 3000\n    depends_on: [db]\n',
);

function setup(choice: { folder?: string | null; file?: string | null }) {
  const chooseFolder = vi.fn(async () => choice.folder ?? null);
  const chooseFile = vi.fn(async () => choice.file ?? null);
  const ipc = fakeIpcPair('file:///app/renderer/index.html');
  registerDesktopHandlers(ipc.ipcMain, {
    isTrustedSender: APP,
    exportReport: async () => ({ saved: false }),
    exportStack: (req) => saveStackExport({ stackFile, chooseFolder, chooseFile }, req),
  });
  return { ipc, chooseFolder, chooseFile, desktop: buildDesktopBridge(ipc.ipcRenderer) };
}

describe('desktop: export the open stack', () => {
  it('writes Kubernetes manifests into the chosen folder and says what needs an image', async () => {
    const out = path.join(tmp, 'k8s');
    const { desktop, chooseFolder } = setup({ folder: out });
    const res = await desktop.exportStack!({ target: 'kubernetes' });
    expect(chooseFolder).toHaveBeenCalledWith('Export to Kubernetes: choose a folder', tmp);
    expect(res).toMatchObject({ saved: true, path: out, files: 4, needImage: ['api'] });
    expect(fs.readdirSync(out).sort()).toEqual([
      'api.yaml',
      'db.yaml',
      'kustomization.yaml',
      'namespace.yaml',
    ]);
  });

  it('writes a Compose file where the save dialog says; a cancelled dialog writes nothing', async () => {
    const file = path.join(tmp, 'out', 'compose.yaml');
    const { desktop, chooseFile } = setup({ file });
    await expect(desktop.exportStack!({ target: 'compose' })).resolves.toMatchObject({
      saved: true,
      path: file,
      files: 1,
    });
    expect(chooseFile).toHaveBeenCalledWith('Export to Compose', path.join(tmp, 'compose.yaml'));
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^ {4}image: postgres:17$/m);
    const cancelled = setup({ file: null });
    await expect(cancelled.desktop.exportStack!({ target: 'compose' })).resolves.toEqual({
      saved: false,
    });
  });

  it('refuses to overwrite a file it did not write, with the reason', async () => {
    const dir = path.join(tmp, 'taken');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources: []\n');
    const { desktop } = setup({ folder: dir });
    await expect(desktop.exportStack!({ target: 'kubernetes' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(
        /kustomization.yaml exists and was not written by vigil export/,
      ),
    });
  });

  it('checks what the page sent and who sent it', async () => {
    const { ipc, chooseFolder, desktop } = setup({ folder: path.join(tmp, 'never') });
    for (const bad of [
      null,
      'kubernetes',
      { target: 'helm' },
      { target: 'compose', out: '/etc' },
    ]) {
      await expect(
        ipc.ipcRenderer.invoke(DESKTOP_EXPORT_STACK_CHANNEL, bad),
      ).resolves.toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST' },
      });
    }
    ipc.frameUrl = 'https://evil.example/';
    await expect(desktop.exportStack!({ target: 'kubernetes' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(chooseFolder).not.toHaveBeenCalled();
    expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
  });
});
