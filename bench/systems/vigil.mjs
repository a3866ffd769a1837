// Vigil, headless: `vigil up --json` with a generated stack file; stopped with `vigil down`.
import fs from 'node:fs';
import path from 'node:path';
import { nowMs } from '../lib/http.mjs';
import { start, killGroup, run } from '../lib/spawn.mjs';
import { REPO_ROOT, SERVICE_SCRIPT } from '../lib/workload.mjs';
import { VIGIL_BIN, vigilNodeFlags } from '../../bin/node-flags.mjs';

const VIGIL_BUNDLE = path.join(REPO_ROOT, 'out', 'cli', 'vigil.js');

const q = (s) => JSON.stringify(String(s));

/**
 * The stack file: its fastest settings for this workload (every service launched at once, zero
 * restart backoff, a short probe cadence while starting) and the same /health path.
 */
export function vigilConfig(
  services,
  { healthIntervalMs = 5000, startIntervalMs = 100, processChecks = false } = {},
) {
  const lines = [
    'version: 1',
    'name: bench',
    'settings:',
    `  health_check_interval: ${healthIntervalMs}ms`,
    '  health_check_timeout: 2s',
    `  parallel_launch_limit: ${Math.max(1, services.length)}`,
    'services:',
  ];
  for (const s of services) {
    const env = Object.entries(s.env)
      .map(([k, v]) => `${k}: ${q(v)}`)
      .join(', ');
    lines.push(
      `  ${s.name}:`,
      `    command: [${q(process.execPath)}, ${q(SERVICE_SCRIPT)}]`,
      `    port: ${s.port}`,
      `    env: { ${env} }`,
      '    health:',
      processChecks ? '      process: true' : '      http: { path: /health }',
      `      start_interval: ${startIntervalMs}ms`,
      '    restart:',
      '      backoff: [0ms]',
    );
  }
  return lines.join('\n') + '\n';
}

/** The API address and token of a running Vigil, from its data directory. */
export function vigilApi(dataDir) {
  try {
    const lock = JSON.parse(fs.readFileSync(path.join(dataDir, 'vigil.lock'), 'utf8'));
    const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    return lock?.api?.url ? { url: lock.api.url, token } : null;
  } catch {
    return null;
  }
}

function vigilSystem({ name, label, describe, processChecks }) {
  return {
    name,
    label,
    describe,
    check() {
      if (!fs.existsSync(VIGIL_BUNDLE))
        return { ok: false, why: 'the CLI is not built: run `npm run build:cli`' };
      return { ok: true };
    },
    config: (services, opts) => ({
      file: 'vigil.yaml',
      text: vigilConfig(services, { ...opts, processChecks }),
    }),

    async start(dir, services, opts = {}) {
      const file = path.join(dir, 'vigil.yaml');
      const dataDir = path.join(dir, 'data');
      fs.writeFileSync(file, vigilConfig(services, { ...opts, processChecks }));
      let resolveReady;
      const selfReady = new Promise((r) => (resolveReady = r));
      // Run as a user runs it headless: readable lines on stdout (not --json, which would print
      // every probe result). Vigil's own "system ready in ..." line gives its self-reported time.
      const h = start(
        process.execPath,
        [
          // what the `vigil` command runs with, then the caller's experiments
          ...vigilNodeFlags(),
          ...(opts.nodeArgs ?? []),
          VIGIL_BIN,
          'up',
          '-f',
          file,
          '--port',
          '0',
          '--data-dir',
          dataDir,
        ],
        {
          cwd: dir,
          onLine: (line) => {
            if (/\bsystem ready in\b/.test(line)) resolveReady(nowMs());
          },
        },
      );
      h.exited.then(() => resolveReady(null));
      return {
        supervisorPids: () => (h.pid ? [h.pid] : []),
        selfReady,
        dataDir,
        api: () => vigilApi(dataDir),
        stop: () =>
          run(process.execPath, [VIGIL_BIN, 'down', '--data-dir', dataDir], {
            cwd: dir,
            timeoutMs: 90_000,
          }),
        exited: h.exited,
        cleanup: async () => killGroup(h.pid),
        output: h.output,
      };
    },
  };
}

export const vigil = vigilSystem({
  name: 'vigil',
  label: 'Vigil',
  describe:
    '`vigil up --port 0` (headless), stopped with `vigil down`; HTTP health checks on /health',
  processChecks: false,
});

/**
 * The same Vigil with process checks only (alive or not), no HTTP probes: what PM2 and
 * supervisord do in this workload (neither probes /health), so its steady-state figures compare
 * like with like. Run at the steady-state size only.
 */
export const vigilProc = vigilSystem({
  name: 'vigil-proc',
  label: 'Vigil (process checks)',
  describe:
    'the same Vigil with `health: { process: true }` instead of HTTP checks: like the peers, which probe nothing',
  processChecks: true,
});
vigilProc.onlyAtSteadySize = true;
