import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StreamMessage, VigilEvent } from '../events.js';
import type { StatusResponse } from '../views.js';
import {
  connectStream,
  createStreamReader,
  streamUrl,
  unbatch,
  type WebSocketLike,
} from './stream.js';

const snap = (n: number) => ({ success: true, marker: n }) as unknown as StatusResponse;
const ev = (line: string) => ({ type: 'log', line }) as unknown as VigilEvent;
const msg = (seq: number, type: StreamMessage['type'], payload: unknown): StreamMessage => ({
  seq,
  ts: 0,
  type,
  payload,
});

function recorder() {
  const snapshots: StatusResponse[] = [];
  const events: VigilEvent[] = [];
  return {
    snapshots,
    events,
    onSnapshot: (s: StatusResponse) => snapshots.push(s),
    onEvent: (e: VigilEvent) => events.push(e),
  };
}

describe('createStreamReader', () => {
  it('ignores events until the first snapshot, then follows the sequence', () => {
    const r = recorder();
    const reader = createStreamReader(r);
    expect(reader.accept(msg(4, 'log', [ev('early')]))).toBe('ignored');
    expect(reader.accept(msg(5, 'snapshot', snap(1)))).toBe('ok');
    expect(reader.accept(msg(6, 'log', [ev('a'), ev('b')]))).toBe('ok');
    expect(reader.accept(msg(7, 'service_event', ev('c')))).toBe('ok');
    expect(r.snapshots).toEqual([snap(1)]);
    expect(r.events.map((e) => (e as { line: string }).line)).toEqual(['a', 'b', 'c']);
    expect(reader.lastSeq).toBe(7);
  });

  it('reports a gap once and waits for a new snapshot', () => {
    const r = recorder();
    const reader = createStreamReader(r);
    reader.accept(msg(1, 'snapshot', snap(1)));
    expect(reader.accept(msg(3, 'log', [ev('lost one before')]))).toBe('gap');
    expect(reader.accept(msg(4, 'log', [ev('after gap')]))).toBe('ignored');
    expect(reader.synced).toBe(false);
    expect(reader.accept(msg(5, 'snapshot', snap(2)))).toBe('ok');
    expect(reader.accept(msg(6, 'log', [ev('resumed')]))).toBe('ok');
    expect(r.events.map((e) => (e as { line: string }).line)).toEqual(['resumed']);
  });

  it('ignores what is not a stream message', () => {
    const reader = createStreamReader(recorder());
    for (const bad of [
      undefined,
      null,
      'x',
      { seq: '1', type: 'snapshot', payload: {} },
      { seq: 1, type: 'log' },
    ]) {
      expect(reader.accept(bad)).toBe('ignored');
    }
  });

  it('unbatch hands out array payloads one by one', () => {
    expect(unbatch(msg(1, 'log', [ev('a'), ev('b')]))).toHaveLength(2);
    expect(unbatch(msg(1, 'healing_event', ev('a')))).toHaveLength(1);
    expect(unbatch(msg(1, 'snapshot', snap(1)))).toEqual([]);
  });
});

describe('streamUrl', () => {
  it('turns a base URL into the stream URL with the token', () => {
    expect(streamUrl('http://127.0.0.1:9000', 'a b')).toBe(
      'ws://127.0.0.1:9000/orchestrator/stream?token=a+b',
    );
    expect(streamUrl('https://h/')).toBe('wss://h/orchestrator/stream');
    expect(streamUrl('ws://h:1/orchestrator/stream')).toBe('ws://h:1/orchestrator/stream');
  });
});

class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  closedWith: number | null = null;
  onopen: ((ev: never) => void) | null = null;
  onmessage: ((ev: never) => void) | null = null;
  onclose: ((ev: never) => void) | null = null;
  onerror: ((ev: never) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code?: number) {
    this.closedWith = code ?? 1005;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    (this.onopen as ((e: unknown) => void) | null)?.({});
  }
  deliver(m: unknown) {
    (this.onmessage as ((e: { data: unknown }) => void) | null)?.({
      data: typeof m === 'string' ? m : JSON.stringify(m),
    });
  }
  drop(code = 1006) {
    this.readyState = 3;
    (this.onclose as ((e: { code: number }) => void) | null)?.({ code });
  }
}

describe('connectStream', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('delivers the snapshot and unbatched events, and resyncs on a gap', () => {
    const r = recorder();
    const statuses: string[] = [];
    const conn = connectStream({
      url: 'http://127.0.0.1:9000',
      token: 'tk',
      WebSocket: FakeSocket,
      ...r,
      onStatus: (s) => statuses.push(s),
    });
    const ws = FakeSocket.all[0]!;
    expect(ws.url).toBe('ws://127.0.0.1:9000/orchestrator/stream?token=tk');
    ws.open();
    ws.deliver(msg(1, 'snapshot', snap(1)));
    ws.deliver(msg(2, 'log', [ev('a'), ev('b')]));
    ws.deliver(msg(4, 'log', [ev('c')]));
    expect(ws.sent).toEqual(['{"type":"resync"}']);
    ws.deliver(msg(5, 'log', [ev('ignored')]));
    ws.deliver(msg(6, 'snapshot', snap(2)));
    ws.deliver(msg(7, 'status_update', ev('d')));
    ws.deliver('not json');
    expect(r.snapshots).toEqual([snap(1), snap(2)]);
    expect(r.events.map((e) => (e as { line: string }).line)).toEqual(['a', 'b', 'd']);
    expect(statuses).toEqual(['connecting', 'open']);
    conn.close();
    expect(ws.closedWith).toBe(1000);
    expect(statuses.at(-1)).toBe('closed');
  });

  it('reconnects with growing delays and starts a new sequence on each connection', () => {
    const r = recorder();
    const conn = connectStream({
      url: 'ws://h/orchestrator/stream',
      WebSocket: FakeSocket,
      ...r,
      backoff: { initialMs: 100, maxMs: 400 },
    });
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.deliver(msg(1, 'snapshot', snap(1)));
    FakeSocket.all[0]!.deliver(msg(2, 'log', [ev('a')]));
    FakeSocket.all[0]!.drop(4008);
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.drop();
    vi.advanceTimersByTime(99);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(101);
    expect(FakeSocket.all).toHaveLength(3);
    const ws = FakeSocket.all[2]!;
    ws.open();
    ws.deliver(msg(1, 'snapshot', snap(3)));
    ws.deliver(msg(2, 'log', [ev('b')]));
    expect(r.snapshots).toEqual([snap(1), snap(3)]);
    expect(r.events.map((e) => (e as { line: string }).line)).toEqual(['a', 'b']);
    expect(ws.sent).toEqual([]);
    conn.close();
    ws.drop();
    vi.advanceTimersByTime(10_000);
    expect(FakeSocket.all).toHaveLength(3);
  });

  it('needs a WebSocket implementation', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      expect(() => connectStream({ url: 'ws://h', ...recorder() })).toThrow(/no WebSocket/);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});
