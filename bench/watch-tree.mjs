// File watching on a large tree: builds a tree of 50 000 files (500 folders of 100, plus a
// node_modules of 10 000 files that .gitignore lists), watches it with Vigil's watcher
// (src/main/core/watch/watcher.ts, bundled on the fly) and prints what it costs: time to arm,
// inotify watches held (from /proc/self/fdinfo), memory, and the time from a write to its event.
//   node bench/watch-tree.mjs [--files 50000] [--keep DIR]
import { build } from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { files: { type: 'string', default: '50000' } } });
const total = Number(values.files);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-watch-bench-'));
const bundle = path.join(work, 'watch.mjs');
await build({
  stdin: {
    contents: `export { TreeWatcher } from './watcher.ts'; export { createFilter } from './filter.ts';`,
    resolveDir: path.join(root, 'src/main/core/watch'),
    loader: 'ts',
  },
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  external: ['@parcel/watcher', 'ignore'],
  logLevel: 'warning',
});
// The bundle's bare imports resolve from the repository's node_modules.
fs.symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'));
const { TreeWatcher, createFilter } = await import(pathToFileURL(bundle).href);

const tree = path.join(work, 'tree');
const perDir = 100;
let made = 0;
for (let a = 0; made < total; a++) {
  for (let b = 0; b < 10 && made < total; b++) {
    const d = path.join(tree, 'src', `m${a}`, `p${b}`);
    fs.mkdirSync(d, { recursive: true });
    for (let f = 0; f < perDir && made < total; f++, made++)
      fs.writeFileSync(path.join(d, `f${f}.ts`), 'export {};\n');
  }
}
for (let a = 0; a < 100; a++) {
  const d = path.join(tree, 'node_modules', `pkg${a}`);
  fs.mkdirSync(d, { recursive: true });
  for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(d, `f${f}.js`), '');
}
fs.writeFileSync(path.join(tree, '.gitignore'), 'node_modules/\n');
const dirs = (p) =>
  fs
    .readdirSync(p, { withFileTypes: true })
    .reduce((n, e) => (e.isDirectory() ? n + 1 + dirs(path.join(p, e.name)) : n), 0);

const inotifyWatches = () => {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fdinfo')) {
    try {
      n += (fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm) ?? [])
        .length;
    } catch {
      // closed meanwhile
    }
  }
  return n;
};

global.gc?.();
const rss0 = process.memoryUsage().rss;
const spec = {
  paths: [tree],
  shown: ['.'],
  ignore: [],
  debounceMs: 300,
  action: 'restart',
  gitignore: true,
};
const filter = createFilter(spec, tree);
let seen = null;
const w = new TreeWatcher({
  paths: [tree],
  prunedDirs: filter.prunedDirs,
  logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
  onChanges: (paths) => {
    if (seen && paths.some((p) => p === seen.file)) seen.resolve(performance.now());
  },
});
const t0 = performance.now();
await w.start();
const armMs = performance.now() - t0;
await new Promise((r) => setTimeout(r, 1000));
global.gc?.();
const rss1 = process.memoryUsage().rss;
const watches = inotifyWatches();

const latencies = [];
for (let i = 0; i < 10; i++) {
  const file = path.join(tree, 'src', 'm3', 'p3', `f${i}.ts`);
  const got = new Promise((resolve) => (seen = { file, resolve }));
  const start = performance.now();
  fs.writeFileSync(file, `export const v = ${i};\n`);
  latencies.push((await got) - start);
  await new Promise((r) => setTimeout(r, 50));
}
await w.close();
latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify(
    {
      files: made + 10_000,
      watched_files: made,
      folders: dirs(tree),
      arm_ms: Math.round(armMs),
      inotify_watches: watches,
      rss_growth_mb: +((rss1 - rss0) / 1048576).toFixed(1),
      event_latency_ms_median: +latencies[5].toFixed(1),
      event_latency_ms_max: +latencies.at(-1).toFixed(1),
    },
    null,
    1,
  ),
);
fs.rmSync(work, { recursive: true, force: true });
