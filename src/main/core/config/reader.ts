/**
 * Typed access to the YAML syntax tree with positions: every reader either returns a value or
 * reports an error that points at the node (file:line:col and key path) and returns undefined.
 * Aliases and merge keys (`<<: *defaults`) are followed; every string scalar is interpolated once.
 */
import { isAlias, isMap, isScalar, isSeq, type Node, type Scalar } from 'yaml';
import { parseDuration, parseSize } from '../../../shared/duration.js';
import { interpolate, type Lookup } from './interpolate.js';
import type { IssueList, Position } from './issues.js';
import { suggestion } from './suggest.js';
import type { YamlSource } from './yaml-source.js';

/** A value slot in the tree: the node (null when the key has no value) and where to point at. */
export interface Slot {
  readonly node: Node | null;
  readonly path: string;
  readonly pos: Position;
}

export interface Entry extends Slot {
  readonly key: string;
  readonly keyPos: Position;
}

export interface MapOptions {
  /** Allowed keys, or null when any key is allowed (env, services). */
  readonly known: readonly string[] | null;
  /** What the map is, for messages: "service", "health check". */
  readonly what: string;
  /** Keys that are allowed but skipped (e.g. top-level `x-` extension keys). */
  readonly ignore?: (key: string) => boolean;
  /** Message for a duplicate key. */
  readonly duplicate?: (key: string, first: Position) => string;
}

