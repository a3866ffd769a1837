/**
 * The desktop main process's choice of SQLite binding, through the module it calls at start-up,
 * with real builds: in an Electron checkout it takes the cached build for its Electron version;
 * with none cached it refuses node_modules' Node build by ABI, with the repair command.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  activateSqliteBinding,
  cachedBindingFile,
  sqliteBindingFile,
} from '../core/store/binding.js';
import { setUpSqliteBinding } from './sqlite-binding.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SQLITE_DIR = path.join(ROOT, 'node_modules', 'better-sqlite3');
const NODE_BUILD = path.join(SQLITE_DIR, 'build', 'Release', 'better_sqlite3.node');
const VERSION = JSON.parse(fs.readFileSync(path.join(SQLITE_DIR, 'package.json'), 'utf8'))
  .version as string;
const node = { modules: process.versions.modules, platform: process.platform, arch: process.arch };

const dirs: string[] = [];
afterEach(() => {
  activateSqliteBinding({ kind: 'default', why: 'reset' }, node, SQLITE_DIR);
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function cacheDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-app-sqlite-'));
  dirs.push(d);
  return d;
}

describe('setUpSqliteBinding', () => {
  it('under Node keeps node_modules own build', () => {
    const r = setUpSqliteBinding({ appRoot: ROOT, packaged: false, env: {}, runtime: node });
    expect(r.choice.kind).toBe('default');
    expect(r.result).toEqual({ ok: true, file: NODE_BUILD });
    expect(sqliteBindingFile()).toBeUndefined();
  });

  it('in an Electron checkout loads the build cached for that Electron version', () => {
    const cache = cacheDir();
    // An "Electron" whose ABI is this process's, so that its cached build really loads here.
    const runtime = { ...node, electron: '45.4.1' };
    const file = cachedBindingFile(cache, VERSION, '45.4.1', node.platform, node.arch);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.copyFileSync(NODE_BUILD, file);
    const r = setUpSqliteBinding({
      appRoot: ROOT,
      packaged: false,
      env: { VIGIL_SQLITE_CACHE: cache },
      runtime,
    });
    expect(r.choice).toEqual({ kind: 'file', file, why: 'prepared by npm start' });
    expect(r.result).toEqual({ ok: true, file });
    expect(sqliteBindingFile()).toBe(file);
  });

  it('in an Electron checkout with nothing prepared refuses the Node build, naming the repair', () => {
    const r = setUpSqliteBinding({
      appRoot: ROOT,
      packaged: false,
      env: { VIGIL_SQLITE_CACHE: cacheDir() },
      runtime: { ...node, modules: '150', electron: '45.4.1' },
    });
    expect(r.choice.kind).toBe('default');
    expect(r.result).toEqual({
      ok: false,
      message: `the SQLite binding ${NODE_BUILD} was built for another runtime (ABI ${process.versions.modules}; Electron 45.4.1 needs 150); run \`npm run sqlite:electron\` to build it for Electron 45.4.1`,
    });
  });
});
