/**
 * ANSI colour codes to styled text runs. The result is plain data that views render as text
 * nodes: a log line is never parsed as HTML.
 */
import Anser from 'anser';

export interface AnsiRun {
  readonly text: string;
  /** CSS colour (`rgb(...)`) or null for the default. */
  readonly fg: string | null;
  readonly bg: string | null;
  readonly bold: boolean;
  readonly dim: boolean;
  readonly italic: boolean;
  readonly underline: boolean;
}

const ESC = '\u001b';

function rgb(v: string | null | undefined): string | null {
  return v ? `rgb(${v})` : null;
}

export function ansiRuns(line: string): AnsiRun[] {
  if (!line.includes(ESC)) {
    return [
      { text: line, fg: null, bg: null, bold: false, dim: false, italic: false, underline: false },
    ];
  }
  const entries = Anser.ansiToJson(line, { json: true, remove_empty: true });
  return entries.map((e) => {
    const decorations = e.decorations ?? [];
    return {
      text: e.content,
      fg: rgb(e.fg),
      bg: rgb(e.bg),
      bold: decorations.includes('bold'),
      dim: decorations.includes('dim'),
      italic: decorations.includes('italic'),
      underline: decorations.includes('underline'),
    };
  });
}

/** The text of a line without its escape codes (for search and copy). */
export function stripAnsi(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.includes(ESC) ? line.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '') : line;
}
