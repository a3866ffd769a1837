/**
 * The application menu as data: built from the actions the shell offers and the recent stacks, so
 * that its shape is tested without Electron.
 */
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import type { ReportFormat } from '../../shared/views.js';

export type ExportFormat = ReportFormat | 'pdf';

/** The default file name for a report: `<stack>-report-<date>.<ext>`. */
export function reportFileName(stack: string, format: ExportFormat, now: Date): string {
  const day = now.toISOString().slice(0, 10);
  const safe = stack.replace(/[^A-Za-z0-9_-]/g, '_') || 'vigil';
  return `${safe}-report-${day}.${format}`;
}

export interface MenuActions {
  openStack(): void;
  openRecent(file: string): void;
  clearRecent(): void;
  reloadStack(): void;
  startAll(): void;
  stopAll(): void;
  checkHealthNow(): void;
  exportReport(format: ExportFormat): void;
  toggleTheme(): void;
  showDataDir(): void;
  quit(): void;
}

export const EXPORT_LABELS: readonly { readonly format: ExportFormat; readonly label: string }[] = [
  { format: 'md', label: 'Markdown…' },
  { format: 'html', label: 'HTML…' },
  { format: 'json', label: 'JSON…' },
  { format: 'csv', label: 'CSV…' },
  { format: 'pdf', label: 'PDF…' },
];

export function menuTemplate(
  actions: MenuActions,
  recent: readonly string[],
  opts: { isMac: boolean; dev: boolean; appName: string },
): MenuItemConstructorOptions[] {
  const recentItems: MenuItemConstructorOptions[] =
    recent.length === 0
      ? [{ label: 'No recent stacks', enabled: false }]
      : [
          ...recent.map((file): MenuItemConstructorOptions => ({
            label: `${path.basename(path.dirname(file))}/${path.basename(file)}`,
            sublabel: file,
            toolTip: file,
            click: () => actions.openRecent(file),
          })),
          { type: 'separator' },
          { label: 'Clear Recent', click: () => actions.clearRecent() },
        ];

  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'Open Stack…', accelerator: 'CmdOrCtrl+O', click: () => actions.openStack() },
      { label: 'Open Recent', submenu: recentItems },
      {
        label: 'Reload Stack File',
        accelerator: 'CmdOrCtrl+Shift+R',
        click: () => actions.reloadStack(),
      },
      { type: 'separator' },
      {
        label: 'Export Report',
        submenu: EXPORT_LABELS.map((e): MenuItemConstructorOptions => ({
          label: e.label,
          ...(e.format === 'md' ? { accelerator: 'CmdOrCtrl+E' } : {}),
          click: () => actions.exportReport(e.format),
        })),
      },
      { type: 'separator' },
      { label: 'Show Data Directory', click: () => actions.showDataDir() },
      ...(opts.isMac
        ? []
        : ([
            { type: 'separator' },
            { label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() },
          ] as MenuItemConstructorOptions[])),
    ],
  };

  const stack: MenuItemConstructorOptions = {
    label: 'Stack',
    submenu: [
      { label: 'Start All', accelerator: 'CmdOrCtrl+Shift+S', click: () => actions.startAll() },
      { label: 'Stop All', accelerator: 'CmdOrCtrl+Shift+X', click: () => actions.stopAll() },
      { type: 'separator' },
      { label: 'Check Health Now', click: () => actions.checkHealthNow() },
    ],
  };

  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      {
        label: 'Toggle Theme',
        accelerator: 'CmdOrCtrl+Shift+L',
        click: () => actions.toggleTheme(),
      },
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(opts.dev
        ? ([
            { type: 'separator' },
            { role: 'reload' },
            { role: 'toggleDevTools' },
          ] as MenuItemConstructorOptions[])
        : []),
    ],
  };

  const edit: MenuItemConstructorOptions = {
    label: 'Edit',
    submenu: [{ role: 'copy' }, { role: 'selectAll' }],
  };

  return [
    ...(opts.isMac
      ? ([
          {
            label: opts.appName,
            submenu: [
              { role: 'about' },
              { type: 'separator' },
              { role: 'hide' },
              { role: 'hideOthers' },
              { type: 'separator' },
              { label: `Quit ${opts.appName}`, accelerator: 'Cmd+Q', click: () => actions.quit() },
            ],
          },
        ] as MenuItemConstructorOptions[])
      : []),
    file,
    edit,
    stack,
    view,
    { role: 'windowMenu' },
  ];
}
