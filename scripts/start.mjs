// `npm start`: the desktop app (electron-vite dev) when the Electron binary is installed; where it
// is not (it cannot be downloaded on every machine), the same UI in the browser via `vigil up --ui`.
// The desktop app's main process loads its own build of the SQLite binding (Electron's ABI differs
// from Node's): prepared once here, cached, and named to it in VIGIL_SQLITE_BINDING; where it
// cannot be had, one line says how to repair it and the browser UI opens instead.
// Never `require('electron')` here: that triggers the binary's download.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VIGIL_BIN, vigilNodeFlags } from '../bin/node-flags.mjs';
import { prepareElectronSqlite } from './sqlite-electron.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const electronVite = path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');

/** The Electron executable named by node_modules/electron/path.txt, if it is really there. */
export function electronBinary(dir = path.join(root, 'node_modules', 'electron')) {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const bin = path.join(
      process.env.ELECTRON_OVERRIDE_DIST_PATH,
      process.platform === 'win32' ? 'electron.exe' : 'electron',
    );
    return fs.existsSync(bin) ? bin : null;
  }
  let rel;
  try {
    rel = fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim();
  } catch {
    return null;
  }
  if (!rel) return null;
  const bin = path.join(dir, 'dist', rel);
  return fs.existsSync(bin) ? bin : null;
}

function run(cmd, cmdArgs, env = process.env) {
  const child = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env });
  const forward = (sig) => {
    if (child.exitCode === null) child.kill(sig);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => forward(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function buildIfMissing(file, what, cmdArgs) {
  if (fs.existsSync(path.join(root, file))) return true;
  process.stdout.write(`vigil: building ${what} first…\n`);
  const r = spawnSync(process.execPath, cmdArgs, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

/**
 * Recent Electron packages fetch their binary on first use instead of at install time. Try that
 * download once, bounded and quietly; where the network cannot reach it, say so in one line.
 */
async function tryDownloadElectron() {
  const install = path.join(root, 'node_modules', 'electron', 'install.js');
  if (!fs.existsSync(install) || process.env.CI || process.env.VIGIL_NO_ELECTRON_DOWNLOAD)
    return false;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [install], {
      cwd: path.dirname(install),
      stdio: 'ignore',
    });
    // Only a download that really happens is worth a line (it can take a while).
    const told = setTimeout(
      () => process.stdout.write('vigil: fetching the Electron binary (first start)…\n'),
      2_000,
    );
    const limit = setTimeout(() => child.kill('SIGKILL'), 180_000);
    const done = (ok) => {
      clearTimeout(told);
      clearTimeout(limit);
      resolve(ok && electronBinary() !== null);
    };
    child.on('error', () => done(false));
    child.on('exit', (code) => done(code === 0));
  });
}

/** The Electron build of the SQLite binding, or null after saying in one line why there is none. */
function electronSqlite() {
  const r = prepareElectronSqlite({
    log: (what) => process.stdout.write(`vigil: SQLite for Electron: ${what} (first start)…\n`),
  });
  if (r.ok) return r.file;
  process.stdout.write(`vigil: ${r.message}; opening the browser UI instead\n`);
  return null;
}

const sqlite = electronBinary() || (await tryDownloadElectron()) ? electronSqlite() : undefined;
if (sqlite) {
  run(process.execPath, [electronVite, 'dev', ...(args.length > 0 ? ['--', ...args] : [])], {
    ...process.env,
    VIGIL_SQLITE_BINDING: sqlite,
  });
} else {
  if (sqlite === undefined)
    process.stdout.write(
      'vigil: the Electron binary is not installed and cannot be downloaded here; opening the browser UI instead\n',
    );
  const ok =
    buildIfMissing('out/renderer/index.html', 'the UI', [electronVite, 'build']) &&
    buildIfMissing('out/cli/vigil.js', 'the CLI', [path.join(root, 'scripts', 'build-cli.mjs')]);
  if (!ok) {
    process.stderr.write('vigil: the build failed; see the messages above\n');
    process.exit(1);
  }
  run(process.execPath, [...vigilNodeFlags(), VIGIL_BIN, 'up', '--ui', '--open', ...args]);
}
