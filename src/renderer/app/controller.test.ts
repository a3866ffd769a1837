import { describe, expect, it, vi } from 'vitest';
import type { VigilClient } from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { StreamCallbacks, Transport } from '../api/transport.js';
import { LogStore } from '../logs/ring.js';
import { createVigilStore } from '../state/store.js';
import { T0, healing, replicas, serviceEvent, snapshot, view } from '../testing/support.js';
import { REPLICA_REFRESH_MS, createController, type Scheduler } from './controller.js';

function fakeScheduler() {
  const frames: (() => void)[] = [];
  const timers = new Map<number, () => void>();
  const delays = new Map<number, number>();
  let id = 0;
  const sched: Scheduler = {
    frame: (fn) => void frames.push(fn),
    setTimeout: (fn, ms) => {
      timers.set(++id, fn);
      delays.set(id, ms);
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  return {
    sched,
    runFrames: () => frames.splice(0).forEach((f) => f()),
    /** Runs (and removes) the timers set for `ms`. */
    fire: (ms: number) => {
      for (const [k, fn] of [...timers]) {
        if (delays.get(k) !== ms) continue;
        timers.delete(k);
        fn();
      }
    },
    pendingFor: (ms: number) => [...timers.keys()].filter((k) => delays.get(k) === ms).length,
    frames,
    timers,
  };
}

function fakeTransport(client: Partial<VigilClient>) {
  let cb: StreamCallbacks | null = null;
  const transport: Transport = {
    kind: 'http',
    client: client as VigilClient,
    connect(c) {
      cb = c;
      c.onStatus('connecting');
      return { close: () => c.onStatus('closed') };
    },
  };
  return { transport, stream: () => cb! };
}

const baseClient = () => ({
  getStatus: vi.fn(async () => snapshot([view('api'), view('db')])),
  getHealingHistory: vi.fn(async () => ({
    success: true as const,
    events: [healing('db', 'restart', T0 - 1)],
  })),
  getService: vi.fn(async ({ name }: { name: string }) => ({
    ...view(name, { restarts: 1 }),
    spec: {},
    health_history: [],
    log_file: null,
  })),
});

describe('controller', () => {
  it('loads the state, then applies stream events once per frame', async () => {
    const client = baseClient();
    const { transport, stream } = fakeTransport(client);
    const store = createVigilStore({ theme: 'light' });
    const s = fakeScheduler();
    const ctl = createController({ transport, store, logs: new LogStore(), scheduler: s.sched });
    await ctl.start();
    expect(store.getState().load.phase).toBe('ready');
    expect(store.getState().order).toEqual(['api', 'db']);
    await vi.waitFor(() => expect(store.getState().healing).toHaveLength(1));

    stream().onStatus('open');
    expect(store.getState().connection).toBe('open');
    stream().onEvent(serviceEvent('api', 'running', 'backoff'));
    stream().onEvent(healing('api', 'restart', T0 + 5));
    expect(store.getState().services['api']!.lifecycle).toBe('running');
    expect(s.frames).toHaveLength(1);
    s.runFrames();
    expect(store.getState().services['api']!.lifecycle).toBe('backoff');
    expect(store.getState().services['api']!.restart_count).toBe(1);
    ctl.stop();
    expect(store.getState().connection).toBe('closed');
  });

  it('sends log events to the rings, never to the store', async () => {
    const client = baseClient();
    const { transport, stream } = fakeTransport(client);
    const store = createVigilStore({ theme: 'light' });
    const logs = new LogStore();
    const s = fakeScheduler();
    const ctl = createController({ transport, store, logs, scheduler: s.sched });
    await ctl.start();
    const before = store.getState();
    for (let i = 1; i <= 100; i++) {
      stream().onEvent({
        type: 'log',
        ts: T0 + i,
        service: 'api',
        stream: 'stdout',
        line: `l${i}`,
        seq: i,
      });
    }
    expect(logs.ring('api').size).toBe(100);
    expect(s.frames).toHaveLength(0);
    expect(store.getState()).toBe(before);
  });

  it('shows what went wrong when Vigil cannot be reached', async () => {
    const client = {
      ...baseClient(),
      getStatus: vi.fn(async () => {
        throw new VigilError('UNAUTHORIZED', 'missing or wrong token');
      }),
    };
    const { transport } = fakeTransport(client);
    const store = createVigilStore({ theme: 'light' });
    await createController({
      transport,
      store,
      logs: new LogStore(),
      scheduler: fakeScheduler().sched,
    }).start();
    expect(store.getState().load).toMatchObject({ phase: 'error', code: 'UNAUTHORIZED' });
  });

  it('runs an action, then refreshes that service; an API error is shown on it', async () => {
    const client = {
      ...baseClient(),
      restartService: vi.fn(async () => ({}) as never),
      releaseService: vi.fn(async () => {
        throw new VigilError('CONFLICT', 'api is not quarantined (it is running)');
      }),
    };
    const { transport } = fakeTransport(client);
    const store = createVigilStore({ theme: 'light' });
    const ctl = createController({
      transport,
      store,
      logs: new LogStore(),
      scheduler: fakeScheduler().sched,
    });
    await ctl.start();

    expect(await ctl.runAction('api', 'force_restart')).toBe(true);
    expect(client.restartService).toHaveBeenCalledWith({ name: 'api', force: true });
    expect(store.getState().services['api']!.restart_count).toBe(1);
    expect(store.getState().busy).toBeNull();

    expect(await ctl.runAction('api', 'release')).toBe(false);
    expect(store.getState().actionError).toEqual({
      service: 'api',
      message: 'api is not quarantined (it is running) (CONFLICT)',
    });
  });

  it('seeds a service log ring once from the API', async () => {
    const client = {
      ...baseClient(),
      getLogs: vi.fn(async () => ({
        success: true as const,
        service: 'api',
        lines: [{ seq: 1, ts: T0, stream: 'stdout' as const, line: 'booted' }],
        last_seq: 1,
        file: null,
      })),
    };
    const { transport } = fakeTransport(client);
    const logs = new LogStore();
    const ctl = createController({
      transport,
      store: createVigilStore({ theme: 'light' }),
      logs,
      scheduler: fakeScheduler().sched,
    });
    await ctl.loadLogs('api');
    await ctl.loadLogs('api');
    expect(client.getLogs).toHaveBeenCalledTimes(1);
    expect(
      logs
        .ring('api')
        .toArray()
        .map((l) => l.line),
    ).toEqual(['booted']);
  });
});

describe('stack file reload', () => {
  const rejectedEvent = {
    type: 'status_update' as const,
    ts: T0 + 10,
    system: 'healthy' as const,
    event: 'config-rejected' as const,
    message:
      'stack file change rejected (vigil.yaml:7:5: unknown key "bogus"); still running the last good configuration',
  };

  it('a rejected change from the stream raises the banner; a reload event clears it', async () => {
    const { transport, stream } = fakeTransport(baseClient());
    const store = createVigilStore({ theme: 'light' });
    const s = fakeScheduler();
    await createController({ transport, store, logs: new LogStore(), scheduler: s.sched }).start();
    stream().onEvent(rejectedEvent);
    s.runFrames();
    expect(store.getState().notices.rejected?.problems).toEqual([
      { where: 'vigil.yaml:7:5', path: null, message: 'unknown key "bogus"' },
    ]);
    stream().onEvent({
      ...rejectedEvent,
      ts: T0 + 20,
      event: 'config-reloaded',
      message: 'stack file reloaded (file changed): restarted: web',
    });
    s.runFrames();
    expect(store.getState().notices.rejected).toBeNull();
    expect(store.getState().notices.toasts.map((t) => t.text)).toEqual(['restarted: web']);
  });

  it('Reload stack shows the refused file problems, or what changed', async () => {
    const reload = vi
      .fn()
      .mockResolvedValueOnce({
        success: false,
        applied: false,
        changes: { added: [], removed: [], restarted: [], updated_in_place: [], unchanged: [] },
        errors: [{ message: 'bad', file: '/s/vigil.yaml', line: 3, col: 1, path: 'services.api' }],
      })
      .mockResolvedValueOnce({
        success: true,
        applied: true,
        changes: {
          added: [],
          removed: [],
          restarted: ['api'],
          updated_in_place: [],
          unchanged: [],
        },
        errors: [],
      })
      .mockRejectedValueOnce(new VigilError('FORBIDDEN', 'not allowed'));
    const client = { ...baseClient(), reload };
    const { transport } = fakeTransport(client);
    const store = createVigilStore({ theme: 'light' });
    const ctl = createController({
      transport,
      store,
      logs: new LogStore(),
      scheduler: fakeScheduler().sched,
    });
    await ctl.start();
    const first = ctl.reloadStack();
    expect(store.getState().reloading).toBe(true);
    // a second click while the first runs does nothing
    expect(await ctl.reloadStack()).toBeNull();
    expect((await first)?.applied).toBe(false);
    expect(store.getState().reloading).toBe(false);
    expect(store.getState().notices.rejected?.problems).toEqual([
      { where: 'vigil.yaml:3:1', path: 'services.api', message: 'bad' },
    ]);
    await ctl.reloadStack();
    expect(store.getState().notices.rejected).toBeNull();
    expect(store.getState().notices.toasts.at(-1)?.text).toBe('restarted: api');
    expect(await ctl.reloadStack()).toBeNull();
    expect(store.getState().notices.toasts.at(-1)).toMatchObject({
      tone: 'error',
      text: 'not allowed (FORBIDDEN)',
    });
    expect(reload).toHaveBeenCalledTimes(3);
  });

  it('a snapshot taken while a change is rejected shows the banner', () => {
    const store = createVigilStore({ theme: 'light' });
    store.getState().snapshot({ ...snapshot([view('api')]), last_status_event: rejectedEvent });
    expect(store.getState().notices.rejected?.problems[0]?.where).toBe('vigil.yaml:7:5');
    store.getState().dismissConfigBanner();
    store.getState().snapshot({ ...snapshot([view('api')]), last_status_event: rejectedEvent });
    expect(store.getState().notices.rejected).toBeNull();
  });
});

describe('store ui slice', () => {
  it('opens the panel only for a known service and closes it', () => {
    const store = createVigilStore({ theme: 'dark' });
    store.getState().snapshot(snapshot([view('api')]));
    store.getState().openPanel('ghost');
    expect(store.getState().panelOpen).toBe(false);
    store.getState().openPanel('api');
    expect(store.getState()).toMatchObject({ panelOpen: true, selected: 'api' });
    store.getState().closePanel();
    expect(store.getState().panelOpen).toBe(false);
    store.getState().moveTo('api');
    expect(store.getState().reveal).toBe(1);
  });

  it('a snapshot without the selected service clears the selection', () => {
    const store = createVigilStore({ theme: 'dark' });
    store.getState().snapshot(snapshot([view('api')]));
    store.getState().openPanel('api');
    store.getState().snapshot(snapshot([view('db')]));
    expect(store.getState()).toMatchObject({ selected: null, panelOpen: false });
  });
});

describe('replicated services', () => {
  const apiView = (n: number) => ({ ...view('api'), replicas: replicas('api', n) });

  function setup(failoverService = vi.fn(async (): Promise<never> => ({}) as never)) {
    let n = 3;
    const client = {
      ...baseClient(),
      getStatus: vi.fn(async () => snapshot([apiView(3), view('db')])),
      getService: vi.fn(async ({ name }: { name: string }) => ({
        ...(name === 'api' ? apiView(n) : view(name)),
        spec: {},
        health_history: [],
        log_file: null,
      })),
      restartService: vi.fn(async () => ({}) as never),
      scaleService: vi.fn(async () => ({}) as never),
      failoverService,
    };
    const { transport, stream } = fakeTransport(client);
    const store = createVigilStore({ theme: 'light' });
    const s = fakeScheduler();
    const ctl = createController({ transport, store, logs: new LogStore(), scheduler: s.sched });
    return { client, stream, store, s, ctl, setInstances: (k: number) => (n = k) };
  }

  it("re-reads the service's view once for a burst of its instances' events", async () => {
    const { client, stream, store, s, ctl, setInstances } = setup();
    await ctl.start();
    client.getService.mockClear();
    stream().onEvent(serviceEvent('api#0', 'running', 'backoff'));
    stream().onEvent(serviceEvent('api#1', 'running', 'backoff'));
    stream().onEvent(healing('api#1', 'restart', T0 + 2));
    stream().onEvent(healing('api', 'instance_added', T0 + 3));
    expect(s.pendingFor(REPLICA_REFRESH_MS)).toBe(1);
    expect(client.getService).not.toHaveBeenCalled();
    setInstances(4);
    s.fire(REPLICA_REFRESH_MS);
    await vi.waitFor(() => expect(client.getService).toHaveBeenCalledTimes(1));
    expect(client.getService).toHaveBeenCalledWith({ name: 'api' });
    await vi.waitFor(() =>
      expect(store.getState().services['api']!.replicas!.instances).toHaveLength(4),
    );
    // the next event waits for its own turn
    stream().onEvent(serviceEvent('api#2', 'running', 'stopping'));
    expect(s.pendingFor(REPLICA_REFRESH_MS)).toBe(1);
    // a plain service's events re-read nothing
    s.fire(REPLICA_REFRESH_MS);
    stream().onEvent(serviceEvent('db', 'running', 'backoff'));
    expect(s.pendingFor(REPLICA_REFRESH_MS)).toBe(0);
    ctl.stop();
  });

  it('sends each replica action as its command, then re-reads the service', async () => {
    const { client, store, ctl } = setup();
    await ctl.start();
    client.getService.mockClear();
    expect(await ctl.runReplicaAction('api', { kind: 'restart_instance', index: 2 })).toBe(true);
    expect(await ctl.runReplicaAction('api', { kind: 'restart_all_at_once' })).toBe(true);
    expect(client.restartService.mock.calls).toEqual([
      [{ name: 'api', instance: 2 }],
      [{ name: 'api', all_at_once: true }],
    ]);
    expect(await ctl.runReplicaAction('api', { kind: 'scale', replicas: 5 })).toBe(true);
    expect(client.scaleService).toHaveBeenCalledWith({ name: 'api', replicas: 5 });
    expect(await ctl.runReplicaAction('api', { kind: 'failover' })).toBe(true);
    expect(await ctl.runReplicaAction('api', { kind: 'failback' })).toBe(true);
    expect(client.failoverService.mock.calls).toEqual([
      [{ name: 'api' }],
      [{ name: 'api', back: true }],
    ]);
    expect(client.getService).toHaveBeenCalledTimes(5);
    expect(store.getState().busy).toBeNull();
  });

  it("shows the API's refusal on the service", async () => {
    const { store, ctl } = setup(
      vi.fn(async (): Promise<never> => {
        throw new VigilError('CONFLICT', 'api has no "failover:" in the stack file');
      }),
    );
    await ctl.start();
    expect(await ctl.runReplicaAction('api', { kind: 'failover' })).toBe(false);
    expect(store.getState().actionError).toEqual({
      service: 'api',
      message: 'api has no "failover:" in the stack file (CONFLICT)',
    });
  });
});
