// `npm test`: format check, typecheck, lint, then every test tier that needs no Electron binary,
// ending with one plain line `N passed, N failed[, N skipped]` that CI reads.
// `--chaos` runs the slow fault-injection tier instead of the fast tiers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const chaos = process.argv.includes('--chaos');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
let passed = 0;
let failed = 0;
let skipped = 0;

function step(name, cmd, args) {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`== ${name}: FAILED (exit ${r.status ?? r.signal})\n`);
    failed += 1;
    return false;
  }
  passed += 1;
  return true;
}

function vitest(name, extra) {
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-test-')), 'report.json');
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(
    npx,
    [
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...extra,
    ],
    {
      stdio: 'inherit',
    },
  );
  if (!fs.existsSync(report)) {
    process.stdout.write(`== ${name}: no report (exit ${r.status ?? r.signal})\n`);
    failed += 1;
    return;
  }
  const json = JSON.parse(fs.readFileSync(report, 'utf8'));
  passed += json.numPassedTests ?? 0;
  failed += json.numFailedTests ?? 0;
  skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  // A suite that failed to load has no tests but is a failure all the same.
  const brokenSuites = (json.testResults ?? []).filter(
    (s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0,
  ).length;
  failed += brokenSuites;
  if (r.status !== 0 && (json.numFailedTests ?? 0) === 0 && brokenSuites === 0) failed += 1;
}

/** The browser tier prints `E2E: N passed, N failed[, N skipped]` as its last line. */
function e2e() {
  process.stdout.write('\n== browser e2e\n');
  const r = spawnSync(process.execPath, ['e2e/run.mjs'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  process.stdout.write(r.stdout ?? '');
  const m = /E2E: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/.exec((r.stdout ?? '').trim());
  if (!m) {
    process.stdout.write(`== browser e2e: no summary (exit ${r.status ?? r.signal})\n`);
    failed += 1;
    return;
  }
  passed += Number(m[1]);
  failed += Number(m[2]);
  skipped += Number(m[3] ?? 0);
  if (r.status !== 0 && Number(m[2]) === 0) failed += 1;
}

if (chaos) {
  vitest('chaos tests', ['--config', 'vitest.chaos.config.ts']);
} else {
  step('format check', npx, ['prettier', '--check', '.']);
  step('typecheck', npx, ['tsc', '-p', 'tsconfig.node.json', '--noEmit']);
  step('typecheck (web)', npx, ['tsc', '-p', 'tsconfig.web.json', '--noEmit']);
  step('typecheck (browser tests)', npx, ['tsc', '-p', 'tsconfig.e2e.json', '--noEmit']);
  step('lint', npx, ['eslint', '.']);
  step('build cli', process.execPath, ['scripts/build-cli.mjs']);
  vitest('unit and integration tests', []);
  vitest('benchmark suite tests', ['--config', 'bench/vitest.config.mjs']);
  if (fs.existsSync('e2e/run.mjs')) e2e();
}

process.stdout.write(
  `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
);
process.exit(failed > 0 ? 1 : 0);
