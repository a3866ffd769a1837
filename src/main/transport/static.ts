/**
 * Static files of the browser UI. A request path never leaves the static directory: `..` and `.`
 * segments (also percent-encoded), NUL and backslashes are refused, the resolved path must stay
 * under the directory, and so must its real path (a symlink pointing outside is refused).
 */
import fs from 'node:fs';
import path from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** The decoded relative segments of a raw URL path, or null when the path is not acceptable. */
export function safeSegments(rawPath: string): string[] | null {
  if (!rawPath.startsWith('/')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return null;
  return segments;
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root + path.sep);
}

/**
 * The file a request path names under `root` (`/` → `index.html`), or null when there is none or
 * the path tries to leave `root`.
 */
export async function resolveStaticFile(root: string, rawPath: string): Promise<string | null> {
  const segments = safeSegments(rawPath);
  if (segments === null) return null;
  let realRoot: string;
  try {
    realRoot = await fs.promises.realpath(root);
  } catch {
    return null;
  }
  const rel = segments.length === 0 ? ['index.html'] : segments;
  const candidate = path.resolve(realRoot, ...rel);
  if (!isInside(realRoot, candidate)) return null;
  try {
    const real = await fs.promises.realpath(candidate);
    if (!isInside(realRoot, real)) return null;
    const stat = await fs.promises.stat(real);
    return stat.isFile() ? real : null;
  } catch {
    return null;
  }
}
