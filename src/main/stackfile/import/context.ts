/** What converters may ask of the outside world: files (to check paths) and the environment. */
import fs from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { interpolate } from '../../core/config/index.js';
import type { FsView } from './types.js';
import { ENV_KEY_RE } from './values.js';

export interface ConvertContext {
  readonly fs: FsView;
  /** The environment `${VAR}` references resolve from when checking paths (process env). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** CPU cores, for counts that depend on them (PM2 `instances: max`). */
  readonly cpus: number;
}

export const realFs: FsView = {
  isFile: (p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  },
  isDir: (p) => {
    try {
      return fs.statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
  read: (p) => {
    try {
      if (fs.statSync(p).size > 1024 * 1024) return undefined;
      return fs.readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};

/** Variables of a dotenv file (empty when missing or unreadable). */
export function readDotenv(fsv: FsView, file: string): Map<string, string> {
  const out = new Map<string, string>();
  const textOf = fsv.read(file);
  if (textOf === undefined) return out;
  for (const [k, v] of Object.entries(parseDotenv(textOf)))
    if (ENV_KEY_RE.test(k) && k !== '__proto__') out.set(k, v);
  return out;
}

/** A path as the loader will see it once `${VAR}` is interpolated (for existence checks). */
export function expandForCheck(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
  extra?: ReadonlyMap<string, string>,
): string {
  return interpolate(value, (n) => env[n] ?? extra?.get(n)).value;
}
