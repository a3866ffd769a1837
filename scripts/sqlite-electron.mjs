// The SQLite binding for the desktop app's main process. `npm install` builds better-sqlite3 for
// Node (the CLI and the tests use that build, which stays untouched); Electron has its own ABI, so
// the desktop app loads its own build of the same better-sqlite3 version, made here once per
// Electron version and cached outside that build:
//   node_modules/.cache/vigil-sqlite/better-sqlite3-<v>/electron-<v>-<platform>-<arch>/better_sqlite3.node
// (VIGIL_SQLITE_CACHE moves the cache). First a prebuilt binary for the Electron version
// (prebuild-install), else a compile against Electron's headers (node-gyp). `npm start` calls
// prepareElectronSqlite(); `npm run sqlite:electron` (this file run directly) rebuilds it.
// Never `require('electron')` here: that triggers the binary's download.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPAIR_COMMAND = 'npm run sqlite:electron';
const BINDING = 'better_sqlite3.node';

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** The Electron version installed in node_modules (its package.json), or null. */
export function electronVersion(root = ROOT) {
  return readJson(path.join(root, 'node_modules', 'electron', 'package.json'))?.version ?? null;
}

/** better-sqlite3's directory and version. */
export function sqlitePackage(root = ROOT) {
  const dir = path.join(root, 'node_modules', 'better-sqlite3');
  return { dir, version: readJson(path.join(dir, 'package.json'))?.version ?? null };
}

/** Same rule as src/main/core/store/binding.ts (sqliteCacheRoot + cachedBindingFile). */
export function cachedBindingFile({ root = ROOT, env = process.env, sqliteVersion, electron }) {
  const cacheRoot = env.VIGIL_SQLITE_CACHE
    ? path.resolve(env.VIGIL_SQLITE_CACHE)
    : path.join(root, 'node_modules', '.cache', 'vigil-sqlite');
  return path.join(
    cacheRoot,
    `better-sqlite3-${sqliteVersion}`,
    `electron-${electron}-${process.platform}-${process.arch}`,
    BINDING,
  );
}

/** The ABI a binding was built for (its `node_register_module_v<N>` symbol), or null. */
export function bindingAbi(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  const at = buf.indexOf('node_register_module_v', 0, 'latin1');
  if (at < 0) return null;
  const m = /^\d+/.exec(buf.subarray(at + 22, at + 28).toString('latin1'));
  return m ? Number(m[0]) : null;
}

/** Electron's ABI for a version (node-abi, which prebuild-install brings), or null when unknown. */
export function electronAbi(electron, root = ROOT) {
  try {
    const req = createRequire(path.join(root, 'node_modules', 'prebuild-install', 'package.json'));
    return Number(req('node-abi').getAbi(electron, 'electron'));
  } catch {
    return null;
  }
}

/** Runs a command quietly, bounded in time; true when it exited 0. */
function runQuiet(cmd, args, opts) {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: opts.verbose ? 'inherit' : 'ignore',
    timeout: opts.timeoutMs,
    killSignal: 'SIGKILL',
  });
  return r.status === 0;
}

/** A prebuilt binary for this Electron version, fetched into `staging/build/Release`. */
function fetchPrebuilt({ root, staging, sqlite, electron, env, run, verbose }) {
  const bin = path.join(root, 'node_modules', 'prebuild-install', 'bin.js');
  if (!fs.existsSync(bin)) return false;
  fs.copyFileSync(path.join(sqlite.dir, 'package.json'), path.join(staging, 'package.json'));
  return run(
    process.execPath,
    [bin, '--runtime', 'electron', '--target', electron, '--arch', process.arch],
    { cwd: staging, env, verbose, timeoutMs: 120_000 },
  );
}

/** A compile of the same sources against Electron's headers (node-gyp), in `staging`. */
function compile({ root, staging, sqlite, electron, env, run, verbose, cacheDir }) {
  const gyp = path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!fs.existsSync(gyp)) return false;
  for (const part of ['package.json', 'binding.gyp', 'src', 'deps']) {
    const from = path.join(sqlite.dir, part);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(staging, part), { recursive: true });
  }
  return run(
    process.execPath,
    [
      gyp,
      'rebuild',
      '--release',
      '--runtime=electron',
      `--target=${electron}`,
      `--arch=${process.arch}`,
      '--dist-url=https://electronjs.org/headers',
      `--devdir=${path.join(cacheDir, 'headers')}`,
    ],
    { cwd: staging, env, verbose, timeoutMs: 900_000 },
  );
}

/**
 * Makes sure the Electron build of the SQLite binding is in the cache: reused when there (and of
 * Electron's ABI), else fetched, else compiled. Returns `{ok, file, how}` or `{ok: false, message}`
 * with one line that names the repair command. `run` is injectable for tests.
 */
export function prepareElectronSqlite({
  root = ROOT,
  env = process.env,
  electron = electronVersion(root),
  force = false,
  verbose = false,
  run = runQuiet,
  log = () => undefined,
} = {}) {
  const sqlite = sqlitePackage(root);
  if (!electron || !sqlite.version) {
    return {
      ok: false,
      message: `cannot tell which Electron or better-sqlite3 is installed; run \`npm install\`, then \`${REPAIR_COMMAND}\``,
    };
  }
  const file = cachedBindingFile({ root, env, sqliteVersion: sqlite.version, electron });
  const wantAbi = electronAbi(electron, root);
  const fits = (f) => {
    if (!fs.existsSync(f)) return false;
    const abi = bindingAbi(f);
    return wantAbi === null || abi === null || abi === wantAbi;
  };
  if (!force && fits(file)) return { ok: true, file, how: 'cached' };

  const cacheDir = path.dirname(file);
  fs.mkdirSync(cacheDir, { recursive: true });
  const attempts = [
    ['prebuilt', fetchPrebuilt],
    ['compiled', compile],
  ];
  for (const [how, attempt] of attempts) {
    const staging = fs.mkdtempSync(path.join(cacheDir, `.staging-${how}-`));
    try {
      log(how === 'prebuilt' ? 'fetching a prebuilt binary' : 'compiling against Electron headers');
      const built = path.join(staging, 'build', 'Release', BINDING);
      if (
        attempt({ root, staging, sqlite, electron, env, run, verbose, cacheDir }) &&
        fits(built)
      ) {
        const tmp = `${file}.${process.pid}.tmp`;
        fs.copyFileSync(built, tmp);
        fs.renameSync(tmp, file);
        return { ok: true, file, how };
      }
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  return {
    ok: false,
    message:
      `no SQLite binding for Electron ${electron} (no prebuilt binary reachable, and compiling needs ` +
      `Electron's headers and a C++ toolchain); run \`${REPAIR_COMMAND}\` once that is possible`,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = prepareElectronSqlite({
    force: true,
    verbose: true,
    log: (what) => process.stdout.write(`vigil: SQLite for Electron: ${what}…\n`),
  });
  if (r.ok) process.stdout.write(`vigil: SQLite for Electron ready (${r.how}): ${r.file}\n`);
  else process.stderr.write(`vigil: ${r.message}\n`);
  process.exit(r.ok ? 0 : 1);
}
