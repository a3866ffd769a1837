/**
 * Text helpers for commands and values taken from other formats: keeping `$` literal under the
 * stack file's `${VAR}` interpolation, splitting argument strings the way PM2 does, and quoting for
 * the shell.
 */

/**
 * Makes a literal string survive the stack file's interpolation unchanged: every `$` followed by
 * `{` or `$` is doubled, so the service (or its shell) sees exactly the original text at run time.
 * A bare `$NAME` needs no escaping (the loader leaves it to the shell).
 */
export function escapeInterpolation(text: string): string {
  return text.replace(/\$(?=[${])/g, '$$$$');
}

/** True when the text has `${...}` the loader would interpolate. */
export function hasInterpolation(text: string): boolean {
  return /(^|[^$])(\$\$)*\$\{/.test(text);
}

/**
 * Splits an argument string as PM2 does for `args`/`node_args` given as a string: whitespace
 * separates, `"..."` and `'...'` group (quotes removed), and `key="a b"` stays one argument with
 * its quotes.
 */
export function splitArgs(text: string): string[] {
  const re = /[^\s"'=]+="[^"]*"|[^\s"'=]+='[^']*'|"([^"]*)"|'([^']*)'|\S+/g;
  const out: string[] = [];
  for (const m of text.matchAll(re)) {
    let v = m[0];
    if (v.length >= 2 && ((v[0] === '"' && v.endsWith('"')) || (v[0] === "'" && v.endsWith("'"))))
      v = v.slice(1, -1);
    if (v.trim() !== '') out.push(v);
  }
  return out;
}

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for `sh` (single quotes; nothing inside is expanded). */
export function shellQuote(word: string): string {
  if (word !== '' && SHELL_SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Escapes a literal for use inside a regular expression (log patterns). */
export function regexEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
