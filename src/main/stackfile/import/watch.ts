/**
 * File watching in the importers: PM2's `watch` / `ignore_watch` / `watch_delay` and
 * process-compose's `watch: { paths: [{ path, exclude }], debounce }` become a service's `watch:`.
 */
import type { KeyPath } from './source.js';
import { isDict, num, text } from './values.js';

export type DraftWatch = {
  paths?: string[];
  ignore?: string[];
  debounce?: string;
};

type Warn = (key: KeyPath, msg: string) => void;

function strings(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map((x) => text(x) ?? '').filter((x) => x !== '');
  return undefined;
}

/** PM2: `watch: true` (the app's cwd) or a list of paths; `ignore_watch`; `watch_delay` (ms). */
export function pm2Watch(app: Record<string, unknown>, warn: Warn): DraftWatch | undefined {
  const w = app.watch;
  if (w === undefined || w === false) {
    if (app.ignore_watch !== undefined)
      warn(['ignore_watch'], 'ignore_watch not mapped: the app has no watch');
    return undefined;
  }
  const paths = w === true ? ['.'] : strings(w);
  if (paths === undefined || paths.length === 0) {
    warn(['watch'], `watch ${JSON.stringify(w)} not mapped: expected true or a list of paths`);
    return undefined;
  }
  const out: DraftWatch = { paths };
  const ignore = strings(app.ignore_watch);
  if (ignore && ignore.length > 0) out.ignore = ignore;
  const delay = num(app.watch_delay);
  if (delay !== undefined && delay >= 0) out.debounce = `${Math.round(delay)}ms`;
  if (app.watch_options !== undefined)
    warn(
      ['watch_options'],
      'watch_options not mapped: Vigil watches natively (no polling); .gitignore is respected',
    );
  return out;
}

/** process-compose: `watch: { paths: [{ path, exclude }], debounce, cascade, ... }`. */
export function processComposeWatch(w: unknown, warn: Warn): DraftWatch | undefined {
  if (!isDict(w)) {
    warn(['watch'], 'watch not mapped: expected a map with `paths`');
    return undefined;
  }
  const paths: string[] = [];
  const ignore: string[] = [];
  const list = Array.isArray(w.paths) ? w.paths : [];
  list.forEach((entry, i) => {
    const p = isDict(entry) ? text(entry.path) : text(entry);
    if (p === undefined || p === '') {
      warn(['watch', 'paths', i], 'a watch path without `path`; skipped');
      return;
    }
    paths.push(p);
    const base = p.replace(/^\.\//, '').replace(/\/+$/, '');
    for (const ex of isDict(entry) ? (strings(entry.exclude) ?? []) : []) {
      // process-compose's excludes are relative to their path; Vigil's are relative to the cwd.
      ignore.push(ex.startsWith('**/') || base === '' || base === '.' ? ex : `${base}/${ex}`);
    }
    if (isDict(entry)) {
      for (const k of Object.keys(entry))
        if (k !== 'path' && k !== 'exclude')
          warn(['watch', 'paths', i, k], `${k} not mapped: Vigil watches every file under a path`);
    }
  });
  if (paths.length === 0) {
    warn(['watch'], 'watch not mapped: no `paths`');
    return undefined;
  }
  const out: DraftWatch = { paths };
  if (ignore.length > 0) out.ignore = ignore;
  const d = text(w.debounce);
  if (d !== undefined && d !== '') out.debounce = d;
  for (const k of Object.keys(w)) {
    if (k === 'paths' || k === 'debounce') continue;
    warn(
      ['watch', k],
      k === 'cascade'
        ? 'cascade not mapped: a watch restarts only its own service'
        : `${k} not mapped: Vigil needs no such setting (one watch per folder, .gitignore respected)`,
    );
  }
  return out;
}
