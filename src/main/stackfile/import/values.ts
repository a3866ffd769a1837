/** Small readers for plain values parsed from other tools' files. */

export type Dict = Readonly<Record<string, unknown>>;

export function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string, or a number/boolean written where a string was meant; undefined otherwise. */
export function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** A finite number, or a string holding one. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

/** `3` -> `3s`, `1.5` -> `1500ms`: seconds as a stack file duration. */
export function seconds(n: number): string {
  return Number.isInteger(n) ? `${n}s` : `${Math.round(n * 1000)}ms`;
}

/** Milliseconds as a stack file duration: `1500` -> `1500ms`, `4000` -> `4s`. */
export function millis(n: number): string {
  const ms = Math.round(n);
  return ms % 1000 === 0 && ms > 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Linux signal numbers, as process-compose files write them. */
const SIGNAL_NUMBERS: Readonly<Record<number, string>> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  17: 'SIGCHLD',
  18: 'SIGCONT',
  19: 'SIGSTOP',
  20: 'SIGTSTP',
  21: 'SIGTTIN',
  22: 'SIGTTOU',
  23: 'SIGURG',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  26: 'SIGVTALRM',
  27: 'SIGPROF',
  28: 'SIGWINCH',
  29: 'SIGIO',
  30: 'SIGPWR',
  31: 'SIGSYS',
};

export function signalName(n: number): string | undefined {
  return SIGNAL_NUMBERS[n];
}

/** Environment variable names the stack file accepts. */
export const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;
