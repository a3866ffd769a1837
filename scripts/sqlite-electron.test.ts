/**
 * Preparing the desktop app's SQLite binding (scripts/sqlite-electron.mjs) with a stand-in for the
 * two commands it runs (prebuild-install, node-gyp): the Electron build is reused from the cache,
 * fetched, else compiled, refused when of another ABI, and where none can be had the one line
 * names the repair command. The binaries are copies of the real Node build, their ABI symbol
 * rewritten where Electron's is needed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import * as prep from './sqlite-electron.mjs';

interface Prepared {
  ok: boolean;
  file?: string;
  how?: string;
  message?: string;
}
interface RunOpts {
  cwd: string;
}
type Run = (cmd: string, args: string[], opts: RunOpts) => boolean;
const prepare = prep.prepareElectronSqlite as (o: {
  env: Record<string, string>;
  electron?: string;
  force?: boolean;
  run: Run;
}) => Prepared;
const bindingAbi = prep.bindingAbi as (file: string) => number | null;
const electronAbi = prep.electronAbi as (v: string) => number | null;

const ROOT = path.resolve(import.meta.dirname, '..');
const NODE_BUILD = path.join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
const ELECTRON = '45.4.1';
const ABI = electronAbi(ELECTRON);

/** Writes a copy of the Node build claiming `abi` to `file`. */
function buildClaiming(file: string, abi: number): void {
  const bytes = Buffer.from(fs.readFileSync(NODE_BUILD));
  const from = Buffer.from(`node_register_module_v${process.versions.modules}`, 'latin1');
  for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + 1))
    bytes.write(`node_register_module_v${abi}`, at, 'latin1');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}

const dirs: string[] = [];
function cache(): Record<string, string> {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sqlite-cache-'));
  dirs.push(d);
  return { VIGIL_SQLITE_CACHE: d };
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** What the stand-in was asked to run: which tool, with which target, in which directory. */
function recorder(outcomes: Record<'prebuild' | 'node-gyp', number | null>) {
  const calls: { tool: string; args: string[]; staged: string[] }[] = [];
  const run: Run = (_cmd, args, opts) => {
    const tool = args[0]!.includes('prebuild-install') ? 'prebuild' : 'node-gyp';
    calls.push({ tool, args: args.slice(1), staged: fs.readdirSync(opts.cwd).sort() });
    const abi = outcomes[tool as 'prebuild' | 'node-gyp'];
    if (abi === null) return false;
    buildClaiming(path.join(opts.cwd, 'build', 'Release', 'better_sqlite3.node'), abi);
    return true;
  };
  return { calls, run };
}

describe.skipIf(ABI === null)('preparing the Electron SQLite binding', () => {
  it('knows Electron 45 ABI (node-abi), unlike Node', () => {
    expect(ABI).not.toBe(Number(process.versions.modules));
  });

  it('fetches a prebuilt binary for the Electron version into the cache, then reuses it', () => {
    const env = cache();
    const r = recorder({ prebuild: ABI, 'node-gyp': null });
    const first = prepare({ env, electron: ELECTRON, run: r.run });
    expect(first).toMatchObject({ ok: true, how: 'prebuilt' });
    expect(first.file).toBe(
      path.join(
        env['VIGIL_SQLITE_CACHE']!,
        'better-sqlite3-12.11.1',
        `electron-${ELECTRON}-${process.platform}-${process.arch}`,
        'better_sqlite3.node',
      ),
    );
    expect(bindingAbi(first.file!)).toBe(ABI);
    expect(r.calls).toEqual([
      {
        tool: 'prebuild',
        args: ['--runtime', 'electron', '--target', ELECTRON, '--arch', process.arch],
        staged: ['package.json'],
      },
    ]);
    // Nothing of the Node build was touched, and no staging directory is left.
    expect(bindingAbi(NODE_BUILD)).toBe(Number(process.versions.modules));
    expect(fs.readdirSync(path.dirname(first.file!))).toEqual(['better_sqlite3.node']);

    const again = recorder({ prebuild: null, 'node-gyp': null });
    expect(prepare({ env, electron: ELECTRON, run: again.run })).toEqual({
      ok: true,
      file: first.file,
      how: 'cached',
    });
    expect(again.calls).toEqual([]);
  });

  it('compiles against Electron headers when no prebuilt binary can be fetched', () => {
    const env = cache();
    const r = recorder({ prebuild: null, 'node-gyp': ABI });
    expect(prepare({ env, electron: ELECTRON, run: r.run })).toMatchObject({
      ok: true,
      how: 'compiled',
    });
    expect(r.calls.map((c) => c.tool)).toEqual(['prebuild', 'node-gyp']);
    const gyp = r.calls[1]!;
    expect(gyp.args).toEqual(
      expect.arrayContaining(['rebuild', '--runtime=electron', `--target=${ELECTRON}`]),
    );
    expect(gyp.args).toContain('--dist-url=https://electronjs.org/headers');
    expect(gyp.staged).toEqual(
      expect.arrayContaining(['binding.gyp', 'deps', 'package.json', 'src']),
    );
  });

  it('refuses a build of the wrong ABI, from a tool or left in the cache', () => {
    const env = cache();
    // A stale cache entry built for Node is not reused: it is rebuilt.
    const stale = recorder({ prebuild: Number(process.versions.modules), 'node-gyp': ABI });
    const r = prepare({ env, electron: ELECTRON, run: stale.run });
    expect(r).toMatchObject({ ok: true, how: 'compiled' });
    buildClaiming(r.file!, Number(process.versions.modules));
    const again = recorder({ prebuild: ABI, 'node-gyp': null });
    expect(prepare({ env, electron: ELECTRON, run: again.run })).toMatchObject({
      ok: true,
      how: 'prebuilt',
    });
    expect(bindingAbi(r.file!)).toBe(ABI);
  });

  it('says in one line, with the repair command, when neither way works', () => {
    const env = cache();
    const r = recorder({ prebuild: null, 'node-gyp': null });
    const out = prepare({ env, electron: ELECTRON, run: r.run });
    expect(out).toEqual({
      ok: false,
      message: `no SQLite binding for Electron ${ELECTRON} (no prebuilt binary reachable, and compiling needs Electron's headers and a C++ toolchain); run \`npm run sqlite:electron\` once that is possible`,
    });
    expect(r.calls.map((c) => c.tool)).toEqual(['prebuild', 'node-gyp']);
  });
});
