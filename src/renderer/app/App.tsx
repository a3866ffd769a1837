/** The window: top bar, graph or timeline, the service panel, the status bar, and the empty/error states. */
import { useEffect, useRef } from 'react';
import { ConfigBanner } from '../features/config/ConfigBanner.js';
import { Toasts } from '../features/config/Toasts.js';
import { GraphCanvas } from '../features/graph/GraphCanvas.js';
import { neighbour } from '../features/graph/navigation.js';
import { Timeline } from '../features/healing/Timeline.js';
import { ExportDialog } from '../features/reports/ExportDialog.js';
import { ServicePanel } from '../features/services/ServicePanel.js';
import { actionStates } from '../features/services/actions.js';
import { StatusBar } from '../features/status/StatusBar.js';
import { useDeps, useVigil } from './context.js';
import { isControlTarget, isFieldTarget, keyCommand } from './keyboard.js';
import { otherTheme, saveTheme, type Theme } from './theme.js';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function TopBar() {
  const { store, controller } = useDeps();
  const reloading = useVigil((s) => s.reloading);
  const ready = useVigil((s) => s.load.phase === 'ready');
  const name = useVigil((s) => s.system?.name ?? '');
  const file = useVigil((s) => s.system?.stack_file ?? '');
  const view = useVigil((s) => s.view);
  const theme = useVigil((s) => s.theme);
  const healingCount = useVigil((s) => s.healing.length);
  return (
    <header className="vg-topbar">
      <div className="vg-brand">
        <svg className="vg-logo" viewBox="0 0 24 24" aria-hidden="true">
          <path d="M12 2 3 6v6c0 5 3.8 9.3 9 10 5.2-.7 9-5 9-10V6l-9-4Z" />
          <path className="vg-logo-beat" d="M6.5 12.5h3l1.5-3 2 6 1.5-3h3" />
        </svg>
        <span className="vg-brand-name">Vigil</span>
        {name ? (
          <span className="vg-stack" title={file}>
            {name}
          </span>
        ) : null}
      </div>
      <nav className="vg-views" role="tablist" aria-label="Views">
        <button
          type="button"
          role="tab"
          aria-selected={view === 'graph'}
          className={view === 'graph' ? 'is-active' : ''}
          onClick={() => store.getState().setView('graph')}
        >
          Graph
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={view === 'timeline'}
          className={view === 'timeline' ? 'is-active' : ''}
          onClick={() => store.getState().setView('timeline')}
        >
          Healing timeline
          {healingCount > 0 ? <span className="vg-pill">{healingCount}</span> : null}
        </button>
      </nav>
      <div className="vg-topbar-actions">
        <button
          type="button"
          className="vg-btn"
          disabled={reloading || !ready}
          title="Re-read the stack file and apply the difference"
          onClick={() => void controller.reloadStack()}
          data-testid="reload-stack"
        >
          {reloading ? 'Reloading…' : 'Reload stack'}
        </button>
        <button
          type="button"
          className="vg-btn"
          onClick={() => store.getState().setExportOpen(true)}
        >
          Export report
        </button>
        <button
          type="button"
          className="vg-icon-btn"
          aria-label={`Switch to ${otherTheme(theme)} theme`}
          title="Toggle theme (t)"
          onClick={() => toggleTheme(store.getState().theme, store.getState().setTheme)}
          data-testid="theme-toggle"
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </div>
    </header>
  );
}

function toggleTheme(current: Theme, set: (t: Theme) => void): void {
  const next = otherTheme(current);
  set(next);
  saveTheme(storage(), next);
}

function Centered(props: { title: string; children?: React.ReactNode; tone?: 'error' }) {
  return (
    <div className={`vg-state${props.tone === 'error' ? ' is-error' : ''}`} role="status">
      <h2>{props.title}</h2>
      {props.children}
    </div>
  );
}

function LoadError() {
  const load = useVigil((s) => s.load);
  const { controller, transport } = useDeps();
  if (load.phase !== 'error') return null;
  const unauthorized = load.code === 'UNAUTHORIZED' || load.code === 'FORBIDDEN';
  return (
    <Centered
      title={unauthorized ? 'This page is not signed in to Vigil' : 'Cannot reach Vigil'}
      tone="error"
    >
      <p className="vg-state-detail">{load.message}</p>
      {unauthorized ? (
        <p>
          Open the link that <code>vigil up --ui</code> printed (it ends in <code>?token=…</code>);
          the token is then kept in a cookie for this page.
        </p>
      ) : transport === 'http' ? (
        <p>
          Start Vigil with <code>vigil up --ui</code>, then try again. This page keeps trying to
          reconnect on its own.
        </p>
      ) : (
        <p>The supervisor did not answer. Reload the stack from the File menu.</p>
      )}
      <button type="button" className="vg-btn is-primary" onClick={() => void controller.start()}>
        Try again
      </button>
    </Centered>
  );
}

