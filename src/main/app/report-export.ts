/**
 * Saving a healing report from the desktop app, without Electron: a save dialog (injected), the
 * report from the API, and for PDF the HTML report printed by a hidden window (injected). The
 * shell wires the real dialog and printer in export.ts; tests pass fakes.
 */
import path from 'node:path';
import type { VigilClient } from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { DesktopExportRequest, DesktopExportResult } from '../../shared/desktop.js';
import { reportFileName, type ExportFormat } from './menu.js';

export const EXPORT_FILTERS: Readonly<
  Record<ExportFormat, { readonly name: string; readonly extensions: readonly string[] }>
> = {
  md: { name: 'Markdown', extensions: ['md'] },
  html: { name: 'HTML', extensions: ['html'] },
  json: { name: 'JSON', extensions: ['json'] },
  csv: { name: 'CSV', extensions: ['csv'] },
  pdf: { name: 'PDF', extensions: ['pdf'] },
};

export interface SaveDialogRequest {
  readonly title: string;
  readonly defaultPath: string;
  readonly filters: readonly { readonly name: string; readonly extensions: readonly string[] }[];
}

export interface ReportSaver {
  readonly client: Pick<VigilClient, 'getReport'>;
  readonly stackName: string;
  /** Where the save dialog starts. */
  readonly documentsDir: string;
  /** The chosen file, or null when the user cancelled. */
  chooseFile(req: SaveDialogRequest): Promise<string | null>;
  /** Prints an HTML document to PDF (a hidden, sandboxed, script-less window). */
  printToPdf(html: string): Promise<Uint8Array>;
  writeFile(file: string, data: string | Uint8Array): void;
  readonly now?: () => Date;
}

/** Asks where, builds the report (HTML for PDF), writes it. `saved: false` when cancelled. */
export async function saveReport(
  deps: ReportSaver,
  req: DesktopExportRequest,
): Promise<DesktopExportResult> {
  const { format } = req;
  const file = await deps.chooseFile({
    title: 'Export healing report',
    defaultPath: path.join(
      deps.documentsDir,
      reportFileName(deps.stackName, format, (deps.now ?? (() => new Date()))()),
    ),
    filters: [EXPORT_FILTERS[format]],
  });
  if (file === null) return { saved: false };
  const report = await deps.client.getReport({
    format: format === 'pdf' ? 'html' : format,
    ...(req.since !== undefined ? { since: req.since } : {}),
  });
  const data = format === 'pdf' ? await deps.printToPdf(report.body) : report.body;
  try {
    deps.writeFile(file, data);
  } catch (err) {
    throw new VigilError('INTERNAL', `cannot write ${file}: ${(err as Error).message}`, {
      hint: 'choose a folder you can write to',
    });
  }
  return { saved: true, file };
}
