/** What every view reads: the store, the log rings, the controller (API calls) and the transport kind. */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { VigilDesktop } from '../../shared/desktop.js';
import type { TransportKind } from '../api/transport.js';
import type { LogStore } from '../logs/ring.js';
import type { VigilState, VigilStore } from '../state/store.js';
import type { Controller } from './controller.js';

export interface AppDeps {
  readonly store: VigilStore;
  readonly logs: LogStore;
  readonly controller: Controller;
  readonly transport: TransportKind;
  /** The desktop app's bridge (menu commands, save dialogs, PDF); null in a browser. */
  readonly desktop: VigilDesktop | null;
}

const AppContext = createContext<AppDeps | null>(null);

export function AppProvider(props: { deps: AppDeps; children: ReactNode }) {
  return <AppContext.Provider value={props.deps}>{props.children}</AppContext.Provider>;
}

export function useDeps(): AppDeps {
  const deps = useContext(AppContext);
  if (!deps) throw new Error('AppProvider is missing');
  return deps;
}

/** A slice of the store; the view re-renders only when the selected value changes. */
export function useVigil<T>(selector: (s: VigilState) => T): T {
  return useStore(useDeps().store, selector);
}
