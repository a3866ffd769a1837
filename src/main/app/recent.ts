/**
 * Recent stacks, remembered in `<userData>/recent.json`: newest first, no duplicates, at most ten,
 * plus the last stack opened (reopened at the next start). A damaged file is treated as empty.
 */
import fs from 'node:fs';
import path from 'node:path';

export const RECENT_FILE = 'recent.json';
export const MAX_RECENT = 10;

export interface RecentStacks {
  readonly recent: readonly string[];
  readonly last: string | null;
}

export const NO_RECENT: RecentStacks = { recent: [], last: null };

export function parseRecent(text: string): RecentStacks {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return NO_RECENT;
  }
  if (typeof raw !== 'object' || raw === null) return NO_RECENT;
  const r = raw as { recent?: unknown; last?: unknown };
  const recent = Array.isArray(r.recent)
    ? r.recent.filter((x): x is string => typeof x === 'string' && path.isAbsolute(x))
    : [];
  const last = typeof r.last === 'string' && path.isAbsolute(r.last) ? r.last : null;
  return { recent: [...new Set(recent)].slice(0, MAX_RECENT), last };
}

/** `file` becomes the newest entry and the last opened stack. */
export function addRecent(state: RecentStacks, file: string, max = MAX_RECENT): RecentStacks {
  return { recent: [file, ...state.recent.filter((f) => f !== file)].slice(0, max), last: file };
}

export function clearRecent(state: RecentStacks): RecentStacks {
  return { recent: [], last: state.last };
}

export function readRecent(userData: string): RecentStacks {
  try {
    return parseRecent(fs.readFileSync(path.join(userData, RECENT_FILE), 'utf8'));
  } catch {
    return NO_RECENT;
  }
}

export function writeRecent(userData: string, state: RecentStacks): void {
  const file = path.join(userData, RECENT_FILE);
  try {
    fs.mkdirSync(userData, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    // not remembering recent stacks is not worth failing over
  }
}

/**
 * Which stack to open at start: one named on the command line (`--stack FILE`, or a `.yaml`/`.yml`
 * argument), else the last one opened if it still exists, else the demo stack.
 */
export function initialStack(
  argv: readonly string[],
  recent: RecentStacks,
  demo: string,
  exists: (file: string) => boolean,
  cwd: string,
): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--stack' && argv[i + 1]) return path.resolve(cwd, argv[i + 1]!);
    if (a.startsWith('--stack=')) return path.resolve(cwd, a.slice('--stack='.length));
  }
  const positional = argv.find((a) => !a.startsWith('-') && /\.ya?ml$/i.test(a));
  if (positional) return path.resolve(cwd, positional);
  if (recent.last && exists(recent.last)) return recent.last;
  return demo;
}
