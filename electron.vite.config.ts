/**
 * Build of the desktop app: the main process (supervisor core + SQLite, ESM), the preload (CommonJS,
 * because sandboxed preloads cannot load ES modules) and the React renderer. The renderer's output
 * in out/renderer/ is also what `vigil up --ui` serves to browsers.
 */
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * The page's CSP meta tag forbids inline scripts; the dev server's hot reload needs one. The tag
 * is dropped from the page only while serving in development (the built page keeps it).
 */
function devWithoutCspMeta(): Plugin {
  return {
    name: 'vigil:dev-without-csp-meta',
    apply: 'serve',
    transformIndexHtml(html) {
      return html.replace(/<meta\s+http-equiv="Content-Security-Policy"[^>]*>/i, '');
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      // better-sqlite3 and @parcel/watcher are native modules: loaded from node_modules at run
      // time, never bundled.
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve(root, 'src/main/app/index.ts') },
        external: ['better-sqlite3', '@parcel/watcher'],
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // A sandboxed preload can only require('electron'): everything else is bundled in.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [react(), devWithoutCspMeta()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      chunkSizeWarningLimit: 2_000,
      minify: true,
      rollupOptions: {
        input: { index: resolve(root, 'src/renderer/index.html') },
      },
    },
  },
});
