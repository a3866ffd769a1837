import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES } from '../../shared/contract.js';
import type { StreamMessage, VigilEvent } from '../../shared/events.js';
import type { StatusResponse } from '../../shared/views.js';
import { connectBridgeStream } from '../../shared/client/bridge.js';
import { buildBridge } from '../../preload/bridge.js';
import { FakeClock } from '../core/clock.js';
import { FakeVigil } from './testing/fake-api.js';
import { fakeIpcPair } from './testing/fake-ipc.js';
import {
  createEventForwarder,
  isTrustedFrameUrl,
  registerIpcHandlers,
  trustedSenderCheck,
} from './ipc.js';

const APP = { fileRoot: '/app/renderer', origins: ['http://localhost:5173'] };

describe('registerIpcHandlers', () => {
  it('registers one channel per command and removes them all', () => {
    const ipc = fakeIpcPair();
    const fake = new FakeVigil();
    const off = registerIpcHandlers(ipc.ipcMain, fake.api, {
      isTrustedSender: () => true,
      events: fake,
    });
    expect(ipc.ipcMain.channels().sort()).toEqual(
      [...COMMAND_NAMES.map((n) => `vigil:${n}`), 'vigil:subscribe', 'vigil:unsubscribe'].sort(),
    );
    off();
    expect(ipc.ipcMain.channels()).toEqual([]);
  });

  it('refuses an untrusted frame with FORBIDDEN and runs nothing', async () => {
    const ipc = fakeIpcPair('https://evil.example/page.html');
    const fake = new FakeVigil();
    registerIpcHandlers(ipc.ipcMain, fake.api, {
      isTrustedSender: trustedSenderCheck(APP),
      events: fake,
    });
    const bridge = buildBridge(ipc.ipcRenderer);
    await expect(bridge.stopAll({})).rejects.toMatchObject({ code: 'FORBIDDEN', status: 403 });
    ipc.frameUrl = null;
    await expect(bridge.getStatus({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(bridge.resync()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(fake.calls).toEqual([]);
    expect(fake.listenerCount).toBe(0);
    ipc.frameUrl = 'file:///app/renderer/index.html';
    await expect(bridge.stopAll({})).resolves.toMatchObject({ success: true });
    expect(fake.calls).toEqual([{ command: 'stopAll', input: {}, actor: 'ui' }]);
  });

  it('sends errors as an envelope, never a raw Error', async () => {
    const ipc = fakeIpcPair();
    const fake = new FakeVigil();
    registerIpcHandlers(ipc.ipcMain, fake.api, { isTrustedSender: () => true });
    const raw = await ipc.ipcRenderer.invoke('vigil:getService', { name: 'ghost' });
    expect(raw).toEqual({
      ok: false,
      error: {
        code: 'UNKNOWN_SERVICE',
        message: 'unknown service "ghost"',
        field: 'name',
        hint: 'known services: api, db',
      },
    });
    fake.failures.set('getStats', new Error('boom with details'));
    expect(await ipc.ipcRenderer.invoke('vigil:getStats', {})).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'internal error' },
    });
  });
});

describe('event stream over IPC', () => {
  it('createEventForwarder sends the snapshot first, then batched events', () => {
    const fake = new FakeVigil();
    const clock = new FakeClock();
    const sent: [string, StreamMessage][] = [];
    const stop = createEventForwarder(fake, (ch, m) => sent.push([ch, m]), { clock, batchMs: 50 });
    fake.log('api', 'a');
    fake.serviceEvent('api', 'stopping');
    expect(sent.map(([ch, m]) => `${ch} ${m.seq} ${m.type}`)).toEqual([
      'vigil:event 1 snapshot',
      'vigil:event 2 log',
      'vigil:event 3 service_event',
    ]);
    stop();
    expect(fake.listenerCount).toBe(0);
  });

  it('the bridge subscribes, gets a snapshot then events, and unsubscribes', async () => {
    const ipc = fakeIpcPair();
    const fake = new FakeVigil();
    const clock = new FakeClock();
    registerIpcHandlers(ipc.ipcMain, fake.api, {
      isTrustedSender: () => true,
      events: fake,
      clock,
    });
    const bridge = buildBridge(ipc.ipcRenderer);
    const snapshots: StatusResponse[] = [];
    const events: VigilEvent[] = [];
    const conn = connectBridgeStream(bridge, {
      onSnapshot: (s) => snapshots.push(s),
      onEvent: (e) => events.push(e),
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]!.services.map((s) => s.name)).toEqual(['api', 'db']);
    fake.log('api', 'one');
    fake.log('api', 'two');
    clock.advance(100);
    fake.serviceEvent('db', 'stopping');
    expect(events.map((e) => e.type)).toEqual(['log', 'log', 'service_event']);
    // A second subscription restarts the window's stream: one listener on the source at most.
    await bridge.resync();
    expect(snapshots).toHaveLength(2);
    expect(fake.listenerCount).toBe(1);
    conn.close();
    await new Promise((r) => setTimeout(r, 0));
    expect(fake.listenerCount).toBe(0);
    expect(ipc.ipcRenderer.listenerCount('vigil:event')).toBe(0);
  });

  it('stops the stream when the window goes away', async () => {
    const ipc = fakeIpcPair();
    const fake = new FakeVigil();
    registerIpcHandlers(ipc.ipcMain, fake.api, { isTrustedSender: () => true, events: fake });
    buildBridge(ipc.ipcRenderer).subscribe(() => undefined);
    await new Promise((r) => setTimeout(r, 0));
    expect(fake.listenerCount).toBe(1);
    ipc.destroy();
    expect(fake.listenerCount).toBe(0);
  });

  it('the bridge exposes one method per command and the stream, nothing generic', () => {
    const bridge = buildBridge(fakeIpcPair().ipcRenderer);
    expect(Object.keys(bridge).sort()).toEqual(
      [...COMMAND_NAMES, 'subscribe', 'resync', 'snapshot'].sort(),
    );
    expect(Object.isFrozen(bridge)).toBe(true);
    expect('invoke' in bridge).toBe(false);
  });
});

describe('isTrustedFrameUrl', () => {
  it('trusts only the app pages, by parsed URL', () => {
    const yes = [
      'file:///app/renderer/index.html',
      'file:///app/renderer/sub/x.html#a',
      'http://localhost:5173/',
      'http://localhost:5173/deep?q=1',
    ];
    const no = [
      null,
      undefined,
      '',
      'not a url',
      'file:///app/renderer',
      'file:///app/renderer-evil/index.html',
      'file:///app/renderer/../secret.html',
      'file://remote-host/app/renderer/index.html',
      'http://localhost:5174/',
      'https://localhost:5173/',
      'http://localhost:5173.evil.example/',
      'http://evil.example/?http://localhost:5173',
      'devtools://devtools/bundled/x.html',
    ];
    for (const u of yes) expect(isTrustedFrameUrl(u, APP), u).toBe(true);
    for (const u of no) expect(isTrustedFrameUrl(u, APP), String(u)).toBe(false);
  });
});
