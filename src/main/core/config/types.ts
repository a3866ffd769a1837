/**
 * What the stack file loader reports: problems found in a stack file, each pointing at the node it is
 * about (file, 1-based line and column, key path) with a message that says what to do.
 */
import type { StackConfig } from '../../../shared/model.js';

export type ConfigIssueCode =
  | 'STACK_NOT_FOUND'
  | 'STACK_TOO_LARGE'
  | 'STACK_YAML'
  | 'STACK_INVALID'
  | 'STACK_CYCLE'
  | 'STACK_UNKNOWN_DEPENDENCY';

export interface ConfigIssue {
  readonly code: ConfigIssueCode;
  readonly severity: 'error' | 'warning';
  /** What is wrong and what to do. */
  readonly message: string;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
  /** Key path of the offending node, e.g. `services.api.depends_on.cach`; empty for the whole file. */
  readonly path: string;
  /** A likely fix, e.g. `did you mean "cache"?`. */
  readonly hint?: string;
}

export type StackLoadResult =
  | { readonly ok: true; readonly config: StackConfig; readonly warnings: ConfigIssue[] }
  | {
      readonly ok: false;
      readonly errors: ConfigIssue[];
      readonly warnings: ConfigIssue[];
      /** Env files the stack names (found or not), so a watcher can wait for them. */
      readonly envFiles?: readonly string[];
    };

export interface StackLoadOptions {
  /** Variables for `${VAR}` interpolation; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}
