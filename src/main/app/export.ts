/**
 * Report export from the menu: a save dialog, then the report from the API written to the chosen
 * file; PDF is the HTML report printed by a hidden, script-less window.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserWindow, app, dialog } from 'electron';
import type { VigilClient } from '../../shared/contract.js';
import { reportFileName, type ExportFormat } from './menu.js';
import { guardWebContents } from './window.js';

const FILTERS: Readonly<Record<ExportFormat, { name: string; extensions: string[] }>> = {
  md: { name: 'Markdown', extensions: ['md'] },
  html: { name: 'HTML', extensions: ['html'] },
  json: { name: 'JSON', extensions: ['json'] },
  csv: { name: 'CSV', extensions: ['csv'] },
  pdf: { name: 'PDF', extensions: ['pdf'] },
};

async function printToPdf(html: string, scratchDir: string): Promise<Buffer> {
  // The HTML goes through a file: data: URLs are limited in size. It is removed right after.
  fs.mkdirSync(scratchDir, { recursive: true, mode: 0o700 });
  const file = path.join(scratchDir, `report-${process.pid}-${Date.now()}.html`);
  fs.writeFileSync(file, html, { mode: 0o600 });
  const win = new BrowserWindow({
    show: false,
    webPreferences: {
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      javascript: false,
    },
  });
  guardWebContents(win.webContents);
  try {
    await win.loadFile(file);
    return await win.webContents.printToPDF({ printBackground: true, pageSize: 'A4' });
  } finally {
    win.destroy();
    fs.rmSync(file, { force: true });
  }
}

export async function exportReport(opts: {
  readonly parent: BrowserWindow | null;
  readonly client: VigilClient;
  readonly stackName: string;
  readonly format: ExportFormat;
  /** Where the PDF's temporary HTML may be written (inside the data directory). */
  readonly scratchDir: string;
}): Promise<string | null> {
  const { format } = opts;
  const defaultPath = path.join(
    app.getPath('documents') || os.homedir(),
    reportFileName(opts.stackName, format, new Date()),
  );
  const dialogOpts = {
    title: 'Export healing report',
    defaultPath,
    filters: [FILTERS[format]],
  };
  const choice = opts.parent
    ? await dialog.showSaveDialog(opts.parent, dialogOpts)
    : await dialog.showSaveDialog(dialogOpts);
  if (choice.canceled || !choice.filePath) return null;
  const report = await opts.client.getReport({ format: format === 'pdf' ? 'html' : format });
  if (format === 'pdf') {
    fs.writeFileSync(choice.filePath, await printToPdf(report.body, opts.scratchDir));
  } else {
    fs.writeFileSync(choice.filePath, report.body, 'utf8');
  }
  return choice.filePath;
}
