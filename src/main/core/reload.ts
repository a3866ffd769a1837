/**
 * Hot reload: the stack file and its env files are watched; a valid change is applied as a
 * difference (see Supervisor.applyConfig), an invalid one is rejected with its errors and the
 * running stack keeps the last good configuration. Every outcome is a status event, so the history
 * keeps an audit trail of configuration changes.
 *
 * Rollback (`settings.reload_rollback`, on by default): after a change is applied, the services it
 * restarted or added are watched until each is ready (reload-watch.ts). If one crashes or is not
 * ready within its startup timeout, the last good configuration is applied again (those services
 * restart from their last good definition, added ones are removed), a `config-rolled-back` event
 * says why, and the file on disk is left as it is: the running configuration differs from it until
 * a later change of the file is applied.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Actor, StackConfig } from '../../shared/model.js';
import type { ReloadVerdict } from './lifecycle/rollback.js';
import { watchReload, type ReloadWatch } from './reload-watch.js';
import type { ReloadResponse } from '../../shared/views.js';
import { loadStack } from './config/index.js';
import type { Logger } from './logger.js';
import type { Supervisor } from './supervisor.js';

export interface Reloader {
  /** Starts watching the stack file and its env files. */
  watch(): void;
  reload(actor: Actor | 'watch'): Promise<ReloadResponse>;
  close(): void;
}

const DEBOUNCE_MS = 250;

function digest(files: readonly string[]): string {
  const h = crypto.createHash('sha256');
  for (const f of files) {
    h.update(f);
    try {
      h.update(fs.readFileSync(f));
    } catch {
      h.update('\0missing');
    }
  }
  return h.digest('hex');
}

export function createReloader(
  sup: Supervisor,
  opts: { logger: Logger; env: Readonly<Record<string, string | undefined>> },
): Reloader {
  let watchers: fs.FSWatcher[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<unknown> | null = null;
  let watch: ReloadWatch | null = null;
  let again = false;
  let lastDigest = '';
  /** Env files a rejected edit names: watched too, so creating the missing one applies the edit. */
  let pendingEnvFiles: readonly string[] = [];
  const files = (): string[] => [
    ...new Set([sup.config.file, ...(sup.config.envFiles ?? []), ...pendingEnvFiles]),
  ];

  const apply = async (actor: Actor | 'watch'): Promise<ReloadResponse> => {
    const result = loadStack(sup.config.file, { env: opts.env });
    const none = { added: [], removed: [], restarted: [], updated_in_place: [], unchanged: [] };
    if (!result.ok) {
      pendingEnvFiles = result.envFiles ?? [];
      rewatch();
      const errors = result.errors.map((e) => ({
        message: e.message,
        file: e.file,
        line: e.line,
        col: e.col,
        path: e.path,
      }));
      const first = errors[0];
      const where = first
        ? `${path.basename(first.file)}:${first.line}:${first.col}`
        : sup.config.file;
      sup.emit({
        type: 'status_update',
        ts: sup.clock.wallNow(),
        system: sup.systemState(),
        event: 'config-rejected',
        message: `stack file change rejected (${where}: ${first?.message ?? 'invalid'}); still running the last good configuration`,
      });
      opts.logger.error(`stack file change rejected: ${where}: ${first?.message ?? ''}`);
      return { success: false, applied: false, changes: none, errors };
    }
    pendingEnvFiles = [];
    watch?.cancel();
    watch = null;
    const lastGood = sup.config;
    const changes = await sup.applyConfig(result.config);
    sup.configRollback = null;
    lastDigest = digest(files());
    const summary = (['added', 'removed', 'restarted', 'updated_in_place'] as const)
      .filter((k) => changes[k].length > 0)
      .map((k) => `${k.replace(/_/g, ' ')}: ${changes[k].join(', ')}`)
      .join('; ');
    sup.emit({
      type: 'status_update',
      ts: sup.clock.wallNow(),
      system: sup.systemState(),
      event: 'config-reloaded',
      message: `stack file reloaded (${actor === 'watch' ? 'file changed' : `requested by ${actor}`}): ${summary || 'no changes'}`,
    });
    rewatch();
    const changed = [...changes.restarted, ...changes.added];
    if (result.config.settings.reloadRollback && changed.length > 0) {
      const w = watchReload(sup, changed, (verdict) => {
        if (watch !== w || verdict.kind !== 'failed') return;
        watch = null;
        void exclusive(() => rollback(lastGood, verdict));
      });
      watch = w;
    }
    return { success: true, applied: true, changes, errors: [] };
  };

  /** Applies the last good configuration again after a changed service failed. */
  const rollback = async (
    lastGood: StackConfig,
    verdict: Extract<ReloadVerdict, { kind: 'failed' }>,
  ): Promise<void> => {
    const why = `${verdict.service}: ${verdict.reason}`;
    opts.logger.warn(`rolling back the stack file change: ${why}`);
    const changes = await sup.applyConfig(lastGood, {
      reason: {
        kind: 'config_change',
        message: `rolled back to the last good definition (${why})`,
      },
      force: true,
    });
    const undone = [...changes.restarted, ...changes.removed, ...changes.added];
    const message = `stack file change rolled back (${why}); running the last good configuration${undone.length > 0 ? ` of ${undone.join(', ')}` : ''}, which differs from the file on disk`;
    sup.configRollback = { at: sup.clock.wallNow(), message };
    sup.emit({
      type: 'status_update',
      ts: sup.configRollback.at,
      system: sup.systemState(),
      event: 'config-rolled-back',
      message,
    });
  };

  /** One configuration change at a time: reloads and rollbacks never overlap. */
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    while (running) await running.catch(() => undefined);
    const p = fn();
    running = p;
    try {
      return await p;
    } finally {
      if (running === p) running = null;
    }
  };

  let current: Promise<ReloadResponse> | null = null;
  const reload = (actor: Actor | 'watch'): Promise<ReloadResponse> => {
    if (current) {
      again = true;
      return current;
    }
    current = exclusive(() => apply(actor)).finally(() => {
      current = null;
      if (again) {
        again = false;
        void reload('watch');
      }
    });
    return current;
  };

  const onChange = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      const d = digest(files());
      if (d === lastDigest) return;
      lastDigest = d;
      void reload('watch');
    }, DEBOUNCE_MS);
  };

  function rewatch(): void {
    for (const w of watchers) w.close();
    watchers = [];
    // Watch directories: editors replace files by rename, which a file watch would lose.
    const byDir = new Map<string, Set<string>>();
    for (const f of files()) {
      const dir = path.dirname(f);
      if (!byDir.has(dir)) byDir.set(dir, new Set());
      byDir.get(dir)!.add(path.basename(f));
    }
    for (const [dir, names] of byDir) {
      try {
        const w = fs.watch(dir, { persistent: false }, (_ev, name) => {
          if (name === null || names.has(name.toString())) onChange();
        });
        w.on('error', () => undefined);
        watchers.push(w);
      } catch (err) {
        opts.logger.warn(`cannot watch ${dir} for changes: ${String(err)}`);
      }
    }
  }

  return {
    watch() {
      lastDigest = digest(files());
      rewatch();
    },
    reload,
    close() {
      watch?.cancel();
      watch = null;
      if (timer) clearTimeout(timer);
      for (const w of watchers) w.close();
      watchers = [];
    },
  };
}
