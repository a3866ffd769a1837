/**
 * The imperative shell of the renderer: loads the first state, keeps the stream connected, feeds
 * the store (at most one update per animation frame, however fast events come) and the log rings,
 * reconciles with the API now and then, and runs the panel's actions. Timers and frames come
 * through `Scheduler` so that tests drive it without a browser.
 */
import type { VigilClient } from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { VigilEvent } from '../../shared/events.js';
import type { ReloadResponse, StatusResponse } from '../../shared/views.js';
import type { Transport } from '../api/transport.js';
import type { ServiceAction } from '../features/services/actions.js';
import type { ReplicaAction } from '../features/services/replicas.js';
import type { LogStore } from '../logs/ring.js';
import { staleReplicaView } from '../state/reducers.js';
import type { VigilStore } from '../state/store.js';

export interface Scheduler {
  /** Runs `fn` before the next paint (requestAnimationFrame), or soon. */
  frame(fn: () => void): void;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const browserScheduler: Scheduler = {
  frame: (fn) => {
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => fn());
    else setTimeout(fn, 16);
  },
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** How often the views are reconciled with the API while events keep coming. */
export const RECONCILE_AFTER_EVENTS_MS = 1_000;
/** And when nothing happens. */
export const RECONCILE_IDLE_MS = 15_000;
/**
 * A replicated service's view is re-read at most this often while its instances' events come
 * (they name `api#1`, whose figures only the parent's view carries).
 */
export const REPLICA_REFRESH_MS = 500;
/** Healing history loaded at start for the timeline. */
export const HEALING_HISTORY_LIMIT = 500;

export interface Controller {
  readonly client: VigilClient;
  start(): Promise<void>;
  stop(): void;
  runAction(service: string, action: ServiceAction): Promise<boolean>;
  /** An action on a replicated service: one instance's restart, scale, failover, failback. */
  runReplicaAction(service: string, action: ReplicaAction): Promise<boolean>;
  /** Turns a service's file watch on or off (on also resumes a watch paused by a loop). */
  setWatch(service: string, enabled: boolean): Promise<boolean>;
  /** Fetches a service's recent log lines into its ring (once per service). */
  loadLogs(service: string): Promise<void>;
  /** Re-reads the whole state now. */
  refresh(): Promise<void>;
  /**
   * Asks Vigil to re-read the stack file and apply the difference; the answer becomes a toast
   * (what changed) or the config banner (every problem). Null when there was no answer.
   */
  reloadStack(): Promise<ReloadResponse | null>;
}

export function errorText(err: unknown): { code: string; message: string; hint?: string } {
  if (err instanceof VigilError) {
    return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}

export function createController(opts: {
  transport: Transport;
  store: VigilStore;
  logs: LogStore;
  scheduler?: Scheduler;
}): Controller {
  const { transport, store, logs } = opts;
  const sched = opts.scheduler ?? browserScheduler;
  const client = transport.client;
  let pending: VigilEvent[] = [];
  let frameQueued = false;
  let stream: { close(): void } | null = null;
  let reconcileTimer: unknown = null;
  let reconcileDue = 0;
  let stopped = false;
  const logsLoaded = new Set<string>();
  /** Replicated services whose view is due to be re-read, and the timer that will. */
  const replicaTimers = new Map<string, unknown>();

  const flush = (): void => {
    frameQueued = false;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    store.getState().events(batch);
  };

  const scheduleReconcile = (ms: number): void => {
    if (stopped) return;
    const due = Date.now() + ms;
    if (reconcileTimer !== null && reconcileDue <= due) return;
    if (reconcileTimer !== null) sched.clearTimeout(reconcileTimer);
    reconcileDue = due;
    reconcileTimer = sched.setTimeout(() => {
      reconcileTimer = null;
      void refresh().finally(() => scheduleReconcile(RECONCILE_IDLE_MS));
    }, ms);
  };

  const refreshService = async (service: string): Promise<void> => {
    try {
      store.getState().mergeDetail(await client.getService({ name: service }));
    } catch {
      // the stream and the next reconcile catch up
    }
  };

  const scheduleReplicaRefresh = (service: string): void => {
    if (stopped || replicaTimers.has(service)) return;
    replicaTimers.set(
      service,
      sched.setTimeout(() => {
        replicaTimers.delete(service);
        void refreshService(service);
      }, REPLICA_REFRESH_MS),
    );
  };

  const onEvent = (ev: VigilEvent): void => {
    if (ev.type === 'log') {
      logs.push(ev);
      return;
    }
    const stale = staleReplicaView(store.getState(), ev);
    if (stale !== null) scheduleReplicaRefresh(stale);
    pending.push(ev);
    if (!frameQueued) {
      frameQueued = true;
      sched.frame(flush);
    }
    scheduleReconcile(RECONCILE_AFTER_EVENTS_MS);
  };

  const onSnapshot = (snap: StatusResponse): void => {
    pending = [];
    store.getState().snapshot(snap);
    store.getState().setLoad({ phase: 'ready' });
    logs.retain(new Set(snap.services.map((s) => s.name)));
  };

  async function refresh(): Promise<void> {
    try {
      const status = await client.getStatus({});
      const st = store.getState();
      if (st.load.phase !== 'ready') {
        onSnapshot(status);
        return;
      }
      st.reconcile(status.services);
      store.setState((s) => ({
        system: status.system,
        lastStatus: status.last_status_event ?? s.lastStatus,
      }));
      st.addHealingHistory(status.recent_healing);
    } catch {
      // the connection state tells the user; the next reconcile tries again
    }
  }

  /**
   * Runs one command on a service: its buttons are disabled meanwhile, its view is re-read after,
   * and an error from the API is shown on it.
   */
  async function act(service: string, run: () => Promise<void>): Promise<boolean> {
    const st = store.getState();
    st.setBusy(service);
    st.setActionError(null);
    try {
      await run();
      await refreshService(service);
      return true;
    } catch (err) {
      const e = errorText(err);
      store.getState().setActionError({ service, message: `${e.message} (${e.code})` });
      return false;
    } finally {
      store.getState().setBusy(null);
    }
  }

  async function loadHealing(): Promise<void> {
    try {
      const res = await client.getHealingHistory({ limit: HEALING_HISTORY_LIMIT });
      store.getState().addHealingHistory(res.events);
    } catch {
      store.getState().addHealingHistory([]);
    }
  }

  return {
    client,
    async start() {
      stopped = false;
      store.getState().setLoad({ phase: 'loading' });
      try {
        onSnapshot(await client.getStatus({}));
      } catch (err) {
        store.getState().setLoad({ phase: 'error', ...errorText(err) });
      }
      stream = transport.connect({
        onSnapshot,
        onEvent,
        onStatus: (s) => {
          store.getState().setConnection(s);
          if (s === 'open' && store.getState().load.phase === 'error') void refresh();
        },
      });
      void loadHealing();
      scheduleReconcile(RECONCILE_IDLE_MS);
    },
    stop() {
      stopped = true;
      stream?.close();
      stream = null;
      if (reconcileTimer !== null) sched.clearTimeout(reconcileTimer);
      reconcileTimer = null;
      for (const t of replicaTimers.values()) sched.clearTimeout(t);
      replicaTimers.clear();
    },
    runAction: (service, action) =>
      act(service, async () => {
        switch (action) {
          case 'start':
            await client.startService({ name: service });
            break;
          case 'stop':
            await client.stopService({ name: service });
            break;
          case 'restart':
            await client.restartService({ name: service });
            break;
          case 'force_restart':
            await client.restartService({ name: service, force: true });
            break;
          case 'quarantine':
            await client.quarantineService({ name: service, reason: 'quarantined from the UI' });
            break;
          case 'release':
            await client.releaseService({ name: service });
            break;
        }
      }),
    runReplicaAction: (service, action) =>
      act(service, async () => {
        switch (action.kind) {
          case 'restart_instance':
            await client.restartService({ name: service, instance: action.index });
            break;
          case 'restart_all_at_once':
            await client.restartService({ name: service, all_at_once: true });
            break;
          case 'scale':
            await client.scaleService({ name: service, replicas: action.replicas });
            break;
          case 'failover':
            await client.failoverService({ name: service });
            break;
          case 'failback':
            await client.failoverService({ name: service, back: true });
            break;
        }
      }),
    setWatch: (service, enabled) =>
      act(service, async () => {
        await client.setWatch({ name: service, enabled });
      }),
    async loadLogs(service) {
      if (logsLoaded.has(service)) return;
      logsLoaded.add(service);
      try {
        const res = await client.getLogs({ name: service, tail: 1000 });
        logs.seed(service, res.lines);
      } catch {
        logsLoaded.delete(service);
      }
    },
    refresh,
    async reloadStack() {
      const st = store.getState();
      if (st.reloading) return null;
      st.setReloading(true);
      try {
        const res = await client.reload({});
        store.getState().reloadAnswered(res);
        if (res.applied) void refresh();
        return res;
      } catch (err) {
        store.getState().reloadFailed(errorText(err));
        return null;
      } finally {
        store.getState().setReloading(false);
      }
    },
  };
}
