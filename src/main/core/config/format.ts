/**
 * One issue as a person reads it, compiler style:
 *
 *     vigil.yaml:12:5: error STACK_UNKNOWN_DEPENDENCY at services.api.depends_on.cach: ...
 *        12 |     cach: healthy
 *           |     ^
 *       hint: did you mean "cache"?
 */
import path from 'node:path';
import pc from 'picocolors';
import type { ConfigIssue } from './types.js';

export interface FormatIssueOptions {
  /** ANSI colours (only for terminals). */
  readonly color?: boolean;
  /** The stack file's text, for the excerpt with a caret under the column. */
  readonly source?: string;
  /** Directory the file name is shown relative to (when that is shorter); default process.cwd(). */
  readonly cwd?: string;
}

export function displayPath(file: string, cwd: string = process.cwd()): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(cwd, file);
  return rel !== '' && rel.length < file.length ? rel : file;
}

export function formatIssue(issue: ConfigIssue, opts: FormatIssueOptions = {}): string {
  const c = pc.createColors(opts.color ?? false);
  const sevColor = issue.severity === 'error' ? c.red : c.yellow;
  // A file that is not there has no line to point at.
  const where =
    issue.code === 'STACK_NOT_FOUND'
      ? displayPath(issue.file, opts.cwd)
      : `${displayPath(issue.file, opts.cwd)}:${issue.line}:${issue.col}`;
  const at = issue.path !== '' ? ` at ${issue.path}` : '';
  const lines = [
    `${c.bold(where)}: ${sevColor(c.bold(issue.severity))} ${c.dim(issue.code)}${at}: ${issue.message}`,
  ];
  const excerpt =
    opts.source !== undefined && issue.code !== 'STACK_NOT_FOUND'
      ? sourceLine(opts.source, issue.line)
      : undefined;
  if (excerpt !== undefined) {
    const num = String(issue.line);
    const gutter = ' '.repeat(Math.max(4, num.length + 1));
    const pad = excerpt.slice(0, Math.max(0, issue.col - 1)).replace(/[^\t]/g, ' ');
    lines.push(`${gutter.slice(num.length)}${c.dim(num)} ${c.dim('|')} ${excerpt}`);
    lines.push(`${gutter} ${c.dim('|')} ${pad}${sevColor('^')}`);
  }
  if (issue.hint !== undefined) lines.push(`  ${c.cyan('hint:')} ${issue.hint}`);
  return lines.join('\n');
}

/** Line `n` (1-based) of a text, without its line break; undefined past the end. */
function sourceLine(text: string, n: number): string | undefined {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  if (start > text.length) return undefined;
  const end = text.indexOf('\n', start);
  const line = text.slice(start, end < 0 ? undefined : end).replace(/\r$/, '');
  return line.length > 300 ? line.slice(0, 300) + '…' : line;
}
