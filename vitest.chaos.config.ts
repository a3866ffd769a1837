import { defineConfig } from 'vitest/config';

// The slow fault-injection tier (`npm run test:chaos`): real processes by the hundred, repeated
// SIGKILLs of Vigil, floods and load. One file at a time, so that load tests do not measure each
// other; each file keeps its own bounded timeouts.
export default defineConfig({
  test: {
    include: ['src/**/*.chaos.test.ts', 'reliability/**/*.chaos.test.ts'],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
