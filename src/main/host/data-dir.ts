/**
 * The data directory and its API token: where Vigil keeps its files, and the secret every REST
 * client presents. Shared by `vigil up`, the desktop app and the CLI's client commands.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where Vigil keeps its data: `VIGIL_DATA_DIR`, else the platform's per-user data directory
 * (`$XDG_DATA_HOME/vigil` or `~/.local/share/vigil`, `~/Library/Application Support/Vigil`,
 * `%APPDATA%\Vigil`).
 */
export function defaultDataDir(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform = process.platform,
  home: string = env.HOME || env.USERPROFILE || os.homedir(),
): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (env.VIGIL_DATA_DIR) return p.resolve(env.VIGIL_DATA_DIR);
  switch (platform) {
    case 'darwin':
      return p.join(home, 'Library', 'Application Support', 'Vigil');
    case 'win32':
      return p.join(env.APPDATA || p.join(home, 'AppData', 'Roaming'), 'Vigil');
    default: {
      const xdg = env.XDG_DATA_HOME;
      return xdg && p.isAbsolute(xdg)
        ? p.join(xdg, 'vigil')
        : p.join(home, '.local', 'share', 'vigil');
    }
  }
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
