// Bundles the headless CLI (`vigil`) into out/cli/vigil.js so that `npx vigil` starts fast and
// light: no TypeScript loader at run time. Native and runtime dependencies stay external.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const entry = path.join(root, 'src/main/cli/main.ts');
if (!fs.existsSync(entry)) {
  console.log('build-cli: no CLI entry yet, skipped');
  process.exit(0);
}
await build({
  entryPoints: [entry],
  outfile: path.join(root, 'out/cli/vigil.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: Object.keys(pkg.dependencies ?? {}),
  banner: {
    js: "import { createRequire as __vigilCreateRequire } from 'node:module'; const require = __vigilCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
console.log('build-cli: out/cli/vigil.js');
