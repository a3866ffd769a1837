/** Env files (dotenv format) and the rule for which env keys are secret. */
import fs from 'node:fs';
import { parse as parseDotenv } from 'dotenv';

export const SECRET_ENV_RE = /SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE/i;
/** An env file larger than this is not a config file. */
export const MAX_ENV_FILE_BYTES = 1024 * 1024;
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export function isSecretEnvKey(key: string): boolean {
  return SECRET_ENV_RE.test(key);
}

export type EnvFileResult =
  | { readonly ok: true; readonly vars: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly reason: string };

/** Reads a dotenv file; values are kept verbatim (no expansion). */
export function readEnvFile(file: string, seen?: Set<string>): EnvFileResult {
  // Recorded even when missing: hot reload watches it and applies the stack once it appears.
  seen?.add(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return { ok: false, reason: 'not found' };
  }
  if (!stat.isFile()) return { ok: false, reason: 'not a file' };
  if (stat.size > MAX_ENV_FILE_BYTES) return { ok: false, reason: 'larger than 1 MB' };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return {
      ok: false,
      reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    };
  }
  const vars = new Map<string, string>();
  for (const [k, v] of Object.entries(parseDotenv(text))) {
    if (ENV_NAME_RE.test(k) && k !== '__proto__') vars.set(k, v);
  }
  return { ok: true, vars };
}
