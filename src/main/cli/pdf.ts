/**
 * PDF reports from the command line: the HTML report printed by Chromium (the same printer the
 * desktop app's `printToPDF` uses), driven by playwright-core. Chromium is found at the usual
 * places of each platform, or wherever `VIGIL_CHROMIUM` says; the page runs without JavaScript
 * (the report needs none) in a fresh temporary profile.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Names the Chromium (or Chrome) binary to print with. */
export const CHROMIUM_ENV = 'VIGIL_CHROMIUM';

/** Where Chromium or Chrome usually is, in the order they are tried. */
export function chromiumCandidates(
  platform: NodeJS.Platform,
  env: Readonly<Record<string, string | undefined>>,
): readonly string[] {
  switch (platform) {
    case 'darwin':
      return [
        '/Applications/Chromium.app/Contents/MacOS/Chromium',
        '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      ];
    case 'win32': {
      const roots = [env['PROGRAMFILES'], env['PROGRAMFILES(X86)'], env['LOCALAPPDATA']].filter(
        (x): x is string => Boolean(x),
      );
      return roots.flatMap((r) => [
        path.win32.join(r, 'Chromium', 'Application', 'chrome.exe'),
        path.win32.join(r, 'Google', 'Chrome', 'Application', 'chrome.exe'),
      ]);
    }
    default:
      return [
        '/usr/bin/chromium',
        '/usr/bin/chromium-browser',
        '/usr/bin/google-chrome',
        '/usr/bin/google-chrome-stable',
        '/snap/bin/chromium',
      ];
  }
}

export type ChromiumLookup =
  { readonly ok: true; readonly path: string } | { readonly ok: false; readonly message: string };

/** The Chromium to print with, or one line saying where it was looked for and what to do. */
export function findChromium(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform = process.platform,
  exists: (file: string) => boolean = (f) => fs.existsSync(f),
): ChromiumLookup {
  const named = env[CHROMIUM_ENV];
  if (named) {
    return exists(named)
      ? { ok: true, path: named }
      : {
          ok: false,
          message: `${CHROMIUM_ENV} names ${named}, which does not exist; point it at a Chromium or Chrome binary`,
        };
  }
  const candidates = chromiumCandidates(platform, env);
  const found = candidates.find((c) => exists(c));
  if (found) return { ok: true, path: found };
  return {
    ok: false,
    message:
      `PDF needs Chromium or Chrome, which is not installed here (looked in ${candidates.join(', ')}); ` +
      `install one, set ${CHROMIUM_ENV} to its binary, or use --format html`,
  };
}

/** The flags every headless print runs with: no sandbox helper, GPU, network extras or first-run UI. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

/** Prints an HTML document to an A4 PDF (margins from the report's `@page` rule). */
export async function htmlToPdf(html: string, chromiumPath: string): Promise<Uint8Array> {
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch {
    throw new Error('PDF needs the playwright-core package; run `npm install` in Vigil');
  }
  const browser = await playwright.chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    timeout: 60_000,
  });
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    const page = await context.newPage();
    await page.setContent(html, { waitUntil: 'load', timeout: 60_000 });
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    return new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  } finally {
    await browser.close().catch(() => undefined);
  }
}
