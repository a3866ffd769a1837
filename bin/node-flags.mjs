// The Node flags the `vigil` command runs with, read from the first line of bin/vigil.js: scripts
// that start Vigil with an explicit `node` (npm start, the benchmarks) pass them too, so they run
// what a user's `vigil` runs. Why these flags: docs/adr/0009-node-flags-for-the-supervisor.md.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VIGIL_BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'vigil.js');

/** Flags after `node` on a `#!/usr/bin/env -S node …` line; none for a plain `env node` line. */
export function shebangNodeFlags(firstLine) {
  const m = /^#!\s*\S*\benv\s+-S\s+node((?:\s+-\S+)*)\s*$/.exec(firstLine);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

export function vigilNodeFlags(bin = VIGIL_BIN) {
  const first = fs.readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  return shebangNodeFlags(first);
}
