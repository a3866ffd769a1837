/**
 * Exporting the open stack from the desktop app, without Electron: the stack file is read again
 * (what is on disk is what gets exported), the user picks a folder (Kubernetes) or a file
 * (Compose) through injected dialogs, and the export is written by the same code as the CLI's.
 */
import path from 'node:path';
import { VigilError } from '../../shared/errors.js';
import type { DesktopStackExportRequest, DesktopStackExportResult } from '../../shared/desktop.js';
import { loadStack } from '../core/config/index.js';
import { writeExport } from '../export/index.js';

export interface StackExporter {
  /** The open stack's file. */
  readonly stackFile: string;
  /** A folder chosen by the user, or null when cancelled. */
  chooseFolder(title: string, defaultPath: string): Promise<string | null>;
  /** A file chosen by the user, or null when cancelled. */
  chooseFile(title: string, defaultPath: string): Promise<string | null>;
}

export async function saveStackExport(
  deps: StackExporter,
  req: DesktopStackExportRequest,
): Promise<DesktopStackExportResult> {
  const loaded = loadStack(deps.stackFile);
  if (!loaded.ok) {
    const e = loaded.errors[0]!;
    throw new VigilError(
      'STACK_INVALID',
      `${path.basename(e.file)}:${e.line}:${e.col} ${e.message}; fix the stack file before exporting`,
    );
  }
  const dir = path.dirname(deps.stackFile);
  const out =
    req.target === 'kubernetes'
      ? await deps.chooseFolder('Export to Kubernetes: choose a folder', dir)
      : await deps.chooseFile('Export to Compose', path.join(dir, 'compose.yaml'));
  if (out === null) return { saved: false };
  const outcome = writeExport(loaded.config, { target: req.target, out });
  if (!outcome.ok)
    throw new VigilError(
      'CONFLICT',
      `${outcome.message}${outcome.hint ? `: ${outcome.hint}` : ''}`,
    );
  return {
    saved: true,
    path: out,
    files: outcome.written.length,
    needImage: outcome.notes.filter((n) => n.topic === 'image').map((n) => n.service ?? ''),
    notes: outcome.notes.length,
  };
}
