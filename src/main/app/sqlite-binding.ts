/**
 * The SQLite binding of the desktop app's main process, chosen before any database is opened (see
 * core/store/binding.ts for the rule): the build `npm start` prepared for this Electron version, or
 * in the packaged app the rebuilt one. No Electron import: the caller passes `app.isPackaged`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  activateSqliteBinding,
  chooseSqliteBinding,
  sqliteCacheRoot,
  type ActivateResult,
  type BindingChoice,
  type RuntimeInfo,
} from '../core/store/binding.js';

/** Files of a packaged app that must be read from disk live next to app.asar. */
const unpacked = (p: string): string =>
  p.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);

export interface SqliteSetup {
  readonly choice: BindingChoice;
  readonly result: ActivateResult;
}

export function setUpSqliteBinding(opts: {
  readonly appRoot: string;
  readonly packaged: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly runtime?: RuntimeInfo;
}): SqliteSetup {
  const runtime: RuntimeInfo = opts.runtime ?? {
    modules: process.versions.modules,
    electron: process.versions['electron'],
    platform: process.platform,
    arch: process.arch,
  };
  let sqliteDir = path.join(opts.appRoot, 'node_modules', 'better-sqlite3');
  try {
    sqliteDir = path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  } catch {
    // keep the default location; the check below says what is missing
  }
  sqliteDir = unpacked(sqliteDir);
  let sqliteVersion: string | null = null;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(sqliteDir, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    sqliteVersion = typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    sqliteVersion = null;
  }
  const choice = chooseSqliteBinding({
    runtime,
    env: opts.env,
    packaged: opts.packaged,
    cacheRoot: sqliteCacheRoot(opts.appRoot, opts.env),
    sqliteVersion,
    exists: (f) => fs.existsSync(f),
  });
  return { choice, result: activateSqliteBinding(choice, runtime, sqliteDir) };
}
