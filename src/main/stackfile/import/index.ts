/**
 * Importing another tool's stack file: process-compose, Procfile or a PM2 ecosystem file becomes
 * the text of a Vigil stack file, with a warning (and its location) for everything that could not
 * be mapped. A Docker Compose file is refused plainly: its services are containers.
 *
 * `importStack` is what `vigil import` and the desktop app's "Open stack" call; the generated text
 * is checked with the stack loader against the place it is meant to be written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VigilError } from '../../../shared/errors.js';
import { parseStack, type ConfigIssue } from '../../core/config/index.js';
import { realFs, type ConvertContext } from './context.js';
import { evaluateModule, evaluateModuleSync, type EvaluatedModule } from './evaluate.js';
import { convertPm2 } from './pm2.js';
import { convertProcessCompose } from './process-compose.js';
import { convertProcfile } from './procfile.js';
import { renderStack } from './render.js';
import { readLocated, type LocatedValue } from './source.js';
import type { Conversion, FsView, ImportFormat, ImportResult, ImportWarning } from './types.js';
import { isDict } from './values.js';

export type { ImportFormat, ImportResult, ImportWarning, FsView } from './types.js';
export { IMPORT_FORMATS } from './types.js';
export { formatWarning } from './warnings.js';
export { normaliseName, NameRegistry } from './names.js';
export { escapeInterpolation } from './escape.js';
export { renderStack, relPath } from './render.js';
export type { DraftService, DraftStack, DraftDependency } from './types.js';

export const MAX_IMPORT_BYTES = 1024 * 1024;

export interface ImportOptions {
  /** Where the stack file will be written; default `vigil.yaml` beside the input. */
  readonly outFile?: string;
  /** PM2: apply `env_<name>` over `env`, like `pm2 start --env <name>`. */
  readonly envName?: string;
  /** For `${VAR}` checks and for evaluating JavaScript ecosystem files; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly fs?: FsView;
  /** Time limit for evaluating a JavaScript ecosystem file. */
  readonly timeoutMs?: number;
  /** CPU cores PM2's `instances: max` (and `-1`, ...) count from; default this machine's. */
  readonly cpus?: number;
}

/** `vigil.yaml` beside the input. */
export function defaultOutFile(file: string): string {
  return path.join(path.dirname(path.resolve(file)), 'vigil.yaml');
}

const JS_EXT = /\.(c|m)?js$/i;
const YAML_OR_JSON = /\.(ya?ml|json)$/i;

/** Files `importStack` recognises by name (for file pickers and `vigil init`). */
export function isImportableName(file: string): boolean {
  const base = path.basename(file).toLowerCase();
  return (
    /^procfile(\.[\w.-]+)?$/.test(base) ||
    /^process-compose([.-][\w.-]+)?\.ya?ml$/.test(base) ||
    /^ecosystem([.-][\w.-]+)?\.(c|m)?js$/.test(base) ||
    /^ecosystem([.-][\w.-]+)?\.(json|ya?ml)$/.test(base) ||
    /^pm2\.(json|ya?ml)$/.test(base)
  );
}

export function isDockerComposeName(file: string): boolean {
  return /^(docker-)?compose([.-][\w.-]+)?\.ya?ml$/.test(path.basename(file).toLowerCase());
}

type Source =
  | { readonly kind: 'procfile'; readonly text: string }
  | { readonly kind: 'js' }
  | { readonly kind: 'data'; readonly located: LocatedValue };

