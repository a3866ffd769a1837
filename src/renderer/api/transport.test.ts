import { describe, expect, it, vi } from 'vitest';
import type { StreamMessage } from '../../shared/events.js';
import type { VigilBridge } from '../../shared/client/bridge.js';
import { snapshot, view, serviceEvent } from '../testing/support.js';
import { selectDesktop, selectTransport } from './transport.js';

describe('selectTransport', () => {
  it('uses the preload bridge when the page has one', async () => {
    let listener: ((m: StreamMessage) => void) | null = null;
    const bridge = {
      getStatus: vi.fn(async () => snapshot([view('api')])),
      subscribe: (l: (m: StreamMessage) => void) => {
        listener = l;
        return () => undefined;
      },
      resync: vi.fn(async () => undefined),
      snapshot: vi.fn(),
    } as unknown as VigilBridge;
    const t = selectTransport({ vigil: bridge, location: { origin: 'file://' } });
    expect(t.kind).toBe('ipc');
    expect(t.client).toBe(bridge);

    const seen: string[] = [];
    t.connect({
      onSnapshot: () => seen.push('snapshot'),
      onEvent: (e) => seen.push(e.type),
      onStatus: (s) => seen.push(`status:${s}`),
    });
    listener!({ seq: 1, ts: 0, type: 'snapshot', payload: snapshot([view('api')]) });
    listener!({
      seq: 2,
      ts: 0,
      type: 'service_event',
      payload: serviceEvent('api', 'running', 'stopping'),
    });
    // a gap: ignored, and a fresh snapshot is asked for
    listener!({
      seq: 9,
      ts: 0,
      type: 'service_event',
      payload: serviceEvent('api', 'stopping', 'stopped'),
    });
    expect(seen).toEqual(['status:connecting', 'status:open', 'snapshot', 'service_event']);
    expect(bridge.resync).toHaveBeenCalled();
  });

  it('falls back to REST on the page origin, marked as the UI, without a token', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify(snapshot([])), { status: 200 }));
    const t = selectTransport({ location: { origin: 'http://127.0.0.1:9000' }, fetch });
    expect(t.kind).toBe('http');
    await t.client.getStatus({});
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/orchestrator/status');
    const headers = init.headers as Record<string, string>;
    expect(headers['X-Vigil-Client']).toBe('ui');
    expect(headers['Authorization']).toBeUndefined();
  });

  it('ignores a window.vigil that is not a bridge', () => {
    const t = selectTransport({
      vigil: { hello: 1 },
      location: { origin: 'http://127.0.0.1:9000' },
    });
    expect(t.kind).toBe('http');
  });
});

describe('selectDesktop', () => {
  it('finds the desktop bridge only when the preload exposed one', () => {
    const desktop = {
      onMenuCommand: () => () => undefined,
      exportReport: async () => ({ saved: false }),
    };
    expect(selectDesktop({ vigilDesktop: desktop })).toBe(desktop);
    expect(selectDesktop({})).toBeNull();
    expect(selectDesktop({ vigilDesktop: { onMenuCommand: 1 } })).toBeNull();
    expect(selectDesktop({ vigilDesktop: 'x' })).toBeNull();
  });
});
