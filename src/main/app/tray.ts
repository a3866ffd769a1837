/** The tray icon: the system's state in its tooltip, and a menu to show the window or stop everything. */
import { Menu, Tray, nativeImage } from 'electron';
import type { SystemState } from '../../shared/model.js';

export interface TrayActions {
  show(): void;
  startAll(): void;
  stopAll(): void;
  quit(): void;
}

export interface VigilTray {
  update(summary: string, state: SystemState | null): void;
  destroy(): void;
}

export function createTray(iconPath: string, actions: TrayActions): VigilTray | null {
  let tray: Tray;
  try {
    const image = nativeImage.createFromPath(iconPath);
    tray = new Tray(
      image.isEmpty() ? nativeImage.createEmpty() : image.resize({ width: 18, height: 18 }),
    );
  } catch {
    return null; // no tray on this desktop: closing the window then simply keeps running
  }
  let summary = 'Vigil';
  const rebuild = () => {
    tray.setToolTip(summary);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: summary, enabled: false },
        { type: 'separator' },
        { label: 'Show Vigil', click: () => actions.show() },
        { label: 'Start All', click: () => actions.startAll() },
        { label: 'Stop All', click: () => actions.stopAll() },
        { type: 'separator' },
        { label: 'Stop the Stack and Quit', click: () => actions.quit() },
      ]),
    );
  };
  tray.on('click', () => actions.show());
  rebuild();
  return {
    update(next, _state) {
      if (next === summary) return;
      summary = next;
      rebuild();
    },
    destroy() {
      tray.destroy();
    },
  };
}
