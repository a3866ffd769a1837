/** Collects import warnings, each pointing at its place in the source file. */
import { pathText, type KeyPath } from './source.js';
import type { ImportWarning, SourcePos } from './types.js';

export class WarningList {
  readonly items: ImportWarning[] = [];

  constructor(
    private readonly file: string,
    private readonly locate: (path: KeyPath) => SourcePos | undefined = () => undefined,
  ) {}

  /** A warning about the key at `path` (its position is looked up), optionally for a service. */
  at(path: KeyPath, message: string, service?: string): void {
    const pos = path.length > 0 ? this.locate(path) : undefined;
    this.items.push({
      message,
      file: this.file,
      ...(pos !== undefined ? { line: pos.line, col: pos.col } : {}),
      ...(path.length > 0 ? { path: pathText(path) } : {}),
      ...(service !== undefined ? { service } : {}),
    });
  }

  /** A warning at a known line and column (line-based formats). */
  line(pos: SourcePos, message: string, service?: string): void {
    this.items.push({
      message,
      file: this.file,
      line: pos.line,
      col: pos.col,
      ...(service !== undefined ? { service } : {}),
    });
  }
}

/** `file:line:col: message` (or `file: message` where there are no lines). */
export function formatWarning(w: ImportWarning, shownFile: string = w.file): string {
  const where = w.line !== undefined ? `${shownFile}:${w.line}:${w.col ?? 1}` : shownFile;
  const key = w.line === undefined && w.path !== undefined ? ` (${w.path})` : '';
  return `${where}${key}: ${w.message}`;
}
