// The workload every system runs: N copies of one small HTTP service, one port each.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
export const SERVICE_SCRIPT = path.join(BENCH_DIR, 'workload', 'service.mjs');
export const FLOOR_LAUNCHER = path.join(BENCH_DIR, 'workload', 'floor-launcher.mjs');

/**
 * `n` services named s0..s(n-1) on ports basePort.., each with `BENCH_TAG=tag` in its environment
 * (how the suite finds every process it caused) and `extraEnv` (BOOT_MS, FLOOD_BPS...).
 */
export function makeServices(n, basePort, tag, extraEnv = {}) {
  return Array.from({ length: n }, (_, i) => ({
    name: `s${i}`,
    port: basePort + i,
    env: { PORT: String(basePort + i), BENCH_TAG: tag, ...extraEnv },
  }));
}
