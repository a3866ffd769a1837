/** Where Vigil's own files are: the package root (demo stack, built UI) and the API token. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The directory of Vigil's package.json, found by walking up from this module. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vigil')
          return (root = dir);
      } catch {
        // not ours; keep walking
      }
    }
    dir = path.dirname(dir);
  }
  return (root = process.cwd());
}

export const TOKEN_FILE = 'api-token';

/** The data directory's API token: created once (random, mode 0600), then reused. */
export function readOrCreateToken(dataDir: string): string {
  const file = path.join(dataDir, TOKEN_FILE);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) {
      fs.chmodSync(file, 0o600);
      return existing;
    }
  } catch {
    // missing: create below
  }
  const token = crypto.randomBytes(32).toString('base64url');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, token + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return token;
}

/** The token a client should use: explicit, environment, or the data directory's file. */
export function readToken(dataDir: string): string | null {
  try {
    const t = fs.readFileSync(path.join(dataDir, TOKEN_FILE), 'utf8').trim();
    return t || null;
  } catch {
    return null;
  }
}
