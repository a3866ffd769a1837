/**
 * Watches a set of paths and reports changed absolute paths, in batches as they arrive.
 *
 * - A folder is watched recursively by @parcel/watcher (inotify on Linux, FSEvents on macOS,
 *   ReadDirectoryChangesW on Windows): one watch per folder, none per file, and pruned folders
 *   (node_modules, .git, ignored build output) get none.
 * - A file is watched through its parent folder (Node's fs.watch, not recursive, one watch), so an
 *   editor that saves by writing a temporary file and renaming it over the original is seen.
 * - A path that does not exist yet is waited for on its nearest existing parent (one watch), and
 *   watched as soon as it appears; a watched folder that is deleted goes back to waiting.
 * - A folder created inside a watched folder is re-armed (the subscription ends and a new one
 *   scans the tree): inotify cannot see what `mkdir -p a/b && touch a/b/c` does before the watch
 *   on `a` exists. Changes in the moment between the two are not seen; the new folder itself
 *   already counts as a change, so the service restarts after it anyway.
 */
import fs from 'node:fs';
import path from 'node:path';
import watcher from '@parcel/watcher';
import type { Logger } from '../logger.js';

/**
 * Subscriptions start and end one at a time, process-wide: @parcel/watcher shares one native
 * backend between subscriptions and tears it down with the last one, and a subscription made
 * while that happens can lose its watches.
 */
let nativeQueue: Promise<unknown> = Promise.resolve();
function serial<T>(op: () => Promise<T>): Promise<T> {
  const next = nativeQueue.then(op, op);
  nativeQueue = next.catch(() => undefined);
  return next;
}

export interface TreeWatcherOptions {
  readonly paths: readonly string[];
  /** Folder names that get no watch anywhere below a watched folder. */
  readonly prunedDirs: readonly string[];
  /** Absolute folders that get no watch. */
  readonly prunedPaths?: readonly string[];
  readonly onChanges: (paths: readonly string[]) => void;
  readonly logger: Logger;
}

/** Created paths checked for folders in one batch of events. */
const NEW_FOLDER_CHECKS = 2_000;

type Armed =
  | { kind: 'dir'; sub: watcher.AsyncSubscription; parent: fs.FSWatcher | null }
  | { kind: 'file'; w: fs.FSWatcher }
  | { kind: 'missing'; w: fs.FSWatcher | null; on: string };

/** One path's watch, re-armed as the path appears, disappears or grows new folders. */
class PathWatch {
  private armed: Armed | null = null;
  private closed = false;
  private arming: Promise<void> = Promise.resolve();
  private rearmQueued = false;
  private armings = 0;

  constructor(
    readonly target: string,
    private readonly opts: TreeWatcherOptions,
  ) {}

  start(): Promise<void> {
    return this.rearm();
  }

  /** Re-arms after the current arming finishes (coalesced). */
  rearm(): Promise<void> {
    if (this.rearmQueued) return this.arming;
    this.rearmQueued = true;
    this.arming = this.arming.then(async () => {
      this.rearmQueued = false;
      if (this.closed) return;
      // The old watch ends first: inotify gives one watch per folder and inode to the whole
      // process, so a second subscription on the same folders would lose its watches when the
      // first one removes them.
      await disarm(this.armed);
      this.armed = null;
      try {
        this.armed = await this.arm();
      } catch (err) {
        this.opts.logger.warn(`watch ${this.target}: ${String(err)}`);
        this.armed = await this.waitFor(this.target).catch(() => null);
      }
      if (this.closed) {
        await disarm(this.armed);
        this.armed = null;
      }
    });
    return this.arming;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.arming;
    await disarm(this.armed);
    this.armed = null;
  }

