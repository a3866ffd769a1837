import { describe, expect, it, vi } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { VigilClient } from '../../../shared/contract.js';
import type { HistoryStatusView, StatusResponse } from '../../../shared/views.js';
import type { Transport, StreamCallbacks } from '../../api/transport.js';
import { AppProvider } from '../../app/context.js';
import { createController, type Controller, type Scheduler } from '../../app/controller.js';
import { LogStore } from '../../logs/ring.js';
import { createVigilStore, type VigilStore } from '../../state/store.js';
import { T0, snapshot, view } from '../../testing/support.js';
import { StatusBar } from './StatusBar.js';
import { historyCause, historyChip } from './history.js';

const FULL: HistoryStatusView = {
  state: 'degraded',
  message:
    'history is not being saved: the disk is full (SQLITE_FULL) writing /data/vigil.db; keeping ' +
    'the newest 50000 records in memory and retrying (1234 dropped so far)',
  dropped_records: 1234,
};
const OK: HistoryStatusView = { state: 'ok', message: null, dropped_records: 0 };

function withHistory(h: HistoryStatusView | undefined): StatusResponse {
  const snap = snapshot([view('api')]);
  return { ...snap, system: { ...snap.system, ...(h ? { history: h } : {}) } };
}

function render(store: VigilStore): string {
  // A server render reads the store's initial state: hand it the current one.
  const s = { ...store, getInitialState: store.getState };
  return renderToStaticMarkup(
    <AppProvider
      deps={{
        store: s,
        logs: new LogStore(),
        controller: {} as Controller,
        transport: 'http',
        desktop: null,
      }}
    >
      <StatusBar />
    </AppProvider>,
  );
}

function storeWith(snap: StatusResponse): VigilStore {
  const store = createVigilStore({ theme: 'light' });
  store.getState().snapshot(snap);
  return store;
}

describe('history chip', () => {
  it('names the cause and the dropped records, with the full sentence as the tooltip', () => {
    expect(historyChip(FULL)).toEqual({
      tone: 'warn',
      text: 'History not saved: disk full (1,234 records dropped)',
      title: FULL.message,
    });
    expect(
      historyChip({
        state: 'memory',
        message:
          'history is not being saved (kept in memory until Vigil exits): cannot open /d/vigil.db: attempt to write a readonly database.',
        dropped_records: 0,
      })?.text,
    ).toBe('History not saved: read-only');
    expect(
      historyChip({
        state: 'recovered',
        message: 'the history database was corrupt: it was moved to vigil.db.corrupt-x',
        dropped_records: 0,
      }),
    ).toMatchObject({ tone: 'info', text: 'History restarted: the database was corrupt' });
    expect(historyChip({ state: 'degraded', message: 'odd', dropped_records: 1 })?.text).toBe(
      'History not saved: writes failing (1 record dropped)',
    );
    expect(historyChip(OK)).toBeNull();
    expect(historyChip(undefined)).toBeNull();
  });

  it('reads the causes Vigil writes', () => {
    expect(historyCause('the database is locked by another process (SQLITE_BUSY)')).toBe(
      'database locked',
    );
    expect(historyCause('the database became read-only (SQLITE_READONLY)')).toBe('read-only');
    expect(historyCause('a disk I/O error occurred (SQLITE_IOERR_WRITE)')).toBe('disk error');
    expect(historyCause('something else')).toBeNull();
  });
});

describe('StatusBar: history', () => {
  it('shows a warning chip while history is not saved, and nothing once it is again', () => {
    const store = storeWith(withHistory(FULL));
    const html = render(store);
    expect(html).toContain('data-testid="history-status"');
    expect(html).toContain('History not saved: disk full (1,234 records dropped)');
    expect(html).toContain('title="history is not being saved: the disk is full (SQLITE_FULL)');
    expect(html).toContain('vg-history tone-warn');

    store.getState().snapshot(withHistory(OK));
    expect(render(store)).not.toContain('history-status');
  });

  it('shows nothing when history is fine or the view has no history field', () => {
    expect(render(storeWith(withHistory(OK)))).not.toContain('history-status');
    expect(render(storeWith(withHistory(undefined)))).not.toContain('history-status');
  });

  it('picks the change up live: a status event brings a re-read that carries the new state', async () => {
    let current = withHistory(OK);
    const client = {
      getStatus: vi.fn(async () => current),
      getHealingHistory: vi.fn(async () => ({ success: true as const, events: [] })),
    };
    let cb: StreamCallbacks | null = null;
    const transport: Transport = {
      kind: 'http',
      client: client as unknown as VigilClient,
      connect(c) {
        cb = c;
        c.onStatus('open');
        return { close: () => c.onStatus('closed') };
      },
    };
    const timers: (() => void)[] = [];
    const frames: (() => void)[] = [];
    const sched: Scheduler = {
      frame: (fn) => void frames.push(fn),
      setTimeout: (fn) => timers.push(fn),
      clearTimeout: () => undefined,
    };
    const store = createVigilStore({ theme: 'light' });
    const ctl = createController({ transport, store, logs: new LogStore(), scheduler: sched });
    await ctl.start();
    expect(render(store)).not.toContain('history-status');

    // The disk fills up: Vigil emits one status event; the page re-reads the status.
    current = withHistory(FULL);
    cb!.onEvent({
      type: 'status_update',
      ts: T0,
      system: 'healthy',
      message: FULL.message!,
    });
    frames.splice(0).forEach((f) => f());
    timers.splice(0).forEach((t) => t());
    await vi.waitFor(() => expect(store.getState().system?.history?.state).toBe('degraded'));
    expect(render(store)).toContain('History not saved: disk full');

    // Space is back.
    current = withHistory({ ...OK, dropped_records: 1234 });
    cb!.onEvent({
      type: 'status_update',
      ts: T0 + 1,
      system: 'healthy',
      message: 'history is being saved again (1234 records were dropped)',
    });
    frames.splice(0).forEach((f) => f());
    timers.splice(0).forEach((t) => t());
    await vi.waitFor(() => expect(store.getState().system?.history?.state).toBe('ok'));
    expect(render(store)).not.toContain('history-status');
    ctl.stop();
  });
});
