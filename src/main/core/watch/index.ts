export { WatchManager, type WatchHost } from './manager.js';
export { TreeWatcher } from './watcher.js';
export { createFilter, gitignoreFiles } from './filter.js';
export * from './batch.js';
