import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IpcResult } from '../../shared/client/bridge.js';
import type { StatusResponse } from '../../shared/views.js';
import { readInstance } from '../host/lock.js';
import type { IpcEventLike, IpcMainLike } from '../transport/ipc.js';
import { StackHost, StackLoadError } from './stack-host.js';

type Handler = (event: IpcEventLike, ...args: unknown[]) => unknown;

function fakeIpcMain() {
  const handlers = new Map<string, Handler>();
  const ipc: IpcMainLike = {
    handle: (channel, fn) => void handlers.set(channel, fn),
    removeHandler: (channel) => void handlers.delete(channel),
  };
  const call = async (channel: string, url: string, input: unknown = {}) => {
    const fn = handlers.get(channel);
    if (!fn) throw new Error(`no handler for ${channel}`);
    const event: IpcEventLike = { senderFrame: { url }, sender: { id: 1 } };
    return (await fn(event, input)) as IpcResult;
  };
  return { ipc, handlers, call };
}

const APP_PAGE = 'file:///app/out/renderer/index.html';

function stackDir(yaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-host-'));
  fs.writeFileSync(path.join(dir, 'vigil.yaml'), yaml);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, fn: () => Promise<T | null>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const hosts: StackHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
});

describe('StackHost', () => {
  it('runs a stack, serves it over IPC to the app page only, and stops it on close', async () => {
    const dir = stackDir(
      [
        'version: 1',
        'name: hosted',
        'services:',
        '  hello:',
        '    command: [node, -e, "console.log(\'hi\'); setInterval(() => {}, 1000)"]',
        '    stop: { timeout: 2s }',
        '',
      ].join('\n'),
    );
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-host-data-'));
    const { ipc, handlers, call } = fakeIpcMain();
    const host = new StackHost({
      dataDir,
      ipcMain: ipc,
      isTrustedSender: (e) => e.senderFrame?.url === APP_PAGE,
    });
    hosts.push(host);
    const stack = await host.open(path.join(dir, 'vigil.yaml'));
    expect(stack.name).toBe('hosted');
    expect(handlers.has('vigil:getStatus')).toBe(true);
    // The renderer talks over IPC; no HTTP server unless the user turns it on.
    expect(stack.apiUrl).toBeNull();
    expect(readInstance(dataDir)?.api).toBeUndefined();

    const denied = await call('vigil:getStatus', 'https://evil.example/');
    expect(denied).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const pid = await until('hello to run', async () => {
      const r = await call('vigil:getStatus', APP_PAGE);
      if (!r.ok) return null;
      const svc = (r.value as StatusResponse).services.find((s) => s.name === 'hello');
      return svc?.lifecycle === 'running' && svc.pid !== null ? svc.pid : null;
    });
    expect(alive(pid)).toBe(true);

    const bad = await call('vigil:restartService', APP_PAGE, { name: 'Not A Name' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });

    await host.close();
    expect(handlers.size).toBe(0);
    expect(host.stack).toBeNull();
    expect(readInstance(dataDir)).toBeNull();
    await until('hello to exit', async () => (alive(pid) ? null : true), 5_000);
  });

  it('refuses an invalid stack file with its errors and holds nothing', async () => {
    const dir = stackDir('version: 1\nname: broken\nservices:\n  api:\n    depends_on: [nope]\n');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-host-data-'));
    const { ipc, handlers } = fakeIpcMain();
    const host = new StackHost({
      dataDir,
      ipcMain: ipc,
      isTrustedSender: () => true,
      serveHttp: false,
    });
    hosts.push(host);
    const err = await host.open(path.join(dir, 'vigil.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackLoadError);
    expect((err as StackLoadError).details.join('\n')).toMatch(/vigil\.yaml/);
    expect(handlers.size).toBe(0);
    expect(readInstance(dataDir)).toBeNull();
  });

  it('a stack file with errors leaves the stack that runs running', async () => {
    const good = stackDir(
      'version: 1\nname: good\nservices:\n  idle:\n    command: node -e "setInterval(() => {}, 1000)"\n    stop: { timeout: 2s }\n',
    );
    const bad = stackDir('version: 1\nname: bad\nservices:\n  api:\n    depends_on: [nope]\n');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-host-data-'));
    const { ipc, call } = fakeIpcMain();
    const host = new StackHost({ dataDir, ipcMain: ipc, isTrustedSender: () => true });
    hosts.push(host);
    await host.open(path.join(good, 'vigil.yaml'));
    const err = await host.open(path.join(bad, 'vigil.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackLoadError);
    expect(host.stack?.name).toBe('good');
    const r = await call('vigil:getStatus', APP_PAGE);
    expect(r).toMatchObject({ ok: true, value: { system: { name: 'good' } } });
    expect(readInstance(dataDir)?.stackFile).toBe(host.stack?.file);
  });

  it('serves the REST API for the CLI only when asked to', async () => {
    const dir = stackDir(
      'version: 1\nname: served\nservices:\n  idle:\n    command: node -e "setInterval(() => {}, 1000)"\n',
    );
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-host-data-'));
    const { ipc } = fakeIpcMain();
    const host = new StackHost({
      dataDir,
      ipcMain: ipc,
      isTrustedSender: () => true,
      serveHttp: true,
    });
    hosts.push(host);
    const stack = await host.open(path.join(dir, 'vigil.yaml'));
    expect(stack.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(readInstance(dataDir)?.api?.url).toBe(stack.apiUrl);
    await host.close();
  });
});
