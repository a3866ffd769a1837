/**
 * Which compiled SQLite binding (better-sqlite3's `better_sqlite3.node`) this process loads.
 *
 * `npm install` builds the binding for Node, which the CLI and the tests use. Electron's main
 * process has another ABI (its own `process.versions.modules`) and needs its own build of the same
 * better-sqlite3 version: `npm start` prepares one into a cache outside the Node build
 * (`node_modules/.cache/vigil-sqlite/…`, scripts/sqlite-electron.mjs) and names it in
 * `VIGIL_SQLITE_BINDING`. The packaged app needs none of this: electron-builder rebuilt the module
 * in place for Electron.
 *
 * The choice is a pure function; the check reads the file and compares the ABI the file was built
 * for (its `node_register_module_v<N>` symbol) with this runtime's, before anything is loaded: a
 * binding of the wrong ABI is refused with a sentence and the command that repairs it, never loaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** The command that (re)builds the Electron binding; named in every message about it. */
export const SQLITE_REPAIR_COMMAND = 'npm run sqlite:electron';
/** Names the binding file to load (set by `npm start`; also a manual override). */
export const SQLITE_BINDING_ENV = 'VIGIL_SQLITE_BINDING';
/** Overrides where prepared bindings are cached. */
export const SQLITE_CACHE_ENV = 'VIGIL_SQLITE_CACHE';
export const BINDING_FILE = 'better_sqlite3.node';

export interface RuntimeInfo {
  /** `process.versions.modules`: the ABI a native module must be built for. */
  readonly modules: string;
  /** `process.versions.electron`, absent under Node. */
  readonly electron?: string | undefined;
  readonly platform: string;
  readonly arch: string;
}

export type BindingChoice =
  /** better-sqlite3's own build in node_modules (Node, or the packaged app's rebuilt copy). */
  | { readonly kind: 'default'; readonly why: string }
  | { readonly kind: 'file'; readonly file: string; readonly why: string };

/** `<cacheRoot>/better-sqlite3-<ver>/electron-<ver>-<platform>-<arch>/better_sqlite3.node` */
export function cachedBindingFile(
  cacheRoot: string,
  sqliteVersion: string,
  electronVersion: string,
  platform: string,
  arch: string,
): string {
  return path.join(
    cacheRoot,
    `better-sqlite3-${sqliteVersion}`,
    `electron-${electronVersion}-${platform}-${arch}`,
    BINDING_FILE,
  );
}

/** The cache of prepared bindings: `VIGIL_SQLITE_CACHE`, else `<root>/node_modules/.cache/vigil-sqlite`. */
export function sqliteCacheRoot(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const override = env[SQLITE_CACHE_ENV];
  return override
    ? path.resolve(override)
    : path.join(root, 'node_modules', '.cache', 'vigil-sqlite');
}

export interface ChoiceInput {
  readonly runtime: RuntimeInfo;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Electron's `app.isPackaged`. */
  readonly packaged: boolean;
  readonly cacheRoot: string;
  /** better-sqlite3's version (its package.json), or null when unknown. */
  readonly sqliteVersion: string | null;
  readonly exists: (file: string) => boolean;
}

/**
 * Which binding to load: an explicit `VIGIL_SQLITE_BINDING` in any runtime; under Node the
 * default build; in the packaged app the default (rebuilt for Electron while packaging); in an
 * Electron checkout the cached build for this Electron version when there is one, else the
 * default (which the check then refuses with the repair command).
 */
export function chooseSqliteBinding(input: ChoiceInput): BindingChoice {
  const named = input.env[SQLITE_BINDING_ENV];
  if (named)
    return { kind: 'file', file: path.resolve(named), why: `named by ${SQLITE_BINDING_ENV}` };
  const { electron } = input.runtime;
  if (!electron) return { kind: 'default', why: 'Node runs the build npm install made' };
  if (input.packaged) return { kind: 'default', why: 'the packaged app was rebuilt for Electron' };
  if (input.sqliteVersion) {
    const cached = cachedBindingFile(
      input.cacheRoot,
      input.sqliteVersion,
      electron,
      input.runtime.platform,
      input.runtime.arch,
    );
    if (input.exists(cached)) return { kind: 'file', file: cached, why: 'prepared by npm start' };
  }
  return { kind: 'default', why: `no build for Electron ${electron} was prepared` };
}

