// Bundles the headless CLI (`vigil`) into out/cli/vigil.js so that `npx vigil` starts fast and
// light: no TypeScript loader at run time. The pure-JavaScript dependencies are bundled in too:
// loading them from node_modules (module resolution, CommonJS export scanning, one compile per
// file) made every `vigil` command start ~40% slower and `vigil up` hold ~9 MB more (see
// docs/PERFORMANCE.md). Only the native better-sqlite3 and @parcel/watcher stay external, with ws's
// optional native helpers (ws falls back to JavaScript when they are missing), and playwright-core,
// which only `vigil report --format pdf` loads (on demand) to drive Chromium.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'src/main/cli/main.ts');
const NATIVE = ['better-sqlite3', '@parcel/watcher', 'bufferutil', 'utf-8-validate'];
if (!fs.existsSync(entry)) {
  console.log('build-cli: no CLI entry yet, skipped');
  process.exit(0);
}
const result = await build({
  entryPoints: [entry],
  outfile: path.join(root, 'out/cli/vigil.js'),
  write: false,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Whitespace and comments out, names kept (stack traces stay readable): V8 keeps the whole
  // source text in memory, and a single non-Latin-1 character in a comment doubles it (two bytes
  // a character). Half the resident size of the source, a quarter once it is Latin-1 only.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  external: [...NATIVE, 'playwright-core'],
  banner: {
    js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
// Written to a temporary file and renamed: a `vigil` starting meanwhile (tests run in parallel,
// some rebuild first) reads either the old bundle or the new one, never half of one.
fs.mkdirSync(path.join(root, 'out/cli'), { recursive: true });
for (const file of result.outputFiles) {
  const tmp = `${file.path}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, file.contents);
  fs.renameSync(tmp, file.path);
}
console.log('build-cli: out/cli/vigil.js');
