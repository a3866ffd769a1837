/**
 * Reading a YAML (or JSON) source file for import: the stack loader's hostile-input caps, the
 * plain value, and the position of any key path so that warnings can point at file:line:col.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { VigilError } from '../../../shared/errors.js';
import { IssueList } from '../../core/config/issues.js';
import { readYaml, type YamlSource } from '../../core/config/yaml-source.js';
import type { SourcePos } from './types.js';

export type KeyPath = readonly (string | number)[];

export interface LocatedValue {
  readonly value: unknown;
  /** Where the key (or list item) at `path` is written; the nearest found ancestor otherwise. */
  pos(path: KeyPath): SourcePos | undefined;
}

/** Parses YAML or JSON text; throws a VigilError (STACK_YAML) pointing at the first problem. */
export function readLocated(text: string, file: string): LocatedValue {
  const issues = new IssueList(file);
  const src = readYaml(text, issues);
  if (src === null) {
    const first = issues.errors[0];
    throw new VigilError(
      first?.code === 'STACK_TOO_LARGE' ? 'STACK_TOO_LARGE' : 'STACK_YAML',
      `${file}:${first?.line ?? 1}:${first?.col ?? 1}: ${first?.message ?? 'cannot be parsed'}`,
      {
        location: { file, line: first?.line ?? 1, col: first?.col ?? 1 },
        ...(first?.hint !== undefined ? { hint: first.hint } : {}),
      },
    );
  }
  const value: unknown = src.doc.toJS({ maxAliasCount: -1 });
  return { value, pos: (path) => locate(src, path) };
}

function locate(src: YamlSource, path: KeyPath): SourcePos | undefined {
  let node: unknown = src.doc.contents;
  let found: SourcePos | undefined = startOf(src, node);
  for (const seg of path) {
    const next = child(src, node, seg, 0);
    if (next === undefined) return found;
    found = startOf(src, next.at) ?? found;
    node = next.value;
  }
  return found;
}

function deref(src: YamlSource, node: unknown): unknown {
  return isAlias(node) ? src.aliases.get(node) : node;
}

/** The entry `seg` of a map (following `<<` merges) or a list; `at` is what to point at. */
function child(
  src: YamlSource,
  raw: unknown,
  seg: string | number,
  depth: number,
): { at: unknown; value: unknown } | undefined {
  const node = deref(src, raw);
  if (depth > 8) return undefined;
  if (isSeq(node) && typeof seg === 'number') {
    const item = node.items[seg];
    return item === undefined ? undefined : { at: item, value: item };
  }
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (!isPair(pair)) continue;
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    const scalar = typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean';
    if (scalar && String(key) === String(seg)) return { at: pair.key, value: pair.value };
  }
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? (pair.key as { source?: string }).source : undefined;
    if (key !== '<<') continue;
    const sources = isSeq(deref(src, pair.value))
      ? (deref(src, pair.value) as { items: unknown[] }).items
      : [pair.value];
    for (const s of sources) {
      const hit = child(src, s, seg, depth + 1);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

function startOf(src: YamlSource, node: unknown): SourcePos | undefined {
  const range = (node as Node | null | undefined)?.range;
  if (!range) return undefined;
  return src.pos(range[0]);
}

/** `processes.api.depends_on` / `apps[0].watch`: a key path as people write it. */
export function pathText(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}