function readSource(file: string): Source {
  const base = path.basename(file).toLowerCase();
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new VigilError('STACK_NOT_FOUND', `no file at ${file}`, {
      hint: 'give the path of a process-compose.yaml, Procfile or PM2 ecosystem file',
    });
  }
  if (!stat.isFile()) throw new VigilError('STACK_NOT_FOUND', `${file} is not a file`);
  if (stat.size > MAX_IMPORT_BYTES)
    throw new VigilError(
      'STACK_TOO_LARGE',
      `${file} is larger than 1 MB; that is not a stack file`,
    );
  if (JS_EXT.test(base)) return { kind: 'js' };
  const text = fs.readFileSync(file, 'utf8');
  if (/^procfile/.test(base)) return { kind: 'procfile', text };
  if (YAML_OR_JSON.test(base) || /^\s*[{[]/.test(text) || /^[\w-]+:\s*$/m.test(text)) {
    // A Procfile under another name is not YAML with a map of maps: try YAML first, fall back.
    try {
      const located = readLocated(text, file);
      const v = located.value;
      // `web: npm start` lines are valid YAML too: a map of plain strings is a Procfile.
      const procfileLike =
        !YAML_OR_JSON.test(base) &&
        isDict(v) &&
        Object.values(v).every((x) => typeof x === 'string');
      if (!procfileLike && (isDict(v) || Array.isArray(v))) return { kind: 'data', located };
    } catch (err) {
      if (YAML_OR_JSON.test(base)) throw err;
    }
  }
  return { kind: 'procfile', text };
}

function dockerComposeError(file: string): VigilError {
  const base = path.basename(file);
  return new VigilError(
    'STACK_INVALID',
    `${base} is a Docker Compose file: its services are containers, which Vigil does not run, so there is nothing to import`,
    {
      location: { file, line: 1, col: 1 },
      hint: 'start the containers with `docker compose up`, or give Vigil one service whose command is `docker compose up`',
    },
  );
}

/** Which converter a parsed YAML/JSON value is for. */
function formatOfData(file: string, value: unknown): 'process-compose' | 'pm2' {
  if (isDict(value) && 'processes' in value) return 'process-compose';
  if (Array.isArray(value) || (isDict(value) && ('apps' in value || 'script' in value)))
    return 'pm2';
  if (isDict(value) && isDict(value.services)) {
    const services = Object.values(value.services);
    const containers = services.some((s) => isDict(s) && ('image' in s || 'build' in s));
    if (containers || isDockerComposeName(file)) throw dockerComposeError(file);
    if (value.version === 1 || value.version === '1' || /^vigil\.ya?ml$/i.test(path.basename(file)))
      throw new VigilError('STACK_INVALID', `${file} is already a Vigil stack file`, {
        hint: `run it with \`vigil up -f ${path.basename(file)}\``,
      });
  }
  if (isDockerComposeName(file)) throw dockerComposeError(file);
  throw new VigilError(
    'STACK_INVALID',
    `cannot tell what ${path.basename(file)} is: expected a process-compose file (processes:), a PM2 ecosystem file (apps:) or a Procfile`,
    { location: { file, line: 1, col: 1 } },
  );
}

function contextOf(opts: ImportOptions): ConvertContext {
  return {
    fs: opts.fs ?? realFs,
    env: opts.env ?? process.env,
    cpus: Math.max(1, Math.floor(opts.cpus ?? os.availableParallelism())),
  };
}

function fromEvaluated(file: string, ev: EvaluatedModule, opts: ImportOptions): Conversion {
  return convertPm2(ev.value, file, contextOf(opts), {
    ...(opts.envName !== undefined ? { envName: opts.envName } : {}),
    notes: [
      ...ev.notes.map((message) => ({ path: '', message })),
      ...ev.dropped.map((p) => ({
        path: p,
        message: `${p}: not imported (JSON cannot carry it; write the value out)`,
      })),
    ],
  });
}

function convertSource(file: string, src: Exclude<Source, { kind: 'js' }>, opts: ImportOptions) {
  const ctx = contextOf(opts);
  if (src.kind === 'procfile')
    return { format: 'procfile' as const, conversion: convertProcfile(src.text, file, ctx) };
  const format = formatOfData(file, src.located.value);
  if (format === 'process-compose')
    return { format, conversion: convertProcessCompose(src.located, file, ctx) };
  return {
    format,
    conversion: convertPm2(src.located.value, file, ctx, {
      pos: src.located.pos,
      ...(opts.envName !== undefined ? { envName: opts.envName } : {}),
    }),
  };
}

function finish(
  format: ImportFormat,
  conversion: Conversion,
  file: string,
  opts: ImportOptions,
): ImportResult {
  const outFile = path.resolve(opts.outFile ?? defaultOutFile(file));
  const yaml = renderStack(conversion.stack, outFile);
  const checked = parseStack(yaml, outFile, { env: opts.env ?? process.env });
  const problems: ConfigIssue[] = [...(checked.ok ? [] : checked.errors), ...checked.warnings];
  return {
    format,
    yaml,
    warnings: byLine(conversion.warnings),
    services: conversion.stack.services.map((s) => s.name),
    outFile,
    problems,
  };
}

/** Warnings with a line in file order; those without (evaluated JavaScript) after, as found. */
function byLine(warnings: readonly ImportWarning[]): ImportWarning[] {
  return warnings
    .map((w, i) => ({ w, i }))
    .sort(
      (a, b) =>
        (a.w.line ?? Infinity) - (b.w.line ?? Infinity) ||
        (a.w.col ?? 0) - (b.w.col ?? 0) ||
        a.i - b.i,
    )
    .map((x) => x.w);
}

/**
 * Converts a process-compose file, Procfile or PM2 ecosystem file into stack file text. Throws a
 * VigilError for files it cannot import (Docker Compose, unreadable, unrecognised). A JavaScript
 * ecosystem file is evaluated in a child node process (blocking, at most `timeoutMs`).
 */
export function importStack(file: string, opts: ImportOptions = {}): ImportResult {
  const abs = path.resolve(file);
  const src = readSource(abs);
  if (src.kind === 'js') {
    const ev = evaluateModuleSync(abs, opts.env ?? process.env, opts.timeoutMs);
    return finish('pm2', fromEvaluated(abs, ev, opts), abs, opts);
  }
  const { format, conversion } = convertSource(abs, src, opts);
  return finish(format, conversion, abs, opts);
}

/** `importStack` without blocking the event loop while a JavaScript file is evaluated. */
export async function importStackAsync(
  file: string,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const abs = path.resolve(file);
  const src = readSource(abs);
  if (src.kind === 'js') {
    const ev = await evaluateModule(abs, opts.env ?? process.env, opts.timeoutMs);
    return finish('pm2', fromEvaluated(abs, ev, opts), abs, opts);
  }
  const { format, conversion } = convertSource(abs, src, opts);
  return finish(format, conversion, abs, opts);
}

/** The conversion before rendering, for `vigil init` which merges several sources. */
export function convertFile(
  file: string,
  opts: ImportOptions = {},
): { format: ImportFormat; conversion: Conversion } {
  const abs = path.resolve(file);
  const src = readSource(abs);
  if (src.kind === 'js') {
    const ev = evaluateModuleSync(abs, opts.env ?? process.env, opts.timeoutMs);
    return { format: 'pm2', conversion: fromEvaluated(abs, ev, opts) };
  }
  return convertSource(abs, src, opts);
}
