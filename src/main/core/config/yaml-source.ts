/**
 * Turns stack file text into a YAML syntax tree, refusing hostile input before it can cost much:
 * a size cap, a flow-nesting cap (checked on the raw text, before parsing), an alias count cap and a
 * cap on the number of nodes the aliases expand to (a "billion laughs" file is rejected from its
 * small syntax tree, never expanded).
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Alias,
  type Document,
  type Node,
} from 'yaml';
import { IssueList, START, type Position } from './issues.js';

export const MAX_STACK_BYTES = 1024 * 1024;
export const MAX_ALIASES = 100;
/** Nodes of the file once every alias is expanded. */
export const MAX_EXPANDED_NODES = 1_000_000;
export const MAX_FLOW_DEPTH = 64;

export interface YamlSource {
  readonly doc: Document.Parsed;
  readonly text: string;
  readonly lineCounter: LineCounter;
  /** The node each alias stands for. */
  readonly aliases: ReadonlyMap<Alias, Node>;
  pos(offset: number): Position;
}

export function tooLargeMessage(bytes: number): string {
  return `the stack file is ${formatBytes(bytes)}; the limit is ${formatBytes(MAX_STACK_BYTES)}`;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

/** Parses the text, or reports why it cannot be used and returns null. */
export function readYaml(text: string, issues: IssueList): YamlSource | null {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_STACK_BYTES) {
    issues.error(
      'STACK_TOO_LARGE',
      tooLargeMessage(bytes),
      START,
      '',
      'split the stack or remove generated content',
    );
    return null;
  }
  const lineCounter = new LineCounter();
  const deep = flowDepthExceeded(text);
  if (deep !== null) {
    const at = positionOf(text, deep);
    issues.error(
      'STACK_YAML',
      `flow collections ([...] / {...}) are nested more than ${MAX_FLOW_DEPTH} deep`,
      at,
      '',
    );
    return null;
  }
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: false, // duplicates are reported by the schema walk, with their key path
      merge: true,
      strict: true,
      keepSourceTokens: false,
    });
  } catch (err) {
    issues.error('STACK_YAML', `cannot parse the stack file: ${(err as Error).message}`, START, '');
    return null;
  }
  const pos = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  reportSyntaxErrors(text, doc, pos, issues);
  for (const w of doc.warnings) {
    issues.warn('STACK_YAML', yamlMessage(w.code, w.message), pos(w.pos[0]), '');
  }
  if (doc.errors.length > 0) return null;

  const aliasNodes: Alias[] = [];
  // An alias is written `*name`: without a `*` anywhere there is nothing to count or expand.
  if (text.includes('*')) {
    visit(doc, {
      Alias(_, node) {
        aliasNodes.push(node);
        if (aliasNodes.length > MAX_ALIASES) return visit.BREAK;
        return undefined;
      },
    });
  }
  if (aliasNodes.length > MAX_ALIASES) {
    const at = aliasNodes[MAX_ALIASES]!.range?.[0] ?? 0;
    issues.error(
      'STACK_TOO_LARGE',
      `the stack file uses more than ${MAX_ALIASES} YAML aliases (*name)`,
      pos(at),
      '',
      'write the repeated parts out, or share less through anchors',
    );
    return null;
  }
  const aliases = new Map<Alias, Node>();
  let broken = false;
  for (const a of aliasNodes) {
    const target = a.resolve(doc);
    if (target === undefined) {
      issues.error(
        'STACK_YAML',
        `unknown anchor "*${a.source}"`,
        pos(a.range?.[0] ?? 0),
        '',
        `define it first with "&${a.source}"`,
      );
      broken = true;
    } else aliases.set(a, target);
  }
  if (broken) return null;
  const size = aliases.size === 0 ? 0 : expandedSize(doc.contents, aliases);
  if (size === 'recursive') {
    issues.error(
      'STACK_YAML',
      'an alias refers to a node that contains it',
      START,
      '',
      'anchors cannot be recursive',
    );
    return null;
  }
  if (size > MAX_EXPANDED_NODES) {
    issues.error(
      'STACK_TOO_LARGE',
      `the stack file's aliases expand to more than ${MAX_EXPANDED_NODES.toLocaleString('en-US')} nodes`,
      START,
      '',
      'this looks like an alias bomb; write the stack without nested aliases',
    );
    return null;
  }
  return { doc, text, lineCounter, aliases, pos };
}

