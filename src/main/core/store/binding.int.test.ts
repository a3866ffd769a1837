/**
 * Which SQLite binding a runtime loads, with the real builds that exist here: the Node build of
 * better-sqlite3, a copy of it in a cache directory, a copy claiming another ABI, a missing file and
 * a file that is no binding at all. A wrong binding gives a sentence with the repair command and
 * leaves the process (and its previous binding) working.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SQLITE_BINDING_ENV,
  SQLITE_REPAIR_COMMAND,
  activateSqliteBinding,
  bindingAbi,
  cachedBindingFile,
  checkBindingFile,
  chooseSqliteBinding,
  defaultBindingFile,
  sqliteBindingFile,
  type RuntimeInfo,
} from './binding.js';
import { HistoryStore } from './history-store.js';
import { tempDir } from './testing/support.js';

const SQLITE_DIR = path.resolve(import.meta.dirname, '../../../../node_modules/better-sqlite3');
const NODE_BUILD = defaultBindingFile(SQLITE_DIR);
const NODE: RuntimeInfo = {
  modules: process.versions.modules,
  platform: process.platform,
  arch: process.arch,
};
const ELECTRON: RuntimeInfo = { ...NODE, modules: '150', electron: '45.4.1' };

/** A copy of the Node build whose registration symbol claims ABI `abi` (same length). */
function copyClaiming(file: string, abi: number): void {
  const bytes = Buffer.from(fs.readFileSync(NODE_BUILD));
  const from = Buffer.from(`node_register_module_v${process.versions.modules}`, 'latin1');
  const to = `node_register_module_v${abi}`;
  expect(to.length).toBe(from.length);
  let at = 0;
  let n = 0;
  while ((at = bytes.indexOf(from, at)) >= 0) {
    bytes.write(to, at, 'latin1');
    at += from.length;
    n += 1;
  }
  expect(n).toBeGreaterThan(0);
  fs.writeFileSync(file, bytes);
}

describe('chooseSqliteBinding', () => {
  const base = {
    env: {},
    packaged: false,
    cacheRoot: '/cache',
    sqliteVersion: '12.11.1',
    exists: () => true,
  };

  it('keeps the Node build under Node, even when a cached Electron build exists', () => {
    expect(chooseSqliteBinding({ ...base, runtime: NODE }).kind).toBe('default');
  });

  it('keeps the rebuilt module in the packaged app', () => {
    expect(chooseSqliteBinding({ ...base, runtime: ELECTRON, packaged: true }).kind).toBe(
      'default',
    );
  });

  it('takes the cached build for this Electron version in a checkout', () => {
    const choice = chooseSqliteBinding({ ...base, runtime: ELECTRON });
    expect(choice).toMatchObject({
      kind: 'file',
      file: cachedBindingFile('/cache', '12.11.1', '45.4.1', NODE.platform, NODE.arch),
    });
  });

  it('falls back to the default (then refused by the check) when nothing was prepared', () => {
    const choice = chooseSqliteBinding({ ...base, runtime: ELECTRON, exists: () => false });
    expect(choice).toEqual({ kind: 'default', why: 'no build for Electron 45.4.1 was prepared' });
  });

  it('honours an explicit file in every runtime', () => {
    for (const runtime of [NODE, ELECTRON]) {
      const choice = chooseSqliteBinding({
        ...base,
        runtime,
        packaged: true,
        env: { [SQLITE_BINDING_ENV]: '/x/b.node' },
      });
      expect(choice).toMatchObject({ kind: 'file', file: path.resolve('/x/b.node') });
    }
  });
});

describe('checking and loading a binding (real builds)', () => {
  const dirs: string[] = [];
  const dir = (): string => {
    const d = tempDir('vigil-binding-');
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    // Back to better-sqlite3's default for the other tests of this worker.
    expect(activateSqliteBinding({ kind: 'default', why: 't' }, NODE, SQLITE_DIR).ok).toBe(true);
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('reads the ABI the Node build was made for', () => {
    expect(bindingAbi(fs.readFileSync(NODE_BUILD))).toBe(Number(process.versions.modules));
    expect(checkBindingFile(NODE_BUILD, NODE)).toEqual({
      ok: true,
      abi: Number(process.versions.modules),
    });
  });

  it('refuses the Node build for Electron, naming both ABIs and the repair command', () => {
    const r = checkBindingFile(NODE_BUILD, ELECTRON);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain(`ABI ${process.versions.modules}; Electron 45.4.1 needs 150`);
      expect(r.message).toContain(`\`${SQLITE_REPAIR_COMMAND}\``);
    }
  });

  it('loads a cached copy of the right ABI: databases open with that very file', () => {
    const copy = path.join(dir(), 'better_sqlite3.node');
    fs.copyFileSync(NODE_BUILD, copy);
    const r = activateSqliteBinding({ kind: 'file', file: copy, why: 't' }, NODE, SQLITE_DIR);
    expect(r).toEqual({ ok: true, file: copy });
    expect(sqliteBindingFile()).toBe(copy);
    const data = dir();
    const store = HistoryStore.open(data);
    expect(store.degraded).toBeNull();
    store.close();
    expect(fs.existsSync(path.join(data, 'vigil.db'))).toBe(true);
    // The process really mapped the copy (not the node_modules build).
    const report = process.report.getReport() as unknown as { sharedObjects: string[] };
    expect(report.sharedObjects).toContain(copy);
  });

  it('refuses a copy that claims another ABI without loading it, and keeps the previous binding', () => {
    const wrong = path.join(dir(), 'better_sqlite3.node');
    copyClaiming(wrong, 150);
    const r = activateSqliteBinding({ kind: 'file', file: wrong, why: 't' }, NODE, SQLITE_DIR);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toBe(
        `the SQLite binding ${wrong} was built for another runtime (ABI 150; Node needs ${process.versions.modules}); run \`${SQLITE_REPAIR_COMMAND}\` to build it for Node`,
      );
    }
    expect(sqliteBindingFile()).toBeUndefined();
    const report = process.report.getReport() as unknown as { sharedObjects: string[] };
    expect(report.sharedObjects).not.toContain(wrong);
    const store = HistoryStore.open(dir());
    expect(store.degraded).toBeNull();
    store.close();
  });

  it('says a missing binding is missing', () => {
    const missing = path.join(dir(), 'nope', 'better_sqlite3.node');
    const r = activateSqliteBinding(
      { kind: 'file', file: missing, why: 't' },
      ELECTRON,
      SQLITE_DIR,
    );
    expect(r).toEqual({
      ok: false,
      message: `the SQLite binding ${missing} is missing; run \`${SQLITE_REPAIR_COMMAND}\` to build it for Electron 45.4.1`,
    });
  });

  it('says a file that is no binding cannot be loaded, without throwing', () => {
    const junk = path.join(dir(), 'better_sqlite3.node');
    fs.writeFileSync(junk, 'not a shared object');
    const r = activateSqliteBinding({ kind: 'file', file: junk, why: 't' }, NODE, SQLITE_DIR);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(
        /^the SQLite binding .* cannot be loaded by Node \(.+\); run `npm run sqlite:electron` to rebuild it$/,
      );
    }
    expect(sqliteBindingFile()).toBeUndefined();
  });
});
