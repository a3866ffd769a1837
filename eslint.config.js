import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules', 'out', 'dist', 'coverage', 'bench/results', 'test-results'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  {
    files: ['*.config.ts', '*.config.js', 'electron.vite.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Only the Electron shell and the real preload may touch Electron's modules.
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/main/app/**', 'src/preload/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'electron/*'],
              message: 'only src/main/app and src/preload/index.ts import electron',
            },
          ],
        },
      ],
    },
  },
  {
    // The supervisor core is plain Node: it never imports Electron, React or the renderer.
    files: ['src/main/core/**', 'src/main/host/**', 'src/main/cli/**', 'src/main/transport/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'electron/*'],
              message: 'core/cli/transport must not import electron',
            },
            {
              group: ['react', 'react-dom', '**/renderer/**'],
              message: 'no renderer code in main',
            },
          ],
        },
      ],
    },
  },
  {
    // shared is pure TypeScript that any layer can import: no Node, no Electron, no DOM side effects.
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'path',
                'child_process',
                'electron',
                'react',
                '**/main/**',
                '**/renderer/**',
              ],
              message: 'shared must stay pure',
            },
          ],
        },
      ],
    },
  },
  {
    // The renderer runs in a sandboxed page: no Node modules, nothing from main.
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'child_process', 'electron', '**/main/**'],
              message: 'renderer must not import Node or main',
            },
          ],
        },
      ],
    },
  },
);
