/**
 * `watch:` of a service: which files restart it (SPEC §11). Forms:
 *
 * - `watch: true` watches the service's cwd; `watch: false` (or no key) watches nothing;
 * - `watch: [src/, package.json]` watches those paths with every default;
 * - `watch: { paths, ignore, debounce, action, run, gitignore }`.
 *
 * Paths are relative to the service's cwd and need not exist yet. `ignore` patterns use .gitignore
 * syntax. `run` implies `action: run`.
 */
import path from 'node:path';
import type { CommandSpec, WatchAction, WatchSpec } from '../../../shared/model.js';
import { readCommand } from './service.js';
import type { Entry, Reader, Slot } from './reader.js';
import {
  DEFAULT_WATCH_DEBOUNCE_MS,
  MAX_WATCH_DEBOUNCE_MS,
  WATCH_ACTIONS,
  WATCH_KEYS,
} from './schema.js';

export function readWatch(r: Reader, slot: Slot, cwd: string): WatchSpec | undefined {
  if (r.isMissing(slot)) return undefined;
  const whole = (shown: readonly string[]): WatchSpec => ({
    paths: shown.map((p) => path.resolve(cwd, p)),
    shown,
    ignore: [],
    debounceMs: DEFAULT_WATCH_DEBOUNCE_MS,
    action: 'restart',
    gitignore: true,
  });
  if (!r.isMap(slot) && !r.isList(slot)) {
    const v = r.value(slot);
    if (v === false) return undefined;
    if (v === true) return whole(['.']);
    if (typeof v === 'string') return readPaths(r, slot) === undefined ? undefined : whole([v]);
    return r.expected(
      slot,
      'true, a list of paths or a map {paths, ignore, debounce, action, run, gitignore}',
    );
  }
  if (r.isList(slot)) {
    const shown = readPaths(r, slot);
    return shown === undefined ? undefined : whole(shown);
  }
  const t = r.table(slot, { known: WATCH_KEYS, what: 'watch' });
  if (t === null) return undefined;
  const at = (k: string): Entry | undefined => t.get(k);
  const pathsEntry = at('paths');
  const shown = pathsEntry === undefined ? ['.'] : readPaths(r, pathsEntry);
  const ignore = at('ignore') === undefined ? [] : r.stringList(at('ignore')!);
  const debounce = at('debounce');
  let debounceMs = DEFAULT_WATCH_DEBOUNCE_MS;
  if (debounce !== undefined) {
    const ms = r.duration(debounce);
    if (ms !== undefined && ms > MAX_WATCH_DEBOUNCE_MS) {
      r.fail(
        debounce,
        `"debounce" must be at most ${MAX_WATCH_DEBOUNCE_MS / 1000}s, not ${ms}ms`,
        'a few hundred milliseconds is usual (300ms by default)',
      );
    } else if (ms !== undefined) debounceMs = ms;
  }
  const runEntry = at('run');
  const run: CommandSpec | undefined =
    runEntry === undefined ? undefined : readCommand(r, runEntry);
  const actionEntry = at('action');
  let action: WatchAction = runEntry !== undefined ? 'run' : 'restart';
  if (actionEntry !== undefined) action = r.oneOf(actionEntry, WATCH_ACTIONS) ?? action;
  if (actionEntry !== undefined && action === 'run' && runEntry === undefined) {
    r.fail(
      actionEntry,
      '"action: run" needs a "run" command',
      'add `run: <command>` (for example `run: npm run build`); the service restarts when it exits 0',
    );
  }
  if (action === 'restart' && runEntry !== undefined && actionEntry !== undefined) {
    r.fail(
      runEntry,
      '"run" is only used with "action: run"',
      'remove `run:` or write `action: run`',
    );
  }
  const gitignoreEntry = at('gitignore');
  const gitignore = gitignoreEntry === undefined ? true : (r.bool(gitignoreEntry) ?? true);
  if (shown === undefined) return undefined;
  return {
    paths: shown.map((p) => path.resolve(cwd, p)),
    shown,
    ignore: ignore ?? [],
    debounceMs,
    action,
    ...(action === 'run' && run !== undefined ? { run } : {}),
    gitignore,
  };
}

function readPaths(r: Reader, slot: Slot): string[] | undefined {
  const list = r.stringList(slot);
  if (list === undefined) return undefined;
  if (list.length === 0) {
    r.fail(slot, '"paths" must list at least one file or folder', 'for example `paths: [src/]`');
    return undefined;
  }
  const items: Slot[] = r.isList(slot) ? (r.items(slot) ?? []) : [slot];
  let ok = true;
  list.forEach((p, i) => {
    if (p.includes('\0') || /[*?[\]{}]/.test(p)) {
      r.fail(
        items[i] ?? slot,
        `watch path ${JSON.stringify(p)} is a pattern; "paths" takes files and folders`,
        'list the folder (e.g. `src/`) and put patterns in `ignore:`',
      );
      ok = false;
    }
  });
  return ok ? list : undefined;
}
