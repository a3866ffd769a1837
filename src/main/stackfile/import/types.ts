/**
 * What importing another tool's stack file produces: a draft of a Vigil stack (rendered to YAML
 * with comments) and a warning for everything that could not be mapped, each pointing at where it
 * is in the source file.
 */
import type { ConfigIssue } from '../../core/config/index.js';

export const IMPORT_FORMATS = ['process-compose', 'procfile', 'pm2'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportWarning {
  /** What was not mapped (or was changed) and what to do about it. */
  readonly message: string;
  /** The source file. */
  readonly file: string;
  /** 1-based; absent where the format has no lines (a PM2 file evaluated as JavaScript). */
  readonly line?: number;
  readonly col?: number;
  /** Key path in the source, e.g. `processes.api.availability.exit_on_end` or `apps[0].watch`. */
  readonly path?: string;
  /** The Vigil service the warning is about, once named. */
  readonly service?: string;
}

export interface ImportResult {
  readonly format: ImportFormat;
  /** The stack file text, ready to write to `outFile`. */
  readonly yaml: string;
  readonly warnings: readonly ImportWarning[];
  /** Names of the services in the generated stack, in file order. */
  readonly services: readonly string[];
  /** Where the text is meant to be written: relative paths in it start from this file's directory. */
  readonly outFile: string;
  /** Problems the stack loader reports for the generated text (normally none). */
  readonly problems: readonly ConfigIssue[];
}

/** A position in a source file, 1-based. */
export interface SourcePos {
  readonly line: number;
  readonly col: number;
}

/** A service as it will be written: keys and values in the stack file's own shape. */
export interface DraftService {
  /** A valid service name. */
  name: string;
  /** A shell string or an argv list; already escaped for `${...}` interpolation. */
  command: string | readonly string[];
  /** Absolute working directory, when not the stack file's directory. */
  cwd?: string;
  /** Absolute env files, in order. */
  envFile?: readonly string[];
  /** Values already escaped for interpolation. */
  env?: Readonly<Record<string, string>>;
  port?: number;
  dependsOn?: readonly DraftDependency[];
  /** The `health` map as written in the stack file. */
  health?: Readonly<Record<string, unknown>>;
  restart?: {
    policy?: 'always' | 'on-failure' | 'never';
    backoff?: readonly string[];
    max_attempts?: number;
  };
  stop?: { signal?: string; timeout?: string };
  oneshot?: boolean;
  priority?: 'critical' | 'high' | 'medium' | 'low';
  limits?: { memory?: string };
  startupTimeout?: string;
  /** Instance count (process-compose `replicas`, PM2 `instances`). */
  replicas?: number;
  /** `balance` as written (PM2 cluster mode shares the port among instances). */
  balance?: { strategy: 'round_robin'; mode: 'http' };
  /** `watch:` as written in the stack file. */
  watch?: { paths?: string[]; ignore?: string[]; debounce?: string };
  /** Lines shown above the service (where it came from). */
  comment?: readonly string[];
  /** A comment after a key's value, e.g. `port: 3000  # from .env`. */
  keyComments?: Readonly<Record<string, string>>;
}

export interface DraftDependency {
  readonly name: string;
  readonly condition: 'started' | 'healthy' | 'completed';
  readonly comment?: string;
}

export interface DraftStack {
  readonly name: string;
  /** Comment lines at the top of the file. */
  readonly header: readonly string[];
  /** Absolute env files for the whole stack. */
  readonly envFile?: readonly string[];
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly services: readonly DraftService[];
  /** Services written as comments at the end of the file (disabled in the source), to uncomment. */
  readonly commented?: readonly { readonly note: string; readonly service: DraftService }[];
}

/** What a converter returns before rendering. */
export interface Conversion {
  readonly stack: DraftStack;
  readonly warnings: readonly ImportWarning[];
}

/** The file system as converters see it (real in the shell, a stub in unit tests if needed). */
export interface FsView {
  isFile(p: string): boolean;
  isDir(p: string): boolean;
  /** The file's text, or undefined when it cannot be read. */
  read(p: string): string | undefined;
}