/** Number of nodes once aliases are expanded, stopping early past the cap. */
function expandedSize(root: unknown, aliases: ReadonlyMap<Alias, Node>): number | 'recursive' {
  const memo = new Map<unknown, number>();
  const active = new Set<unknown>();
  let recursive = false;
  const size = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    const known = memo.get(node);
    if (known !== undefined) return known;
    if (active.has(node)) {
      recursive = true;
      return 0;
    }
    active.add(node);
    let n = 1;
    if (isAlias(node)) n = size(aliases.get(node));
    else if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) {
        n += isPair(item) ? size(item.key) + size(item.value) : size(item);
        if (n > MAX_EXPANDED_NODES) break;
      }
    } else if (!isScalar(node) && isPair(node)) n = size(node.key) + size(node.value);
    active.delete(node);
    memo.set(node, n);
    return n;
  };
  const total = size(root);
  return recursive ? 'recursive' : total;
}

/** Offset where flow nesting first exceeds the cap, or null. Quoted text and comments are skipped. */
function flowDepthExceeded(text: string): number | null {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      else if (c === '\n' && depth === 0) quote = null;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
    } else if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1]!))) quote = c;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth > MAX_FLOW_DEPTH) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return null;
}

function positionOf(text: string, offset: number): Position {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, col: offset - last };
}

/**
 * YAML's own errors, made more direct: a key indented deeper than the key above it (which already
 * has a value) is reported on the line at fault rather than where the parser noticed, and errors
 * at the same position are reported once.
 */
function reportSyntaxErrors(
  text: string,
  doc: Document.Parsed,
  pos: (offset: number) => Position,
  issues: IssueList,
): void {
  const covered = new Set<number>();
  const reported = new Set<string>();
  for (const e of doc.errors) {
    if (e.code !== 'MULTILINE_IMPLICIT_KEY') continue;
    const start = pos(e.pos[0]);
    const end = pos(e.pos[1]);
    if (end.line <= start.line) continue;
    const lineStart = e.pos[1] - (end.col - 1);
    const indent = /^[ ]*/.exec(text.slice(lineStart))![0].length;
    const prevIndent = indentOfLine(text, start);
    covered.add(e.pos[0]);
    issues.error(
      'STACK_YAML',
      'bad indentation: this line is indented deeper than the key above it, which already has a value',
      { line: end.line, col: indent + 1 },
      '',
      `align it with the key above (column ${prevIndent + 1}), or nest it under a key that has no value`,
    );
  }
  for (const e of doc.errors) {
    if (covered.has(e.pos[0])) continue;
    const at = pos(e.pos[0]);
    const key = `${at.line}:${at.col}`;
    if (reported.has(key)) continue;
    reported.add(key);
    issues.error('STACK_YAML', yamlMessage(e.code, e.message), at, '', yamlHint(e.code));
  }
}

/** Indentation (spaces) of the line holding a position. */
function indentOfLine(text: string, at: Position): number {
  let start = 0;
  for (let i = 1; i < at.line; i++) start = text.indexOf('\n', start) + 1;
  return /^[ ]*/.exec(text.slice(start))![0].length;
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0] ?? message;
  const m = first.replace(/ at line \d+, column \d+:?$/, '');
  return code === 'MULTIPLE_DOCS'
    ? 'the stack file must hold a single YAML document (no "---" separators)'
    : lower(m);
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'indent with spaces';
    case 'BAD_INDENT':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
    case 'MISSING_CHAR':
      return 'check the indentation: keys of one map start in the same column';
    case 'DUPLICATE_KEY':
      return 'remove one of the two keys';
    default:
      return undefined;
  }
}

function lower(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}
