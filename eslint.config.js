import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/**
 * Layers and what each may import (docs/ARCHITECTURE.md). Each source file belongs to one zone;
 * its `no-restricted-imports` patterns are the union of what the zone forbids, in one rule entry
 * (ESLint does not merge two entries of the same rule, the later one would win).
 */
const ELECTRON = {
  group: ['electron', 'electron/*'],
  message: 'only src/main/app and src/preload/index.ts import electron',
};
const REACT = {
  group: ['react', 'react-dom', 'react/*', 'react-dom/*'],
  message: 'React is for src/renderer only',
};
const RENDERER = {
  group: ['**/renderer/**'],
  message: 'main and preload never import the renderer',
};
const NODE_BUILTINS = {
  group: [
    'node:*',
    'fs',
    'path',
    'child_process',
    'os',
    'net',
    'http',
    'crypto',
    'better-sqlite3',
    'ws',
  ],
  message: 'this layer runs in a page or anywhere: no Node modules',
};
const TRANSPORT = {
  group: ['**/transport/**', '**/main/transport/**'],
  message: 'core must not import transport: transports depend on the core, not the other way round',
};
const CLI = { group: ['**/cli/**'], message: 'core and transport must not import the CLI' };
const APP = {
  group: ['**/app/**', '!**/renderer/app/**'],
  message: 'only the Electron shell imports the Electron shell (src/main/app)',
};
const MAIN = { group: ['**/main/**'], message: 'this layer must not import src/main' };
const PRELOAD = { group: ['**/preload/**'], message: 'this layer must not import the preload' };
const HOST = {
  group: ['**/host/**'],
  message: 'the host assembles core and transports: only the CLI and the Electron shell import it',
};
const EXPORT = {
  group: ['**/export/**'],
  message:
    'the stack-file export is a feature on top of the core: only the CLI and the shell import it',
};

const API = {
  group: ['**/main/api/**', '../api/**', '../../api/**', './api/**'],
  message:
    'the API facade (src/main/api) sits on top of the core and the report: the core never imports it',
};
const REPORT = {
  group: ['**/main/report/**', '../report/**', '../../report/**'],
  message: 'the healing report reads the history: the core never imports it',
};

const STACKFILE = {
  group: ['**/main/stackfile/**', '../stackfile/**', '../../stackfile/**'],
  message:
    'stack-file import and discovery (src/main/stackfile) write stack files for the CLI: the core never imports them',
};

const TESTS = ['**/*.test.ts', '**/*.test.tsx', '**/testing/**'];

/**
 * A zone: its source files get `source` patterns; its tests and test doubles, which may reach
 * across layers to run a whole stack, get only `tests` (where the code may run).
 */
const zone = (files, source, tests, ignores = []) => [
  {
    files,
    ignores: [...TESTS, ...ignores],
    rules: { 'no-restricted-imports': ['error', { patterns: source }] },
  },
  {
    files: files.flatMap((f) => TESTS.map((t) => `${f.replace(/\*\*$/, '')}${t}`)),
    ignores,
    rules: { 'no-restricted-imports': ['error', { patterns: tests }] },
  },
];

export default tseslint.config(
  {
    ignores: ['node_modules', 'out', 'dist', 'coverage', 'bench/results', 'test-results'],
  },
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
    // Type-aware rules for the application code: a switch over a union names every member (or
    // says `default` on purpose), and no promise is dropped on the floor (`void` when intended).
    files: ['src/**/*.ts', 'src/**/*.tsx', 'reliability/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.test.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  // The layers.
  ...zone(
    ['src/shared/**'],
    [NODE_BUILTINS, ELECTRON, REACT, MAIN, RENDERER, PRELOAD],
    [ELECTRON, REACT, MAIN, RENDERER, PRELOAD],
  ),
  ...zone(
    ['src/main/core/**'],
    [ELECTRON, REACT, RENDERER, TRANSPORT, CLI, APP, HOST, EXPORT, API, REPORT, STACKFILE],
    [ELECTRON, REACT, RENDERER],
  ),
  ...zone(
    ['src/main/stackfile/**'],
    [ELECTRON, REACT, RENDERER, TRANSPORT, CLI, APP, HOST, EXPORT, API, REPORT],
    [ELECTRON, REACT, RENDERER],
  ),
  ...zone(
    ['src/main/report/**'],
    [ELECTRON, REACT, RENDERER, TRANSPORT, CLI, APP, HOST, EXPORT, API],
    [ELECTRON, REACT, RENDERER],
  ),
  ...zone(
    ['src/main/api/**'],
    [ELECTRON, REACT, RENDERER, TRANSPORT, CLI, APP, HOST, EXPORT],
    [ELECTRON, REACT, RENDERER],
  ),
  ...zone(
    ['src/main/transport/**'],
    [ELECTRON, REACT, RENDERER, CLI, APP, HOST, EXPORT],
    [ELECTRON, REACT],
  ),
  ...zone(['src/main/host/**'], [ELECTRON, REACT, RENDERER, CLI, APP, EXPORT], [ELECTRON, REACT]),
  ...zone(
    ['src/main/export/**'],
    [ELECTRON, REACT, RENDERER, TRANSPORT, CLI, APP, HOST],
    [ELECTRON, REACT, RENDERER],
  ),
  ...zone(['src/main/cli/**'], [ELECTRON, REACT, RENDERER, APP], [ELECTRON, REACT]),
  ...zone(['src/main/app/**'], [REACT, RENDERER], [REACT]),
  ...zone(
    ['src/preload/**'],
    [ELECTRON, REACT, RENDERER, MAIN],
    [ELECTRON, REACT],
    ['src/preload/index.ts'],
  ),
  ...zone(['src/preload/index.ts'], [REACT, RENDERER, MAIN], []),
  ...zone(['src/renderer/**'], [NODE_BUILTINS, ELECTRON, MAIN, PRELOAD], [ELECTRON, MAIN]),
  ...zone(['reliability/**'], [ELECTRON, REACT], [ELECTRON, REACT]),
  {
    // The renderer runs in a page: browser globals, in its tests too.
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
