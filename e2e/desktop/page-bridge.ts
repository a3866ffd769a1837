/**
 * The preload's place in a Chromium page: the real preload bundle (out/preload/index.cjs) runs in
 * the page before the renderer, with an `electron` whose `ipcRenderer.invoke` goes through a
 * Playwright binding to the booted main process's IPC handlers (with the calling frame's real URL
 * as `senderFrame.url`), and whose `contextBridge` puts the bridges on `window`. Messages the main
 * process sends to the window (the event stream, menu commands) are delivered to the page's
 * `ipcRenderer.on` listeners.
 */
import fs from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { PRELOAD_BUNDLE, type BootedMain } from './boot.js';

export const PAGE_SENDER_ID = 101;

function initScript(preloadSource: string): string {
  return `(() => {
  const listeners = new Map();
  window.__vigilDeliver = (channel, msg) => {
    for (const fn of [...(listeners.get(channel) || [])]) fn({}, msg);
  };
  const ipcRenderer = {
    invoke: (channel, ...args) => window.__vigilIpc(channel, args),
    on(channel, fn) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel).add(fn);
      return ipcRenderer;
    },
    removeListener(channel, fn) {
      listeners.get(channel)?.delete(fn);
      return ipcRenderer;
    },
  };
  const contextBridge = {
    exposeInMainWorld(key, api) {
      Object.defineProperty(window, key, { value: api, enumerable: true });
    },
  };
  const require = (id) => {
    if (id === 'electron') return { contextBridge, ipcRenderer };
    throw new Error('a sandboxed preload cannot require ' + id);
  };
  const module = { exports: {} };
  (function (require, module, exports) {
${preloadSource}
  })(require, module, module.exports);
})();`;
}

/** Installs the bridge in every page of `context` (before any page script runs). */
export async function bridgeToMain(context: BrowserContext, main: BootedMain): Promise<void> {
  await context.exposeBinding('__vigilIpc', async ({ frame }, channel: string, args: unknown[]) => {
    const r = await main.invoke(channel, args, frame.url(), PAGE_SENDER_ID);
    return r === 'no handler'
      ? { ok: false, error: { code: 'INTERNAL', message: 'no handler' } }
      : r;
  });
  await context.addInitScript({ content: initScript(fs.readFileSync(PRELOAD_BUNDLE, 'utf8')) });
}

/** Forwards what the main process sends to the page's window. Returns the function that stops it. */
export function forwardSends(main: BootedMain, page: Page): () => void {
  let chain = Promise.resolve();
  return main.onSend((m) => {
    if (m.senderId !== PAGE_SENDER_ID) return;
    chain = chain
      .then(() =>
        page.evaluate(
          ({ channel, msg }) =>
            (window as unknown as { __vigilDeliver(c: string, m: unknown): void }).__vigilDeliver(
              channel,
              msg,
            ),
          { channel: m.channel, msg: m.msg },
        ),
      )
      .catch(() => undefined);
  });
}
