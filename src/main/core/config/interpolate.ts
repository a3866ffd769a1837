/**
 * `${VAR}` interpolation of stack file strings, as compose files do it:
 *
 * - `${VAR}` the variable's value; unset gives "" and is reported so a warning can point at it;
 * - `${VAR:-default}` / `${VAR-default}` default when unset or empty / only when unset;
 * - `${VAR:+alt}` / `${VAR+alt}` alt when set and non-empty / when set, else "";
 * - `${VAR:?message}` / `${VAR?message}` an error when unset or empty / when unset;
 * - `$$` a literal `$`.
 *
 * Only values are interpolated, never keys. Defaults may themselves contain `${...}`. A `$` followed by anything else, including a bare
 * `$NAME`, is kept verbatim, so that shell commands still expand their own variables at run time
 * (`command: node server.js --port $PORT` sees the service's environment).
 */

export interface UnsetVariable {
  readonly name: string;
  /** Offset of the `${` in the original string. */
  readonly offset: number;
}

export interface InterpolationResult {
  readonly value: string;
  readonly unset: readonly UnsetVariable[];
  readonly error?: { readonly message: string; readonly offset: number };
}

export type Lookup = (name: string) => string | undefined;

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*/;

/** True when the string contains something interpolation would change. */
export function needsInterpolation(text: string): boolean {
  return text.includes('$');
}

export function interpolate(text: string, lookup: Lookup): InterpolationResult {
  const unset: UnsetVariable[] = [];
  const r = run(text, 0, lookup, unset);
  return r.error ? { value: r.value, unset, error: r.error } : { value: r.value, unset };
}

function run(
  text: string,
  base: number,
  lookup: Lookup,
  unset: UnsetVariable[],
): { value: string; error?: { message: string; offset: number } } {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next !== '{') {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = matchingBrace(text, dollar + 2);
    if (close < 0) {
      return {
        value: out,
        error: {
          message: 'unterminated "${": add the closing "}" or write "$$" for a literal "$"',
          offset: base + dollar,
        },
      };
    }
    const inner = text.slice(dollar + 2, close);
    const nameMatch = NAME_RE.exec(inner);
    if (!nameMatch) {
      return {
        value: out,
        error: {
          message: `invalid interpolation "\${${inner}}": a variable name is letters, digits and "_", not starting with a digit`,
          offset: base + dollar,
        },
      };
    }
    const name = nameMatch[0];
    const rest = inner.slice(name.length);
    const value = lookup(name);
    const offset = base + dollar;
    if (rest === '') {
      if (value === undefined) unset.push({ name, offset });
      out += value ?? '';
      i = close + 1;
      continue;
    }
    const op = /^(:?[-+?])/.exec(rest)?.[1];
    if (op === undefined) {
      return {
        value: out,
        error: {
          message: `invalid interpolation "\${${inner}}": use \${${name}}, \${${name}:-default} or \${${name}:?message}`,
          offset,
        },
      };
    }
    const word = rest.slice(op.length);
    const wordBase = base + dollar + 2 + name.length + op.length;
    const isSet = value !== undefined && (op.startsWith(':') ? value !== '' : true);
    const kind = op.replace(':', '');
    if (kind === '-') {
      if (isSet) out += value;
      else {
        const d = run(word, wordBase, lookup, unset);
        if (d.error) return { value: out, error: d.error };
        out += d.value;
      }
    } else if (kind === '+') {
      if (isSet) {
        const d = run(word, wordBase, lookup, unset);
        if (d.error) return { value: out, error: d.error };
        out += d.value;
      }
    } else {
      if (!isSet) {
        const d = run(word, wordBase, lookup, unset);
        const why = d.value.trim() || `variable ${name} is required`;
        return {
          value: out,
          error: {
            message: `${name} is ${value === undefined ? 'not set' : 'empty'}: ${why}`,
            offset,
          },
        };
      }
      out += value;
    }
    i = close + 1;
  }
  return { value: out };
}

/** Index of the `}` closing a `${` whose body starts at `from`, counting nested `${`; -1 if none. */
function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '$' && text[i + 1] === '$') {
      i++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}
