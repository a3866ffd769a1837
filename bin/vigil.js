#!/usr/bin/env -S node --no-concurrent-recompilation
// The `vigil` command: runs the bundled CLI (built by `npm install` through the prepare script).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'out/cli/vigil.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write(
    'vigil: the CLI is not built yet; run `npm run build:cli` (npm install does it)\n',
  );
  process.exit(1);
}
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
