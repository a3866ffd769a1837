/**
 * Report export in the desktop app: the real save dialog and PDF printer behind `saveReport`.
 * PDF is the HTML report loaded into a hidden, sandboxed, script-less window and printed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserWindow, app, dialog } from 'electron';
import type { VigilClient } from '../../shared/contract.js';
import type {
  DesktopExportRequest,
  DesktopExportResult,
  DesktopStackExportRequest,
  DesktopStackExportResult,
} from '../../shared/desktop.js';
import { saveReport, type SaveDialogRequest } from './report-export.js';
import { saveStackExport } from './stack-export.js';
import { guardWebContents } from './window.js';

async function printToPdf(html: string, scratchDir: string): Promise<Uint8Array> {
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
  readonly request: DesktopExportRequest;
  /** Where the PDF's temporary HTML may be written (inside the data directory). */
  readonly scratchDir: string;
}): Promise<DesktopExportResult> {
  const chooseFile = async (req: SaveDialogRequest): Promise<string | null> => {
    const dialogOpts = {
      title: req.title,
      defaultPath: req.defaultPath,
      filters: req.filters.map((f) => ({ name: f.name, extensions: [...f.extensions] })),
    };
    const choice = opts.parent
      ? await dialog.showSaveDialog(opts.parent, dialogOpts)
      : await dialog.showSaveDialog(dialogOpts);
    return choice.canceled || !choice.filePath ? null : choice.filePath;
  };
  return saveReport(
    {
      client: opts.client,
      stackName: opts.stackName,
      documentsDir: app.getPath('documents') || os.homedir(),
      chooseFile,
      printToPdf: (html) => printToPdf(html, opts.scratchDir),
      writeFile: (file, data) => fs.writeFileSync(file, data),
    },
    opts.request,
  );
}

/** The open stack exported to Kubernetes (a folder dialog) or Compose (a save dialog). */
export async function exportStack(opts: {
  readonly parent: BrowserWindow | null;
  readonly stackFile: string;
  readonly request: DesktopStackExportRequest;
}): Promise<DesktopStackExportResult> {
  const { parent } = opts;
  return saveStackExport(
    {
      stackFile: opts.stackFile,
      async chooseFolder(title, defaultPath) {
        const o = {
          title,
          defaultPath,
          properties: ['openDirectory', 'createDirectory'] as (
            'openDirectory' | 'createDirectory'
          )[],
        };
        const r = parent ? await dialog.showOpenDialog(parent, o) : await dialog.showOpenDialog(o);
        return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0]!;
      },
      async chooseFile(title, defaultPath) {
        const o = {
          title,
          defaultPath,
          filters: [{ name: 'Compose', extensions: ['yaml', 'yml'] }],
        };
        const r = parent ? await dialog.showSaveDialog(parent, o) : await dialog.showSaveDialog(o);
        return r.canceled || !r.filePath ? null : r.filePath;
      },
    },
    opts.request,
  );
}
