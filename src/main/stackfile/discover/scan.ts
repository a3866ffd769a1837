/**
 * Reading a project folder for `vigil init`: the package.json of each directory under services/,
 * apps/ and packages/ (and of the root), their .env files, the lockfile, and any stack file of
 * another tool. Only reads; bounded in the number of entries it looks at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { isDockerComposeName, isImportableName } from '../import/index.js';

export const SERVICE_DIRS = ['services', 'apps', 'packages'] as const;
/** Env files read for port guesses, most specific last (later files win). */
export const ENV_FILES = ['.env', '.env.development', '.env.local', '.env.development.local'];
const MAX_ENTRIES = 200;
const MAX_FILE_BYTES = 256 * 1024;

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

export interface EnvFileFacts {
  readonly file: string;
  readonly vars: Readonly<Record<string, string>>;
}

export interface PackageFacts {
  /** Absolute directory of the package.json. */
  readonly dir: string;
  /** The directory relative to the project root, with "/" (e.g. `services/api`); "." for the root. */
  readonly rel: string;
  readonly name?: string;
  readonly scripts: Readonly<Record<string, string>>;
  /** The `packageManager` field, e.g. `pnpm@9.1.0`. */
  readonly packageManager?: string;
  readonly envFiles: readonly EnvFileFacts[];
  /** Why the package.json could not be read, if it could not. */
  readonly unreadable?: string;
}

export interface ProjectFacts {
  readonly root: string;
  readonly rootPackage?: PackageFacts;
  readonly packages: readonly PackageFacts[];
  /** From the lockfile in the root. */
  readonly lockfile?: PackageManager;
  /** Stack files of other tools in the root (Procfile, process-compose, PM2). */
  readonly importable: readonly string[];
  readonly dockerCompose: readonly string[];
  /** Directories of services/, apps/, packages/ that had no package.json. */
  readonly withoutPackage: readonly string[];
}

function readSmall(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function listDir(dir: string): fs.Dirent[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, MAX_ENTRIES);
  } catch {
    return [];
  }
}

export function readPackage(dir: string, root: string): PackageFacts | undefined {
  const text = readSmall(path.join(dir, 'package.json'));
  if (text === undefined) return undefined;
  const rel = path.relative(root, dir).split(path.sep).join('/') || '.';
  const envFiles: EnvFileFacts[] = [];
  for (const name of ENV_FILES) {
    const file = path.join(dir, name);
    const envText = readSmall(file);
    if (envText !== undefined) envFiles.push({ file, vars: parseDotenv(envText) });
  }
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch (err) {
    return { dir, rel, scripts: {}, envFiles, unreadable: (err as Error).message };
  }
  const o = typeof pkg === 'object' && pkg !== null ? (pkg as Record<string, unknown>) : {};
  const scripts: Record<string, string> = {};
  if (typeof o.scripts === 'object' && o.scripts !== null)
    for (const [k, v] of Object.entries(o.scripts)) if (typeof v === 'string') scripts[k] = v;
  return {
    dir,
    rel,
    ...(typeof o.name === 'string' ? { name: o.name } : {}),
    scripts,
    ...(typeof o.packageManager === 'string' ? { packageManager: o.packageManager } : {}),
    envFiles,
  };
}

function lockfileOf(dir: string): PackageManager | undefined {
  const has = (f: string): boolean => fs.existsSync(path.join(dir, f));
  if (has('pnpm-lock.yaml')) return 'pnpm';
  if (has('yarn.lock')) return 'yarn';
  if (has('bun.lockb') || has('bun.lock')) return 'bun';
  if (has('package-lock.json') || has('npm-shrinkwrap.json')) return 'npm';
  return undefined;
}

export function scanProject(root: string): ProjectFacts {
  const abs = path.resolve(root);
  const packages: PackageFacts[] = [];
  const withoutPackage: string[] = [];
  for (const group of SERVICE_DIRS) {
    for (const entry of listDir(path.join(abs, group))) {
      if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'node_modules')
        continue;
      const dir = path.join(abs, group, entry.name);
      const pkg = readPackage(dir, abs);
      if (pkg) packages.push(pkg);
      else withoutPackage.push(`${group}/${entry.name}`);
    }
  }
  const importable: string[] = [];
  const dockerCompose: string[] = [];
  for (const entry of listDir(abs)) {
    if (!entry.isFile()) continue;
    const file = path.join(abs, entry.name);
    if (isImportableName(entry.name)) importable.push(file);
    else if (isDockerComposeName(entry.name)) dockerCompose.push(file);
  }
  const rootPackage = readPackage(abs, abs);
  const lockfile = lockfileOf(abs);
  return {
    root: abs,
    ...(rootPackage ? { rootPackage } : {}),
    packages,
    ...(lockfile ? { lockfile } : {}),
    importable,
    dockerCompose,
    withoutPackage,
  };
}
