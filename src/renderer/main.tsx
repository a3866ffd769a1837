/** The renderer's entry: picks the transport, builds the store and the log rings, starts the app. */
import '@xyflow/react/dist/style.css';
import 'uplot/dist/uPlot.min.css';
import './styles/app.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { selectDesktop, selectTransport, type HostWindow } from './api/transport.js';
import { App } from './app/App.js';
import { AppProvider } from './app/context.js';
import { createController } from './app/controller.js';
import { loadTheme } from './app/theme.js';
import { LogStore } from './logs/ring.js';
import { createVigilStore } from './state/store.js';

function localStore(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const prefersDark =
  typeof window.matchMedia === 'function' &&
  window.matchMedia('(prefers-color-scheme: dark)').matches;
const theme = loadTheme(localStore(), prefersDark);
document.documentElement.dataset['theme'] = theme;

const transport = selectTransport(window as unknown as HostWindow);
const desktop = selectDesktop(window as unknown as HostWindow);
const store = createVigilStore({ theme });
const logs = new LogStore();
const controller = createController({ transport, store, logs });

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <AppProvider deps={{ store, logs, controller, transport: transport.kind, desktop }}>
        <App />
      </AppProvider>
    </StrictMode>,
  );
  void controller.start();
}
