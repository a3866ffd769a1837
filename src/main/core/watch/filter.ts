/**
 * Which changed paths count: not under `.git/`, not matched by the service's `ignore:` patterns
 * (.gitignore syntax, relative to its cwd) and, unless `gitignore: false`, not ignored by the
 * .gitignore files of the cwd and its parents up to the repository root (the folder with `.git`).
 */
import fs from 'node:fs';
import path from 'node:path';
import ignoreLib, { type Ignore } from 'ignore';
import type { WatchSpec } from '../../../shared/model.js';

// CommonJS module typed with `export default`: the factory is also its own `.default`.
const ignore = ignoreLib.default;

/** Always ignored: git's own files change on every git command. */
export const ALWAYS_IGNORED = ['.git/'] as const;

interface Rules {
  readonly base: string;
  readonly ig: Ignore;
}

export interface PathFilter {
  /** True when a change of this absolute path should count. */
  accepts(abs: string): boolean;
  /** Directory names safe to leave unwatched everywhere (fewer inotify watches). */
  readonly prunedDirs: readonly string[];
}

/** The .gitignore files that apply to `cwd`: its own, then each parent's up to the repository root. */
export function gitignoreFiles(cwd: string): string[] {
  const out: string[] = [];
  let dir = path.resolve(cwd);
  for (;;) {
    const f = path.join(dir, '.gitignore');
    if (fs.existsSync(f)) out.push(f);
    if (fs.existsSync(path.join(dir, '.git'))) break;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split(/\r?\n/);
  } catch {
    return [];
  }
}

/** Patterns like `node_modules`, `node_modules/`, `/dist/`: a folder name without globs. */
function plainDir(pattern: string): string | null {
  const p = pattern.trim();
  if (p === '' || p.startsWith('#') || p.startsWith('!')) return null;
  const m = /^\/?([^/*?[\]{}!\\]+)\/?$/.exec(p);
  if (!m) return null;
  // A name with a dot is as likely a file as a folder; only prune names of folders.
  return p.endsWith('/') || !m[1]!.includes('.') ? m[1]! : null;
}

/**
 * `never`: absolute folders never counted, whatever the rules say (Vigil's own data directory,
 * where it writes the services' logs).
 */
export function createFilter(
  spec: WatchSpec,
  cwd: string,
  never: readonly string[] = [],
): PathFilter {
  const rules: Rules[] = [];
  const pruned = new Set<string>(['.git']);
  if (spec.gitignore) {
    for (const file of gitignoreFiles(cwd)) {
      const lines = readLines(file);
      rules.push({ base: path.dirname(file), ig: ignore().add(lines) });
      // A negation may re-include something under a pruned folder: prune nothing from that file.
      if (lines.some((l) => l.trim().startsWith('!'))) continue;
      for (const l of lines) {
        const d = plainDir(l);
        if (d) pruned.add(d);
      }
    }
  }
  rules.push({ base: cwd, ig: ignore().add([...ALWAYS_IGNORED, ...spec.ignore]) });
  for (const l of spec.ignore) {
    const d = plainDir(l);
    if (d) pruned.add(d);
  }
  return {
    prunedDirs: [...pruned],
    accepts(abs: string): boolean {
      if (never.some((n) => abs === n || abs.startsWith(n + path.sep))) return false;
      for (const r of rules) {
        const rel = path.relative(r.base, abs);
        if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
          // Outside this rule file's folder: only `.git` still applies.
          if (abs.split(path.sep).includes('.git')) return false;
          continue;
        }
        const posix = rel.split(path.sep).join('/');
        if (r.ig.ignores(posix)) return false;
      }
      return true;
    },
  };
}