/** Keys that must never be taken as data: they would reach object prototypes elsewhere. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

const NULL_RE = /^(?:null|Null|NULL|~)?$/;
const BOOL_RE = /^(?:true|True|TRUE|false|False|FALSE)$/;
const INT_RE = /^[-+]?\d+$/;
const FLOAT_RE = /^[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$/;

export class Reader {
  private readonly scalars = new Map<Scalar, unknown>();

  constructor(
    readonly src: YamlSource,
    readonly issues: IssueList,
    readonly lookup: Lookup,
  ) {}

  /** The node an alias stands for, or the node itself. */
  deref(node: Node | null): Node | null {
    if (node !== null && isAlias(node)) return this.src.aliases.get(node) ?? null;
    return node;
  }

  /** Where a node starts; `fallback` for missing or empty nodes. */
  posOf(node: Node | null | undefined, fallback: Position): Position {
    const r = node?.range;
    if (!r || (isScalar(node) && node.value === null && r[0] === r[1])) return fallback;
    return this.src.pos(r[0]);
  }

  /** A slot for the root of the document. */
  root(): Slot {
    const node = (this.src.doc.contents as Node | null) ?? null;
    return { node, path: '', pos: this.posOf(node, { line: 1, col: 1 }) };
  }

  isMissing(slot: Slot): boolean {
    const n = this.deref(slot.node);
    return n === null || (isScalar(n) && n.value === null);
  }

  /** A human description of a node's kind, for type errors. */
  describe(node: Node | null): string {
    const n = this.deref(node);
    if (n === null) return 'nothing';
    if (isMap(n)) return 'a map';
    if (isSeq(n)) return 'a list';
    if (isScalar(n)) {
      const v = this.scalar(n);
      if (v === null) return 'nothing';
      if (typeof v === 'string')
        return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
      if (typeof v === 'number') return `the number ${v}`;
      if (typeof v === 'boolean') return String(v);
      return 'an unsupported value';
    }
    return 'an unsupported value';
  }

  /** Reports a type/value error at a slot. */
  fail(slot: Slot, message: string, hint?: string): undefined {
    this.issues.error('STACK_INVALID', message, slot.pos, slot.path, hint);
    return undefined;
  }

  expected(slot: Slot, what: string, hint?: string): undefined {
    return this.fail(
      slot,
      `${label(slot.path)} must be ${what}, not ${this.describe(slot.node)}`,
      hint,
    );
  }

  /** The value of a scalar: strings interpolated, plain scalars re-typed after interpolation. */
  scalar(node: Scalar, path = ''): unknown {
    if (this.scalars.has(node)) return this.scalars.get(node);
    let v: unknown = node.value;
    if (typeof v === 'string' && v.includes('$')) {
      const r = interpolate(v, this.lookup);
      const at = (offset: number): Position => this.stringPos(node, offset);
      for (const u of r.unset) {
        this.issues.warn(
          'STACK_INVALID',
          `variable ${u.name} is not set; using an empty string`,
          at(u.offset),
          path,
          `set ${u.name} in the environment or the stack's env_file, or write \${${u.name}:-default}`,
        );
      }
      if (r.error) this.issues.error('STACK_INVALID', r.error.message, at(r.error.offset), path);
      v = r.value;
      if (node.type === 'PLAIN') v = retype(r.value);
    }
    this.scalars.set(node, v);
    return v;
  }

  /** Position of character `offset` of a scalar's value, when it can be found in the source. */
  private stringPos(node: Scalar, offset: number): Position {
    const r = node.range;
    if (!r) return { line: 1, col: 1 };
    const raw = this.src.text.slice(r[0], r[1]);
    const value = String(node.value);
    const needle = value.slice(
      offset,
      offset + 2 + (/^[A-Za-z_]\w*/.exec(value.slice(offset + 2))?.[0].length ?? 0),
    );
    const at = raw.indexOf(needle);
    return this.src.pos(r[0] + (at >= 0 ? at : 0));
  }

  /** Raw source text of a scalar (numbers as written: `1.10` stays `1.10`). */
  sourceText(node: Scalar): string | undefined {
    if (node.type !== 'PLAIN' || !node.range) return undefined;
    return this.src.text.slice(node.range[0], node.range[1]).trim();
  }

  /**
   * Entries of a map, in order, with merge keys applied (explicit keys win over merged ones, earlier
   * merge sources over later ones). Reports non-map values, non-string keys, duplicates and unknown
   * keys (with the nearest known key as a hint). Returns null when the slot is not a map.
   */
  entries(slot: Slot, opts: MapOptions): Entry[] | null {
    const node = this.deref(slot.node);
    if (node === null || !isMap(node)) {
      this.expected(slot, 'a map');
      return null;
    }
    const own: Entry[] = [];
    const merged: Entry[] = [];
    const firstAt = new Map<string, Position>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const valueNode = (pair.value as Node | null) ?? null;
      const keyPos = this.posOf(keyNode, slot.pos);
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        this.mergeInto(
          merged,
          { node: valueNode, path: joinPath(slot.path, '<<'), pos: this.posOf(valueNode, keyPos) },
          opts,
        );
        continue;
      }
      const k = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean') {
        this.issues.error(
          'STACK_INVALID',
          `${opts.what} keys must be plain strings`,
          keyPos,
          slot.path,
        );
        continue;
      }
      const key = String(k);
      const path = joinPath(slot.path, key);
      const first = firstAt.get(key);
      if (first !== undefined) {
        this.issues.error(
          'STACK_INVALID',
          opts.duplicate?.(key, first) ?? `duplicate key "${key}" (first at line ${first.line})`,
          keyPos,
          path,
          'remove or rename one of them',
        );
        continue;
      }
      firstAt.set(key, keyPos);
      if (opts.ignore?.(key)) continue;
      if (opts.known !== null && !opts.known.includes(key)) {
        this.issues.error(
          'STACK_INVALID',
          `unknown key "${key}" in ${opts.what}`,
          keyPos,
          path,
          suggestion(key, opts.known, 'known keys'),
        );
        continue;
      }
      own.push({ key, keyPos, node: valueNode, path, pos: this.posOf(valueNode, keyPos) });
    }
    const out = [...own];
    for (const m of merged)
      if (!firstAt.has(m.key)) {
        firstAt.set(m.key, m.keyPos);
        out.push(m);
      }
    return out;
  }

  private mergeInto(into: Entry[], slot: Slot, opts: MapOptions): void {
    const node = this.deref(slot.node);
    const sources: Slot[] =
      node !== null && isSeq(node)
        ? node.items.map((n, i) => {
            const item = (n as Node | null) ?? null;
            return { node: item, path: `${slot.path}[${i}]`, pos: this.posOf(item, slot.pos) };
          })
        : [slot];
    for (const s of sources) {
      const entries = this.entries(s, opts);
      if (entries === null) continue;
      for (const e of entries) if (!into.some((x) => x.key === e.key)) into.push(e);
    }
  }

  /** Entries keyed by name, for table-driven readers. */
  table(slot: Slot, opts: MapOptions): Map<string, Entry> | null {
    const list = this.entries(slot, opts);
    return list === null ? null : new Map(list.map((e) => [e.key, e]));
  }

  /** Items of a list, or null (reported) when the slot is not a list. */
  items(slot: Slot, what = 'a list'): Slot[] | null {
    const node = this.deref(slot.node);
    if (node === null || !isSeq(node)) {
      this.expected(slot, what);
      return null;
    }
    return node.items.map((n, i) => {
      const item = (n as Node | null) ?? null;
      return { node: item, path: `${slot.path}[${i}]`, pos: this.posOf(item, slot.pos) };
    });
  }

  isList(slot: Slot): boolean {
    const n = this.deref(slot.node);
    return n !== null && isSeq(n);
  }

  isMap(slot: Slot): boolean {
    const n = this.deref(slot.node);
    return n !== null && isMap(n);
  }

  /** The scalar value at a slot (interpolated), or undefined for maps and lists. */
  value(slot: Slot): unknown {
    const n = this.deref(slot.node);
    if (n === null) return null;
    return isScalar(n) ? this.scalar(n, slot.path) : undefined;
  }

  string(slot: Slot, opts: { nonEmpty?: boolean } = {}): string | undefined {
    const v = this.value(slot);
    if (typeof v !== 'string') return this.expected(slot, 'a string');
    if (opts.nonEmpty && v.trim() === '')
      return this.fail(slot, `${label(slot.path)} must not be empty`);
    return v;
  }

  /** A scalar as text: strings as they are, numbers and booleans as written in the file. */
  text(slot: Slot): string | undefined {
    const n = this.deref(slot.node);
    if (n === null || (isScalar(n) && n.value === null)) return '';
    if (!isScalar(n)) return this.expected(slot, 'a string');
    const v = this.scalar(n, slot.path);
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') {
      return (n.value === v ? this.sourceText(n) : undefined) ?? String(v);
    }
    if (v === null) return '';
    return this.expected(slot, 'a string');
  }

  bool(slot: Slot): boolean | undefined {
    const v = this.value(slot);
    if (typeof v !== 'boolean') return this.expected(slot, 'true or false');
    return v;
  }

  int(slot: Slot, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.value(slot);
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      return this.expected(
        slot,
        min === 0 ? 'a whole number' : `a whole number of at least ${min}`,
      );
    }
    if (v < min || v > max) {
      return this.fail(
        slot,
        `${label(slot.path)} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`}, not ${v}`,
      );
    }
    return v;
  }

  number(slot: Slot, min: number, max: number): number | undefined {
    const v = this.value(slot);
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.expected(slot, 'a number');
    if (v < min || v > max)
      return this.fail(slot, `${label(slot.path)} must be between ${min} and ${max}, not ${v}`);
    return v;
  }

  /** A duration in ms; `positive` rejects 0. */
  duration(slot: Slot, opts: { positive?: boolean } = {}): number | undefined {
    const v = this.value(slot);
    const ms = parseDuration(typeof v === 'string' || typeof v === 'number' ? v : undefined);
    if (ms === null) {
      return this.fail(
        slot,
        `${label(slot.path)} must be a duration, not ${this.describe(slot.node)}`,
        'write a number of milliseconds or a value like 250ms, 5s, 2m, 1h or 7d',
      );
    }
    if (opts.positive && ms <= 0)
      return this.fail(slot, `${label(slot.path)} must be longer than 0`);
    return ms;
  }

  /** A size in bytes (> 0). */
  size(slot: Slot): number | undefined {
    const v = this.value(slot);
    const bytes = parseSize(typeof v === 'string' || typeof v === 'number' ? v : undefined);
    if (bytes === null || bytes <= 0) {
      return this.fail(
        slot,
        `${label(slot.path)} must be a size, not ${this.describe(slot.node)}`,
        'write a number of bytes or a value like 512MB, 1GB or 256MiB',
      );
    }
    return bytes;
  }

  oneOf<T extends string>(slot: Slot, allowed: readonly T[]): T | undefined {
    const v = this.value(slot);
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    const shown = typeof v === 'string' ? JSON.stringify(v) : this.describe(slot.node);
    return this.fail(
      slot,
      `${label(slot.path)} must be one of ${allowed.join(', ')}, not ${shown}`,
      typeof v === 'string' ? suggestion(v, allowed, 'allowed values') : undefined,
    );
  }

  /** A list of non-empty strings; a single string is taken as a list of one. */
  stringList(slot: Slot): string[] | undefined {
    if (!this.isList(slot)) {
      const one = this.value(slot);
      if (typeof one === 'string' && one.trim() !== '') return [one];
      return this.expected(slot, 'a list of strings');
    }
    const items = this.items(slot) ?? [];
    const out: string[] = [];
    let ok = true;
    for (const item of items) {
      const s = this.string(item, { nonEmpty: true });
      if (s === undefined) ok = false;
      else out.push(s);
    }
    return ok ? out : undefined;
  }
}

export function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** The last key of a path, quoted for messages: `"interval"`. */
export function label(path: string): string {
  if (path === '') return 'the stack file';
  return `"${path.slice(path.lastIndexOf('.') + 1)}"`;
}

function retype(s: string): unknown {
  if (NULL_RE.test(s) && s !== '') return null;
  if (BOOL_RE.test(s)) return s.toLowerCase() === 'true';
  if (INT_RE.test(s) || FLOAT_RE.test(s)) {
    const n = Number(s);
    if (Number.isFinite(n)) return n;
  }
  return s;
}
