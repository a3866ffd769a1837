/** Where Vigil's own files are: the package root (demo stack, built UI). */
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