  private async arm(): Promise<Armed> {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(this.target);
    } catch {
      st = null;
    }
    if (st === null) return this.waitFor(this.target);
    if (st.isDirectory()) {
      const sub = await serial(() =>
        watcher.subscribe(
          this.target,
          (err, events) => {
            if (err) {
              this.opts.logger.warn(`watch ${this.target}: ${String(err)}`);
              void this.rearm();
              return;
            }
            const paths = events.map((e) => e.path);
            if (events.some((e) => e.path === this.target && e.type === 'delete')) {
              void this.rearm();
            } else if (events.some((e) => e.type === 'create')) {
              this.rearmIfNewFolder(events.filter((e) => e.type === 'create').map((e) => e.path));
            }
            this.opts.onChanges(paths);
          },
          {
            ignore: [
              ...this.opts.prunedDirs.flatMap((d) => [`**/${d}`, `**/${d}/**`]),
              ...(this.opts.prunedPaths ?? []),
              // @parcel/watcher shares one native watcher per (folder, options): a path that cannot
              // exist makes each arming its own watcher, which scans the tree afresh.
              path.join(this.target, `.vigil-watch-${++this.armings}-${process.pid}`),
            ],
          },
        ),
      );
      // The folder itself deleted or renamed away: its parent sees it.
      const parent = this.watchParentFor(this.target, () => {
        if (!fs.existsSync(this.target)) {
          this.opts.onChanges([this.target]);
          void this.rearm();
        }
      });
      return { kind: 'dir', sub, parent };
    }
    const base = path.basename(this.target);
    const w = fs.watch(path.dirname(this.target), { persistent: false }, (_ev, name) => {
      if (name === null || String(name) === base) this.opts.onChanges([this.target]);
    });
    w.on('error', () => void this.rearm());
    return { kind: 'file', w };
  }

  /** Waits for `target` on its nearest existing parent; re-arms when the next step appears. */
  private waitFor(target: string): Promise<Armed> {
    let dir = path.dirname(target);
    while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    const w = this.watchParentFor(
      dir === path.dirname(target) ? target : firstBelow(dir, target),
      () => {
        if (fs.existsSync(target)) this.opts.onChanges([target]);
        void this.rearm();
      },
      dir,
    );
    return Promise.resolve({ kind: 'missing', w, on: dir });
  }

  /** Watches the parent of `p` for changes of the entry named like `p`. */
  private watchParentFor(
    p: string,
    onChange: () => void,
    parentDir = path.dirname(p),
  ): fs.FSWatcher | null {
    const name = path.basename(p);
    try {
      const w = fs.watch(parentDir, { persistent: false }, (_ev, changed) => {
        if (changed === null || String(changed) === name) onChange();
      });
      w.on('error', () => undefined);
      return w;
    } catch {
      return null;
    }
  }

  /**
   * Re-arms when one of the created paths is a folder. A burst of file creations (thousands from
   * `npm install` or a branch switch) must not re-arm: the moment between two subscriptions
   * would lose the rest of the burst. Checks at most `NEW_FOLDER_CHECKS` paths a batch (lstat,
   * asynchronous); a folder is almost always among the first entries of the batch it opens.
   */
  private rearmIfNewFolder(created: readonly string[]): void {
    void Promise.all(
      created.slice(0, NEW_FOLDER_CHECKS).map((p) =>
        fs.promises.lstat(p).then(
          (s) => s.isDirectory(),
          () => false,
        ),
      ),
    ).then((dirs) => {
      if (dirs.some(Boolean)) void this.rearm();
    });
  }
}

/** `target`'s path component directly below `dir`. */
function firstBelow(dir: string, target: string): string {
  const rel = path.relative(dir, target).split(path.sep)[0] ?? '';
  return path.join(dir, rel);
}

async function disarm(a: Armed | null): Promise<void> {
  if (!a) return;
  switch (a.kind) {
    case 'dir':
      a.parent?.close();
      await serial(() => a.sub.unsubscribe()).catch(() => undefined);
      return;
    case 'file':
      a.w.close();
      return;
    case 'missing':
      a.w?.close();
      return;
  }
}

/** Every path of a service's `watch:`; `close()` ends every watch. */
export class TreeWatcher {
  private readonly watches: PathWatch[];

  constructor(opts: TreeWatcherOptions) {
    this.watches = dedupe(opts.paths).map((p) => new PathWatch(p, opts));
  }

  async start(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.start()));
  }

  async close(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.close()));
  }
}

/** Drops paths inside another watched folder path (one subscription covers them). */
function dedupe(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths.map((p) => path.resolve(p)))].sort();
  return sorted.filter(
    (p) => !sorted.some((q) => q !== p && p.startsWith(q.endsWith(path.sep) ? q : q + path.sep)),
  );
}
