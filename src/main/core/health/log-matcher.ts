/**
 * The `log` probe's other half: watches a run's output lines for the readiness pattern. The
 * pattern is a regular expression; one that does not compile is matched as plain text. Lines are
 * tested as written and with terminal colour codes removed, so `listening on` matches a coloured
 * `\x1b[32mlistening\x1b[0m on`.
 */
import v8 from 'node:v8';

export interface LogMatcher {
  feed(line: string): void;
  /** Whether a line has matched since the matcher was created or last reset. */
  readonly matched: boolean;
  /** Forget the match (a new run of the service). */
  reset(): void;
}

/** Longer lines are only searched in their first part (a bound on regex work per line). */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * A pattern with nested quantifiers (`^(a+)+$`) backtracks exponentially on a line that almost
 * matches, and a service's output would freeze Vigil's whole event loop. V8 can switch such a
 * search to its linear-time engine once it backtracks too much; this turns that on (once, before
 * any pattern is compiled here). Patterns the linear engine cannot run (backreferences,
 * lookarounds) keep the usual engine.
 */
let linearFallback = false;
function enableLinearFallback(): void {
  if (linearFallback) return;
  linearFallback = true;
  try {
    v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  } catch {
    // not available on this runtime: patterns run as they are
  }
}

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;

export function stripAnsi(line: string): string {
  return line.includes('\x1b') ? line.replace(ANSI_RE, '') : line;
}

export function createLogMatcher(pattern: string): LogMatcher {
  let test: (line: string) => boolean;
  enableLinearFallback();
  try {
    const re = new RegExp(pattern);
    test = (line) => re.test(line);
  } catch {
    test = (line) => line.includes(pattern);
  }
  let matched = false;
  return {
    feed(line) {
      if (matched) return;
      const text = line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line;
      matched = test(text) || (text.includes('\x1b') && test(stripAnsi(text)));
    },
    get matched() {
      return matched;
    },
    reset() {
      matched = false;
    },
  };
}
