/**
 * The imperative side of an export: env files read from disk, files written, and the guard that
 * never overwrites a file Vigil did not write unless told to.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { StackConfig } from '../../shared/model.js';
import { readEnvFile } from '../core/config/env.js';
import { exportCompose } from './compose.js';
import { exportKubernetes } from './kubernetes.js';
import type { EnvFileReader, ExportNote, ExportResult } from './types.js';

export const EXPORT_TARGETS = ['kubernetes', 'compose'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** Every exported file carries this in its first comment. */
export const EXPORT_MARK = 'written by `vigil export';

export const readEnvFileFromDisk: EnvFileReader = (file) => {
  const r = readEnvFile(file);
  return r.ok ? r.vars : null;
};

export interface ExportRequest {
  readonly target: ExportTarget;
  /** A folder for kubernetes, a file for compose. */
  readonly out: string;
  readonly namespace?: string;
  readonly images?: Readonly<Record<string, string>>;
  /** Overwrite files that Vigil did not write. */
  readonly force?: boolean;
}

export type ExportOutcome =
  | {
      readonly ok: true;
      /** Absolute paths written. */
      readonly written: readonly string[];
      readonly notes: readonly ExportNote[];
      readonly result: ExportResult;
    }
  | { readonly ok: false; readonly message: string; readonly hint?: string };

/** The export as it would be written, without writing it. */
export function buildExport(config: StackConfig, req: ExportRequest): ExportResult {
  const images = req.images ?? {};
  return req.target === 'kubernetes'
    ? exportKubernetes(config, {
        ...(req.namespace !== undefined ? { namespace: req.namespace } : {}),
        images,
        readEnvFile: readEnvFileFromDisk,
      })
    : exportCompose(config, {
        outDir: path.dirname(path.resolve(req.out)),
        fileName: path.basename(req.out),
        images,
        readEnvFile: readEnvFileFromDisk,
      });
}

/** Builds and writes an export; refuses to overwrite a file Vigil did not write unless `force`. */
export function writeExport(config: StackConfig, req: ExportRequest): ExportOutcome {
  const out = path.resolve(req.out);
  const unknown = Object.keys(req.images ?? {}).filter(
    (n) => !config.services.some((s) => s.name === n),
  );
  if (unknown.length > 0)
    return {
      ok: false,
      message: `--image names ${unknown.map((n) => `"${n}"`).join(', ')}, not a service of this stack`,
      hint: `services: ${config.services.map((s) => s.name).join(', ')}`,
    };
  const result = buildExport(config, req);
  const dir = req.target === 'kubernetes' ? out : path.dirname(out);
  const targets = result.files.map((f) =>
    req.target === 'kubernetes' ? path.join(dir, f.path) : out,
  );
  if (req.target === 'kubernetes' && fs.existsSync(out) && !fs.statSync(out).isDirectory())
    return { ok: false, message: `${out} is a file, not a folder`, hint: 'pass -o with a folder' };
  if (!req.force)
    for (const t of targets) {
      let text: string | undefined;
      try {
        text = fs.readFileSync(t, 'utf8');
      } catch {
        continue;
      }
      if (!text.includes(EXPORT_MARK))
        return {
          ok: false,
          message: `${t} exists and was not written by vigil export`,
          hint: 'choose another -o, or pass --force to overwrite it',
        };
    }
  try {
    fs.mkdirSync(dir, { recursive: true });
    result.files.forEach((f, i) => fs.writeFileSync(targets[i]!, f.text));
  } catch (err) {
    return { ok: false, message: `cannot write ${dir}: ${(err as Error).message}` };
  }
  return { ok: true, written: targets, notes: result.notes, result };
}
