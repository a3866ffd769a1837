import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchSpec } from '../../../shared/model.js';
import { createFilter, gitignoreFiles } from './filter.js';

let repo: string;
let cwd: string;

beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-filter-'));
  cwd = path.join(repo, 'services', 'api');
  fs.mkdirSync(cwd, { recursive: true });
  fs.mkdirSync(path.join(repo, '.git'));
  fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\n*.log\n');
  fs.writeFileSync(path.join(cwd, '.gitignore'), 'dist\ncoverage/\n');
});

afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

const spec = (over: Partial<WatchSpec> = {}): WatchSpec => ({
  paths: [cwd],
  shown: ['.'],
  ignore: [],
  debounceMs: 300,
  action: 'restart',
  gitignore: true,
  ...over,
});
const at = (rel: string) => path.join(cwd, rel);

describe('which changes count', () => {
  it('reads the .gitignore files of the cwd and its parents up to the repository root', () => {
    expect(gitignoreFiles(cwd)).toEqual([
      path.join(cwd, '.gitignore'),
      path.join(repo, '.gitignore'),
    ]);
  });

  it('honours .gitignore, ignore patterns and never counts .git or the data directory', () => {
    const f = createFilter(spec({ ignore: ['**/*.test.ts', 'tmp/'] }), cwd, [at('.vigil')]);
    expect(f.accepts(at('src/index.ts'))).toBe(true);
    expect(f.accepts(at('node_modules/x/index.js'))).toBe(false);
    expect(f.accepts(at('server.log'))).toBe(false);
    expect(f.accepts(at('dist/bundle.js'))).toBe(false);
    expect(f.accepts(at('src/a.test.ts'))).toBe(false);
    expect(f.accepts(at('tmp/x'))).toBe(false);
    expect(f.accepts(at('.git/HEAD'))).toBe(false);
    expect(f.accepts(at('.vigil/logs/services/api.log'))).toBe(false);
    expect(f.prunedDirs).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', 'tmp']));
  });

  it('gitignore: false counts what .gitignore lists', () => {
    const f = createFilter(spec({ gitignore: false }), cwd);
    expect(f.accepts(at('dist/bundle.js'))).toBe(true);
    expect(f.accepts(at('.git/HEAD'))).toBe(false);
  });

  it('paths outside the cwd (a shared folder) are counted unless under .git', () => {
    const f = createFilter(spec(), cwd);
    expect(f.accepts(path.join(repo, 'shared', 'util.ts'))).toBe(true);
    expect(f.accepts(path.join(repo, '.git', 'index'))).toBe(false);
  });
});
