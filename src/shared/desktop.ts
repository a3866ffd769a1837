/**
 * The desktop-only bridge's channels, `window.vigilDesktop`: what the page can ask of the desktop
 * shell beyond the API (a report saved through a save dialog, PDF included; the open stack exported
 * to Kubernetes or Compose) and the menu commands
 * the shell sends to the page. Each channel and its signature is declared here once, for the
 * preload, the main process's handlers and the renderer.
 */
import type { ReportFormat } from './views.js';

/** Main → renderer: one menu command (a string of MENU_COMMANDS). */
export const DESKTOP_MENU_CHANNEL = 'vigil-desktop:menu';
/** Renderer → main: export a report through a save dialog. */
export const DESKTOP_EXPORT_CHANNEL = 'vigil-desktop:export-report';

/** Renderer → main: export the open stack to Kubernetes manifests or a Compose file. */
export const DESKTOP_EXPORT_STACK_CHANNEL = 'vigil-desktop:export-stack';

export const DESKTOP_STACK_TARGETS = ['kubernetes', 'compose'] as const;
export type DesktopStackTarget = (typeof DESKTOP_STACK_TARGETS)[number];

export interface DesktopStackExportRequest {
  readonly target: DesktopStackTarget;
}

export interface DesktopStackExportResult {
  /** False when the user cancelled the dialog. */
  readonly saved: boolean;
  /** The folder (kubernetes) or file (compose) written. */
  readonly path?: string;
  readonly files?: number;
  /** Services written with an empty image, to be given one. */
  readonly needImage?: readonly string[];
  /** How many keys or edges changed meaning (listed in the files' comments). */
  readonly notes?: number;
}

/** What the menus ask the page to do. */
export const MENU_COMMANDS = ['toggle-theme', 'export-report', 'reload-stack'] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

export const DESKTOP_EXPORT_FORMATS = ['md', 'html', 'json', 'csv', 'pdf'] as const;
export type DesktopExportFormat = ReportFormat | 'pdf';

export interface DesktopExportRequest {
  readonly format: DesktopExportFormat;
  /** A duration back from now (`1h`, `24h`, `7d`) or an ISO date; absent: since the stack started. */
  readonly since?: string;
}

export interface DesktopExportResult {
  /** False when the user cancelled the save dialog. */
  readonly saved: boolean;
  readonly file?: string;
}

/** `window.vigilDesktop`. */
export interface VigilDesktop {
  /** Listens to menu commands; returns the function that stops listening. */
  onMenuCommand(cb: (command: MenuCommand) => void): () => void;
  /** Builds the report and saves it where the user says (a save dialog); PDF too. */
  exportReport(req: DesktopExportRequest): Promise<DesktopExportResult>;
  /** Exports the open stack where the user says (a folder for kubernetes, a file for compose). */
  exportStack?(req: DesktopStackExportRequest): Promise<DesktopStackExportResult>;
}

/** Every channel with the argument it carries and what comes back. */
export interface DesktopChannels {
  readonly [DESKTOP_EXPORT_CHANNEL]: {
    readonly request: DesktopExportRequest;
    readonly response: DesktopExportResult;
  };
  readonly [DESKTOP_MENU_CHANNEL]: { readonly request: MenuCommand; readonly response: void };
  readonly [DESKTOP_EXPORT_STACK_CHANNEL]: {
    readonly request: DesktopStackExportRequest;
    readonly response: DesktopStackExportResult;
  };
}

/** Checks the page's stack export request: exactly `{target}` with a known target. */
export function parseStackExportRequest(
  input: unknown,
): { ok: true; value: DesktopStackExportRequest } | { ok: false; message: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { ok: false, message: 'expected {target}' };
  const { target, ...rest } = input as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) return { ok: false, message: `unknown field "${extra[0]}"` };
  if (typeof target !== 'string' || !(DESKTOP_STACK_TARGETS as readonly string[]).includes(target))
    return { ok: false, message: `target must be one of ${DESKTOP_STACK_TARGETS.join(', ')}` };
  return { ok: true, value: { target: target as DesktopStackTarget } };
}

export function isMenuCommand(x: unknown): x is MenuCommand {
  return typeof x === 'string' && (MENU_COMMANDS as readonly string[]).includes(x);
}

const SINCE_MAX = 64;

/**
 * Checks what the page sent (it is untrusted input): a known format, and `since` a short string.
 * Returns the request or a message saying what is wrong.
 */
export function parseExportRequest(
  input: unknown,
): { ok: true; value: DesktopExportRequest } | { ok: false; message: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { ok: false, message: 'expected {format, since?}' };
  const { format, since, ...rest } = input as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) return { ok: false, message: `unknown field "${extra[0]}"` };
  if (
    typeof format !== 'string' ||
    !(DESKTOP_EXPORT_FORMATS as readonly string[]).includes(format)
  ) {
    return { ok: false, message: `format must be one of ${DESKTOP_EXPORT_FORMATS.join(', ')}` };
  }
  if (
    since !== undefined &&
    (typeof since !== 'string' || since.length > SINCE_MAX || since === '')
  )
    return { ok: false, message: `since must be a duration like 24h or a date` };
  return {
    ok: true,
    value: { format: format as DesktopExportFormat, ...(since !== undefined ? { since } : {}) },
  };
}
