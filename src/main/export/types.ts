/**
 * What an export produces: files (path relative to the output, YAML text with comments), the
 * objects behind them (for validation), and the notes: every key or edge whose meaning changes or
 * that has no equivalent, so that nothing is dropped silently.
 */

export const NOTE_TOPICS = [
  'image',
  'dependency',
  'probe',
  'secret',
  'replicas',
  'key',
  'network',
] as const;
export type NoteTopic = (typeof NOTE_TOPICS)[number];

export interface ExportNote {
  /** The Vigil service it is about; absent for the whole stack. */
  readonly service?: string;
  readonly topic: NoteTopic;
  /** What changes and, where there is one, what to do. */
  readonly message: string;
}

export interface ExportObject {
  /** The file it is written to. */
  readonly file: string;
  readonly object: Readonly<Record<string, unknown>>;
}

export interface ExportFile {
  /** Relative to the output folder (or the output file's name). */
  readonly path: string;
  readonly text: string;
}

export interface ExportResult {
  readonly files: readonly ExportFile[];
  readonly objects: readonly ExportObject[];
  readonly notes: readonly ExportNote[];
}

/** Reads an env file's variables (verbatim, no expansion); null when it cannot be read. */
export type EnvFileReader = (absolutePath: string) => ReadonlyMap<string, string> | null;
