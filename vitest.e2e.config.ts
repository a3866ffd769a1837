import { defineConfig } from 'vitest/config';

/** End-to-end specs (`e2e/*.e2e.test.ts`), run by `node e2e/run.mjs`: one file at a time. */
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
