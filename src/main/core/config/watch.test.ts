/** `watch:` in the stack file: forms, defaults, and errors that point at file:line:col. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue } from './format.js';
import { parseStack } from './load.js';
import type { ConfigIssue } from './types.js';

let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-watch-config-'));
  file = path.join(dir, 'vigil.yaml');
  fs.mkdirSync(path.join(dir, 'api'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const stack = (watch: string) =>
  `version: 1\nservices:\n  api:\n    command: node api.js\n    cwd: api\n    watch: ${watch}\n`;

function watchOf(watch: string) {
  const text = stack(watch);
  const r = parseStack(text, file, { env: {} });
  if (!r.ok) throw new Error(r.errors.map((e) => formatIssue(e, { source: text })).join('\n'));
  return r.config.services[0]!.watch;
}

function errorsOf(watch: string): ConfigIssue[] {
  const r = parseStack(stack(watch), file, { env: {} });
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.errors;
}

describe('watch:', () => {
  it('takes the full form; paths resolve from the service cwd', () => {
    const w = watchOf(
      '{ paths: [src/, package.json], ignore: [node_modules/, "**/*.test.ts"], debounce: 500ms, action: run, run: "npm run build", gitignore: false }',
    );
    expect(w).toEqual({
      paths: [path.join(dir, 'api', 'src'), path.join(dir, 'api', 'package.json')],
      shown: ['src/', 'package.json'],
      ignore: ['node_modules/', '**/*.test.ts'],
      debounceMs: 500,
      action: 'run',
      run: { kind: 'shell', script: 'npm run build' },
      gitignore: false,
    });
  });

  it('has defaults: restart, 300ms, .gitignore respected, the whole cwd', () => {
    expect(watchOf('{}')).toEqual({
      paths: [path.join(dir, 'api')],
      shown: ['.'],
      ignore: [],
      debounceMs: 300,
      action: 'restart',
      gitignore: true,
    });
    expect(watchOf('true')?.paths).toEqual([path.join(dir, 'api')]);
    expect(watchOf('false')).toBeUndefined();
    expect(watchOf('[src/, lib/]')?.shown).toEqual(['src/', 'lib/']);
  });

  it('`run` alone means action run', () => {
    expect(watchOf('{ paths: [src/], run: [npm, run, build] }')).toMatchObject({
      action: 'run',
      run: { kind: 'argv', argv: ['npm', 'run', 'build'] },
    });
  });

  it('points at the key that is wrong', () => {
    const unknown = errorsOf('{ paths: [src/], debounse: 1s }');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ line: 6, path: 'services.api.watch.debounse' });
    expect(unknown[0]!.hint).toContain('debounce');

    const action = errorsOf('{ paths: [src/], action: rebuild }');
    expect(action[0]).toMatchObject({ line: 6, col: 37, path: 'services.api.watch.action' });
    expect(action[0]!.message).toContain('restart, run');

    const noRun = errorsOf('{ paths: [src/], action: run }');
    expect(noRun[0]!.message).toContain('needs a "run" command');

    const both = errorsOf('{ paths: [src/], action: restart, run: make }');
    expect(both[0]).toMatchObject({ path: 'services.api.watch.run' });

    const glob = errorsOf('{ paths: ["src/**/*.ts"] }');
    expect(glob[0]!.message).toContain('is a pattern');
    expect(glob[0]).toMatchObject({ line: 6, col: 22 });

    const empty = errorsOf('{ paths: [] }');
    expect(empty[0]!.message).toContain('at least one');

    const slow = errorsOf('{ debounce: 5m }');
    expect(slow[0]).toMatchObject({ path: 'services.api.watch.debounce' });

    const bad = errorsOf('42');
    expect(bad[0]!.message).toContain('a list of paths');
  });
});
