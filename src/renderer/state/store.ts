/**
 * The renderer's store (zustand), in four slices: services (views and their order), system
 * (composite state, connection, load state), healing (the timeline and its filter) and ui
 * (selection, panel, view, theme). Data changes go through the pure reducers of `reducers.ts`;
 * log lines never come here (they live in the log rings).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { VigilEvent } from '../../shared/events.js';
import type { HealingEvent } from '../../shared/events.js';
import type { ReloadResponse, ServiceView, StatusResponse } from '../../shared/views.js';
import type { Theme } from '../app/theme.js';
import {
  NO_NOTICES,
  addToast,
  dismissRejected,
  dropToast,
  noticeAfterReload,
  noticeAfterReloadError,
  noticeAfterSnapshot,
  noticeAfterStatus,
  type NoticeState,
  type Toast,
} from '../features/config/notice.js';
import type { Direction, Point } from '../features/graph/layout.js';
import {
  EMPTY_DATA,
  applyEvents,
  applySnapshot,
  mergeHealing,
  mergeServiceDetail,
  reconcileServices,
  type DataState,
} from './reducers.js';

export type ConnectionState = 'connecting' | 'open' | 'closed';

export type LoadState =
  | { readonly phase: 'loading' }
  | { readonly phase: 'ready' }
  | {
      readonly phase: 'error';
      readonly code: string;
      readonly message: string;
      readonly hint?: string;
    };

export type MainView = 'graph' | 'timeline';

export interface TimelineFilter {
  /** null: every service. */
  readonly service: string | null;
  /** Healing action group; 'all' shows every kind. */
  readonly kind: string;
}

export interface SystemSlice {
  readonly connection: ConnectionState;
  readonly load: LoadState;
  setConnection(c: ConnectionState): void;
  setLoad(l: LoadState): void;
}

export interface ServicesSlice {
  snapshot(snap: StatusResponse): void;
  events(evs: readonly VigilEvent[]): void;
  reconcile(list: readonly ServiceView[]): void;
  mergeDetail(view: ServiceView): void;
}

export interface HealingSlice {
  readonly timelineFilter: TimelineFilter;
  readonly healingLoaded: boolean;
  addHealingHistory(events: readonly HealingEvent[]): void;
  setTimelineFilter(f: Partial<TimelineFilter>): void;
}

/** The stack file's banner and the toasts (see features/config/notice.ts). */
export interface NoticesSlice {
  readonly notices: NoticeState;
  /** A "Reload stack" request is in flight. */
  readonly reloading: boolean;
  setReloading(r: boolean): void;
  reloadAnswered(res: ReloadResponse): void;
  reloadFailed(err: { readonly code: string; readonly message: string }): void;
  dismissConfigBanner(): void;
  toast(t: Omit<Toast, 'id' | 'ts'>): void;
  dropToast(id: number): void;
}

export interface ActionError {
  readonly service: string;
  readonly message: string;
}

export interface UiSlice {
  readonly selected: string | null;
  readonly panelOpen: boolean;
  readonly view: MainView;
  readonly theme: Theme;
  readonly exportOpen: boolean;
  readonly actionError: ActionError | null;
  /** Service whose action is in flight (buttons disabled meanwhile). */
  readonly busy: string | null;
  /** Where the canvas put each node (for arrow-key moves). */
  readonly positions: ReadonlyMap<string, Point>;
  /** Bumped when the canvas should bring the selected node into view. */
  readonly reveal: number;
  readonly panelTab: 'overview' | 'logs';
  /**
   * The instance whose lines the log view keeps (`api#1`), or null for all of them. It names its
   * service, so a panel of another service ignores it.
   */
  readonly logInstance: string | null;
  setLogInstance(id: string | null): void;
  /** Opens the logs of one instance of the selected service. */
  showInstanceLogs(id: string): void;
  /** Phases flow left to right, or top to bottom. */
  readonly direction: Direction;
  setDirection(d: Direction): void;
  setPanelTab(t: 'overview' | 'logs'): void;
  setPositions(p: ReadonlyMap<string, Point>): void;
  /** Selects a service and asks the canvas to show it. */
  moveTo(name: string): void;
  select(name: string | null): void;
  openPanel(name?: string): void;
  closePanel(): void;
  setView(v: MainView): void;
  setTheme(t: Theme): void;
  setExportOpen(open: boolean): void;
  setActionError(e: ActionError | null): void;
  setBusy(name: string | null): void;
}

