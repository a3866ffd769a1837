import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (pure functions and fakes, a fake clock, at most a temporary file; runs
 * alone with `npm run test:unit`) and `integration` (`*.int.test.ts`: real processes, real SQLite,
 * real sockets). `npm test` runs both. The chaos tier and the browser tier have their own configs.
 */
const shared = {
  testTimeout: 30_000,
  hookTimeout: 30_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'unit',
          include: [
            'src/**/*.test.ts',
            'src/**/*.test.tsx',
            'scripts/**/*.test.ts',
            'reliability/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', '**/*.int.test.ts', '**/*.chaos.test.ts', 'e2e/**'],
        },
      },
      {
        test: {
          ...shared,
          name: 'integration',
          include: [
            'src/**/*.int.test.ts',
            'scripts/**/*.int.test.ts',
            'reliability/**/*.int.test.ts',
            'bin/**/*.test.mjs',
          ],
          exclude: ['**/node_modules/**', '**/*.chaos.test.ts', 'e2e/**'],
        },
      },
    ],
  },
});