/** The ABI a binding was built for, from its `node_register_module_v<N>` symbol; null when absent. */
export function bindingAbi(bytes: Uint8Array): number | null {
  const marker = Buffer.from('node_register_module_v', 'latin1');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = buf.indexOf(marker);
  if (at < 0) return null;
  let digits = '';
  for (let i = at + marker.length; i < buf.length && digits.length < 6; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) break;
    digits += String.fromCharCode(c);
  }
  return digits ? Number(digits) : null;
}

export type BindingCheck =
  | { readonly ok: true; readonly abi: number | null }
  | { readonly ok: false; readonly message: string };

function runtimeName(rt: RuntimeInfo): string {
  return rt.electron ? `Electron ${rt.electron}` : 'Node';
}

/**
 * Whether a binding file can be loaded by this runtime, without loading it: it exists, is
 * readable, and was built for this runtime's ABI. The message says what, where and what to do.
 */
export function checkBindingFile(
  file: string,
  runtime: RuntimeInfo,
  read: (file: string) => Uint8Array = (f) => fs.readFileSync(f),
): BindingCheck {
  let bytes: Uint8Array;
  try {
    bytes = read(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? String(err)})`;
    return {
      ok: false,
      message: `the SQLite binding ${file} ${what}; run \`${SQLITE_REPAIR_COMMAND}\` to build it for ${runtimeName(runtime)}`,
    };
  }
  const abi = bindingAbi(bytes);
  const want = Number(runtime.modules);
  if (abi !== null && abi !== want) {
    return {
      ok: false,
      message:
        `the SQLite binding ${file} was built for another runtime (ABI ${abi}; ${runtimeName(runtime)} needs ${want}); ` +
        `run \`${SQLITE_REPAIR_COMMAND}\` to build it for ${runtimeName(runtime)}`,
    };
  }
  return { ok: true, abi };
}

/** The file better-sqlite3 loads by default (its own build in node_modules). */
export function defaultBindingFile(sqliteDir: string): string {
  return path.join(sqliteDir, 'build', 'Release', BINDING_FILE);
}

let selected: string | undefined;

/** The binding every database of this process opens with (undefined: better-sqlite3's default). */
export function sqliteBindingFile(): string | undefined {
  return selected;
}

/** `new Database(file, options)` options carrying the chosen binding. */
export function databaseOptions(): Database.Options {
  return selected ? { nativeBinding: selected } : {};
}

export type ActivateResult =
  { readonly ok: true; readonly file: string } | { readonly ok: false; readonly message: string };

/**
 * Makes `choice` the binding of this process after checking it (file and ABI, then one in-memory
 * database opened with it). Never throws: a binding that cannot be used gives the sentence to show.
 */
export function activateSqliteBinding(
  choice: BindingChoice,
  runtime: RuntimeInfo,
  sqliteDir: string,
): ActivateResult {
  const file = choice.kind === 'file' ? choice.file : defaultBindingFile(sqliteDir);
  const checked = checkBindingFile(file, runtime);
  if (!checked.ok) return checked;
  const previous = selected;
  selected = choice.kind === 'file' ? file : undefined;
  try {
    new Database(':memory:', databaseOptions()).close();
    return { ok: true, file };
  } catch (err) {
    selected = previous;
    const detail = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    return {
      ok: false,
      message: `the SQLite binding ${file} cannot be loaded by ${runtimeName(runtime)} (${detail}); run \`${SQLITE_REPAIR_COMMAND}\` to rebuild it`,
    };
  }
}
