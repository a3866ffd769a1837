/**
 * A draft stack written as a readable stack file: keys in the order of the specification, short
 * lists inline, and comments that say where each service came from and what was guessed.
 */
import path from 'node:path';
import { Document, isCollection, isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import type { DraftService, DraftStack } from './types.js';

/** The stack file text for `stack`, with paths relative to the directory of `outFile`. */
export function renderStack(stack: DraftStack, outFile: string): string {
  const outDir = path.dirname(path.resolve(outFile));
  const rel = (p: string): string => relPath(outDir, p);
  const root: Record<string, unknown> = { version: 1, name: stack.name };
  if (stack.envFile && stack.envFile.length > 0)
    root.env_file = stack.envFile.length === 1 ? rel(stack.envFile[0]!) : stack.envFile.map(rel);
  if (stack.settings && Object.keys(stack.settings).length > 0) root.settings = stack.settings;
  const services: Record<string, unknown> = {};
  for (const s of stack.services) services[s.name] = serviceObject(s, outDir, rel);
  root.services = services;

  const doc = new Document(root);
  if (stack.header.length > 0) doc.commentBefore = commentText(stack.header);
  const svcMap = doc.get('services', true) as YAMLMap | undefined;
  if (svcMap && isMap(svcMap)) {
    svcMap.items.forEach((pair, i) => {
      const draft = stack.services[i]!;
      const key = pair.key as Node;
      if (i > 0) key.spaceBefore = true;
      if (draft.comment && draft.comment.length > 0) key.commentBefore = commentText(draft.comment);
      const body = pair.value;
      if (isMap(body)) decorateService(body, draft);
    });
  }
  const footer = (stack.commented ?? []).flatMap((c, i) => [
    ...(i > 0 ? [''] : []),
    c.note,
    ...commentedService(c.service, outFile),
  ]);
  if (footer.length > 0) doc.comment = commentText(footer);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** A service's YAML lines as they would sit under `services:`, for a comment. */
function commentedService(service: DraftService, outFile: string): string[] {
  const yaml = renderStack({ name: 'x', header: [], services: [service] }, outFile);
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => l.startsWith('services:'));
  return lines
    .slice(start + 1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.replace(/^ {2}/, ''));
}

function serviceObject(
  s: DraftService,
  outDir: string,
  rel: (p: string) => string,
): Record<string, unknown> {
  const o: Record<string, unknown> = { command: s.command };
  // A path with ${VAR} in it is only known once interpolated: written as the source has it.
  if (s.cwd !== undefined && s.cwd.includes('${')) o.cwd = s.cwd;
  else if (s.cwd !== undefined && path.resolve(s.cwd) !== outDir) o.cwd = rel(s.cwd);
  if (s.envFile && s.envFile.length > 0)
    o.env_file = s.envFile.length === 1 ? rel(s.envFile[0]!) : s.envFile.map(rel);
  if (s.env && Object.keys(s.env).length > 0) o.env = { ...s.env };
  if (s.port !== undefined) o.port = s.port;
  if (s.priority !== undefined) o.priority = s.priority;
  if (s.dependsOn && s.dependsOn.length > 0) {
    const deps: Record<string, string> = {};
    for (const d of s.dependsOn) deps[d.name] = d.condition;
    o.depends_on = deps;
  }
  if (s.health && Object.keys(s.health).length > 0) o.health = s.health;
  if (s.restart && Object.keys(s.restart).length > 0) o.restart = s.restart;
  if (s.stop && Object.keys(s.stop).length > 0) o.stop = s.stop;
  if (s.startupTimeout !== undefined) o.startup_timeout = s.startupTimeout;
  if (s.oneshot) o.oneshot = true;
  if (s.limits && Object.keys(s.limits).length > 0) o.limits = s.limits;
  if (s.replicas !== undefined) o.replicas = s.replicas;
  if (s.balance !== undefined) o.balance = s.balance;
  if (s.watch) o.watch = s.watch;
  return o;
}

function decorateService(body: YAMLMap, draft: DraftService): void {
  for (const pair of body.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value as Node | null;
    // Short lists of plain values read best inline: [node, server.js], [1s, 5s].
    if (isSeq(value) && value.items.every((x) => isScalar(x))) {
      const width = value.items.reduce(
        (n, x) => n + String((x as { value: unknown }).value).length + 2,
        0,
      );
      if (width <= 72) value.flow = true;
    }
    if (isMap(value)) {
      for (const inner of value.items) {
        const v = inner.value as Node | null;
        if (isSeq(v) && v.items.every((x) => isScalar(x))) v.flow = true;
        if (
          isMap(v) &&
          key === 'health' &&
          v.items.length <= 4 &&
          v.items.every((x) => isScalar(x.value))
        )
          v.flow = true;
      }
    }
    if (key === 'balance' && isMap(value)) value.flow = true;
    if (key === 'depends_on' && isMap(value)) {
      for (const d of draft.dependsOn ?? []) {
        if (d.comment === undefined) continue;
        const node = value.get(d.name, true);
        if (isScalar(node)) node.comment = ` ${d.comment}`;
      }
    }
    const note = draft.keyComments?.[key];
    if (note === undefined) continue;
    if (isCollection(value) || value === null) (pair.key as Node).commentBefore = ` ${note}`;
    else value.comment = ` ${note}`;
  }
}

function commentText(lines: readonly string[]): string {
  return lines
    .flatMap((l) => l.split('\n'))
    .map((l) => (l === '' ? '' : ` ${l}`))
    .join('\n');
}

/** `./services/api`, `../shared`, or `.`: POSIX separators, so the file reads the same everywhere. */
export function relPath(fromDir: string, target: string): string {
  const r = path.relative(fromDir, path.resolve(target));
  if (r === '') return '.';
  const posix = r.split(path.sep).join('/');
  return posix.startsWith('../') || posix === '..' || path.isAbsolute(r) ? posix : `./${posix}`;
}