export type VigilState = DataState &
  SystemSlice &
  ServicesSlice &
  HealingSlice &
  NoticesSlice &
  UiSlice;
export type VigilStore = StoreApi<VigilState>;

export interface StoreOptions {
  readonly theme: Theme;
  readonly now?: () => number;
}

export function createVigilStore(opts: StoreOptions): VigilStore {
  const now = opts.now ?? Date.now;
  return createStore<VigilState>()((set) => {
    const data = (fn: (d: DataState) => DataState) =>
      set((s) => {
        const next = fn(s);
        return next === s ? s : { ...next };
      });
    return {
      ...EMPTY_DATA,
      // system
      connection: 'connecting',
      load: { phase: 'loading' },
      setConnection: (connection) => set({ connection }),
      setLoad: (load) => set({ load }),
      // services
      snapshot: (snap) =>
        set((s) => {
          const next = applySnapshot(s, snap, now());
          const selected = s.selected !== null && next.services[s.selected] ? s.selected : null;
          return {
            ...next,
            selected,
            panelOpen: s.panelOpen && selected !== null,
            notices: noticeAfterSnapshot(
              s.notices,
              snap.last_status_event,
              snap.system.config_rollback,
            ),
          };
        }),
      events: (evs) =>
        set((s) => {
          const next = applyEvents(s, evs);
          let notices = s.notices;
          for (const ev of evs)
            if (ev.type === 'status_update') notices = noticeAfterStatus(notices, ev);
          if (next === s && notices === s.notices) return s;
          return { ...next, notices };
        }),
      reconcile: (list) => data((d) => reconcileServices(d, list)),
      mergeDetail: (view) => data((d) => mergeServiceDetail(d, view)),
      // healing
      timelineFilter: { service: null, kind: 'all' },
      healingLoaded: false,
      addHealingHistory: (events) =>
        set((s) => ({ healing: mergeHealing(events, s.healing), healingLoaded: true })),
      setTimelineFilter: (f) => set((s) => ({ timelineFilter: { ...s.timelineFilter, ...f } })),
      // notices
      notices: NO_NOTICES,
      reloading: false,
      setReloading: (reloading) => set({ reloading }),
      reloadAnswered: (res) => set((s) => ({ notices: noticeAfterReload(s.notices, res, now()) })),
      reloadFailed: (err) =>
        set((s) => ({ notices: noticeAfterReloadError(s.notices, err, now()) })),
      dismissConfigBanner: () => set((s) => ({ notices: dismissRejected(s.notices) })),
      toast: (t) => set((s) => ({ notices: addToast(s.notices, { ...t, ts: now() }) })),
      dropToast: (id) =>
        set((s) => {
          const notices = dropToast(s.notices, id);
          return notices === s.notices ? s : { notices };
        }),
      // ui
      selected: null,
      panelOpen: false,
      view: 'graph',
      theme: opts.theme,
      exportOpen: false,
      actionError: null,
      busy: null,
      panelTab: 'overview',
      direction: 'LR',
      setDirection: (direction) => set({ direction }),
      setPanelTab: (panelTab) => set({ panelTab }),
      logInstance: null,
      setLogInstance: (logInstance) => set({ logInstance }),
      showInstanceLogs: (id) => set({ logInstance: id, panelTab: 'logs' }),
      positions: new Map(),
      reveal: 0,
      setPositions: (positions) => set({ positions }),
      moveTo: (name) =>
        set((s) => (s.services[name] ? { selected: name, reveal: s.reveal + 1 } : s)),
      select: (selected) => set({ selected }),
      openPanel: (name) =>
        set((s) => {
          const target = name ?? s.selected;
          if (target === null || !s.services[target]) return s;
          return { selected: target, panelOpen: true, actionError: null };
        }),
      closePanel: () => set({ panelOpen: false, actionError: null }),
      setView: (view) => set({ view }),
      setTheme: (theme) => set({ theme }),
      setExportOpen: (exportOpen) => set({ exportOpen }),
      setActionError: (actionError) => set({ actionError }),
      setBusy: (busy) => set({ busy }),
    };
  });
}
