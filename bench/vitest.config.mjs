// The suite's own tests (pure parts and a small real-socket test), run with
// `npx vitest run --config bench/vitest.config.mjs`.
import { defineConfig } from 'vitest/config';

export const config = defineConfig({
  test: {
    include: ['bench/**/*.test.mjs'],
    exclude: ['**/node_modules/**', 'bench/results/**'],
    testTimeout: 20_000,
  },
});

// Vitest reads the default export of its config file.
export { config as default };
