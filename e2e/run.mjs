// The end-to-end tier: builds the UI and the CLI, runs e2e/*.e2e.test.ts with Vitest, and ends with
// one line `E2E: N passed, N failed[, N skipped]` (scripts/test.mjs reads it). Exit code 1 on any
// failure. Specs that need Chromium or the Electron binary skip with a message when those are missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const started = Date.now();

function build(what, args) {
  process.stdout.write(`e2e: building ${what}\n`);
  const r = spawnSync(node, args, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

function finish(passed, failed, skipped) {
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`e2e: done in ${secs} s\n`);
  process.stdout.write(
    `E2E: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
  );
  process.exit(failed > 0 ? 1 : 0);
}

const built =
  build('the UI', [
    path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'),
    'build',
  ]) && build('the CLI', [path.join(root, 'scripts', 'build-cli.mjs')]);
if (!built) {
  process.stdout.write('e2e: the build failed; no spec ran\n');
  finish(0, 1, 0);
}

const report = path.join(
  fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-report-')),
  'report.json',
);
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(
  node,
  [
    vitest,
    'run',
    '--config',
    'vitest.e2e.config.ts',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { cwd: root, stdio: 'inherit', timeout: 240_000, killSignal: 'SIGKILL' },
);
if (!fs.existsSync(report)) {
  process.stdout.write(`e2e: no report from vitest (exit ${r.status ?? r.signal})\n`);
  finish(0, 1, 0);
}
const json = JSON.parse(fs.readFileSync(report, 'utf8'));
let failed = json.numFailedTests ?? 0;
const passed = json.numPassedTests ?? 0;
const skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
// A file that failed to load has no tests but is a failure all the same.
failed += (json.testResults ?? []).filter(
  (s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0,
).length;
if (r.status !== 0 && failed === 0) failed = 1;
finish(passed, failed, skipped);
