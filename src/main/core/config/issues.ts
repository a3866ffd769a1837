/** Collects the issues found while loading a stack file; identical issues are reported once. */
import type { ConfigIssue, ConfigIssueCode } from './types.js';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export const START: Position = { line: 1, col: 1 };

export class IssueList {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  private readonly seen = new Set<string>();

  constructor(readonly file: string) {}

  error(code: ConfigIssueCode, message: string, at: Position, path: string, hint?: string): void {
    this.add({ code, severity: 'error', message, at, path, hint });
  }

  warn(code: ConfigIssueCode, message: string, at: Position, path: string, hint?: string): void {
    this.add({ code, severity: 'warning', message, at, path, hint });
  }

  get errorCount(): number {
    return this.errors.length;
  }

  private add(i: {
    code: ConfigIssueCode;
    severity: 'error' | 'warning';
    message: string;
    at: Position;
    path: string;
    hint: string | undefined;
  }): void {
    const key = `${i.severity}|${i.code}|${i.at.line}|${i.at.col}|${i.path}|${i.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const issue: ConfigIssue = {
      code: i.code,
      severity: i.severity,
      message: i.message,
      file: this.file,
      line: i.at.line,
      col: i.at.col,
      path: i.path,
      ...(i.hint !== undefined ? { hint: i.hint } : {}),
    };
    (i.severity === 'error' ? this.errors : this.warnings).push(issue);
  }
}

/** Sorts issues by position, keeping the order of discovery for equal positions. */
export function byPosition(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => a.issue.line - b.issue.line || a.issue.col - b.issue.col || a.i - b.i)
    .map((x) => x.issue);
}