function Main(props: { searchRef: React.RefObject<HTMLInputElement | null> }) {
  const load = useVigil((s) => s.load);
  const count = useVigil((s) => s.order.length);
  const view = useVigil((s) => s.view);
  const panelOpen = useVigil((s) => s.panelOpen);
  const file = useVigil((s) => s.system?.stack_file ?? 'vigil.yaml');
  if (load.phase === 'loading') {
    return (
      <Centered title="Connecting to Vigil…">
        <div className="vg-spinner" aria-hidden="true" />
      </Centered>
    );
  }
  if (load.phase === 'error') return <LoadError />;
  return (
    <main className={`vg-main${panelOpen ? ' has-panel' : ''}`}>
      <div className="vg-stage">
        {view === 'timeline' ? (
          <Timeline />
        ) : count === 0 ? (
          <Centered title="This stack has no services yet">
            <p>
              Add services to <code>{file}</code>; Vigil reloads the file when it changes and the
              graph appears here.
            </p>
          </Centered>
        ) : (
          <GraphCanvas />
        )}
      </div>
      {panelOpen ? <ServicePanel searchRef={props.searchRef} /> : null}
    </main>
  );
}

function DisconnectedBanner() {
  const connection = useVigil((s) => s.connection);
  const ready = useVigil((s) => s.load.phase === 'ready');
  if (!ready || connection === 'open') return null;
  return (
    <div className="vg-banner" role="alert" data-testid="disconnected">
      {connection === 'connecting'
        ? 'Reconnecting to Vigil… what you see may be out of date.'
        : 'Disconnected from Vigil. Is it still running? This page reconnects on its own.'}
    </div>
  );
}

/** Commands from the desktop app's menus (through the preload's `vigilDesktop`, never a page event). */
function useMenuCommands() {
  const { store, controller, desktop } = useDeps();
  useEffect(() => {
    if (!desktop) return undefined;
    return desktop.onMenuCommand((command) => {
      const st = store.getState();
      switch (command) {
        case 'toggle-theme':
          toggleTheme(st.theme, st.setTheme);
          break;
        case 'export-report':
          st.setExportOpen(true);
          break;
        case 'reload-stack':
          void controller.reloadStack();
          break;
      }
    });
  }, [store, controller, desktop]);
}

/** Global shortcuts; see keyboard.ts. */
function useShortcuts(searchRef: React.RefObject<HTMLInputElement | null>) {
  const { store, controller } = useDeps();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const cmd = keyCommand({
        key: e.key,
        ctrlKey: e.ctrlKey,
        metaKey: e.metaKey,
        altKey: e.altKey,
        inField: isFieldTarget(e.target),
        onControl: isControlTarget(e.target),
      });
      if (!cmd) return;
      const st = store.getState();
      switch (cmd.kind) {
        case 'close':
          if (st.exportOpen) st.setExportOpen(false);
          else if (st.panelOpen) st.closePanel();
          else return;
          break;
        case 'move': {
          if (st.view !== 'graph' || st.exportOpen) return;
          const next = neighbour(st.positions, st.order, st.selected, cmd.dir);
          if (next) st.moveTo(next);
          break;
        }
        case 'open':
          if (st.view !== 'graph' || st.selected === null) return;
          st.openPanel();
          break;
        case 'restart': {
          const s = st.selected !== null ? st.services[st.selected] : undefined;
          if (!s || !actionStates(s, st.busy === s.name).restart.enabled) return;
          void controller.runAction(s.name, 'restart');
          break;
        }
        case 'focus-search':
          if (!st.panelOpen) return;
          st.setPanelTab('logs');
          requestAnimationFrame(() => searchRef.current?.focus());
          break;
        case 'toggle-theme':
          toggleTheme(st.theme, st.setTheme);
          break;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, controller, searchRef]);
}

export function App() {
  const theme = useVigil((s) => s.theme);
  const exportOpen = useVigil((s) => s.exportOpen);
  const name = useVigil((s) => s.system?.name);
  const searchRef = useRef<HTMLInputElement | null>(null);
  useShortcuts(searchRef);
  useMenuCommands();
  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
    document.documentElement.style.colorScheme = theme;
  }, [theme]);
  useEffect(() => {
    document.title = name ? `${name} — Vigil` : 'Vigil';
  }, [name]);
  return (
    <div className="vg-app">
      <TopBar />
      <DisconnectedBanner />
      <ConfigBanner />
      <Main searchRef={searchRef} />
      <StatusBar />
      {exportOpen ? <ExportDialog /> : null}
      <Toasts />
    </div>
  );
}
