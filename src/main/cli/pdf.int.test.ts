/**
 * PDF reports, printed for real: the HTML report of a stack with incidents printed by Chromium,
 * then read back with poppler (pdfinfo, pdftotext, pdftoppm): A4 pages, every incident sentence
 * present, the charts' colours on the page, no word outside the printable area.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../report/build.js';
import { COLORS } from '../report/charts.js';
import { renderReport } from '../report/render.js';
import { fakeSource, shopScenario } from '../report/testing/support.js';
import type { ReportData } from '../report/types.js';
import { CHROMIUM_ENV, chromiumCandidates, findChromium, htmlToPdf } from './pdf.js';

describe('findChromium', () => {
  it('takes the binary VIGIL_CHROMIUM names, and says so when it does not exist', () => {
    expect(findChromium({ [CHROMIUM_ENV]: '/opt/c/chrome' }, 'linux', () => true)).toEqual({
      ok: true,
      path: '/opt/c/chrome',
    });
    expect(findChromium({ [CHROMIUM_ENV]: '/opt/c/chrome' }, 'linux', () => false)).toEqual({
      ok: false,
      message: `${CHROMIUM_ENV} names /opt/c/chrome, which does not exist; point it at a Chromium or Chrome binary`,
    });
  });

  it('looks in the usual places of each platform, in order', () => {
    const seen: string[] = [];
    const r = findChromium({}, 'linux', (f) => {
      seen.push(f);
      return f === '/usr/bin/google-chrome';
    });
    expect(r).toEqual({ ok: true, path: '/usr/bin/google-chrome' });
    expect(seen).toEqual([
      '/usr/bin/chromium',
      '/usr/bin/chromium-browser',
      '/usr/bin/google-chrome',
    ]);
    expect(chromiumCandidates('darwin', {})[1]).toBe(
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    );
    expect(chromiumCandidates('win32', { PROGRAMFILES: 'C:\\Program Files' })).toContain(
      'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    );
  });

  it('says in one line where it looked and what to do when there is none', () => {
    const r = findChromium({}, 'linux', () => false);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).not.toContain('\n');
      expect(r.message).toMatch(
        /^PDF needs Chromium or Chrome, which is not installed here \(looked in \/usr\/bin\/chromium, /,
      );
      expect(r.message).toContain(`set ${CHROMIUM_ENV} to its binary, or use --format html`);
    }
  });
});

const chromium = findChromium(process.env);
const poppler = ['pdfinfo', 'pdftotext', 'pdftoppm'].every((t) => {
  try {
    execFileSync(t, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

/** Pixels of a PPM image close to a colour. */
function countColour(ppm: Buffer, hex: string): number {
  // P6 <w> <h> <max> then one whitespace byte, then the pixels.
  const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(ppm.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a PPM file');
  const at = header[0].length;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [
    number,
    number,
    number,
  ];
  let n = 0;
  for (let i = at; i + 2 < ppm.length; i += 3) {
    if (
      Math.abs(ppm[i]! - r) < 12 &&
      Math.abs(ppm[i + 1]! - g) < 12 &&
      Math.abs(ppm[i + 2]! - b) < 12
    )
      n += 1;
  }
  return n;
}

describe.skipIf(!chromium.ok || !poppler)('a report printed to PDF by Chromium', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-pdf-'));
  const file = path.join(dir, 'report.pdf');
  let data: ReportData;
  let html: string;

  beforeAll(async () => {
    const sc = shopScenario();
    data = buildReport(fakeSource(sc), { since: sc.since, until: sc.until }, sc.until, {
      timeZone: 'UTC',
    });
    html = renderReport(data, 'html').body;
    const pdf = await htmlToPdf(html, (chromium as { path: string }).path);
    fs.writeFileSync(file, pdf);
  }, 90_000);

  afterAll(() => {
    if (!process.env['VIGIL_KEEP_PDF']) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is a PDF of A4 pages', () => {
    expect(fs.readFileSync(file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThan(10);
    expect(info).toMatch(/^Page size:\s+59[56]\.\d+ x 84[12]\.\d+ pts \(A4\)/m);
  });

  it('carries every incident sentence and every service', () => {
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
    expect(data.incidents.length).toBeGreaterThan(2);
    for (const incident of data.incidents)
      expect(text).toContain(incident.sentence.replace(/\s+/g, ' '));
    for (const s of data.services) expect(text).toContain(s.service);
    expect(text).toContain('Healing report');
  });

  it('draws the charts: their colours cover part of the first page', () => {
    const prefix = path.join(dir, 'page');
    execFileSync('pdftoppm', ['-r', '40', '-f', '1', '-l', '1', file, prefix]);
    const ppm = fs.readFileSync(
      fs
        .readdirSync(dir)
        .filter((f) => f.startsWith('page') && f.endsWith('.ppm'))
        .map((f) => path.join(dir, f))[0]!,
    );
    expect(countColour(ppm, COLORS.ok)).toBeGreaterThan(200);
    expect(countColour(ppm, COLORS.failed)).toBeGreaterThan(5);
  });

  it('keeps every word inside the printable area of its page (nothing cut at the edges)', () => {
    const bbox = execFileSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8' });
    const pages = [
      ...bbox.matchAll(/<page width="([\d.]+)" height="([\d.]+)">([\s\S]*?)<\/page>/g),
    ];
    expect(pages.length).toBeGreaterThan(0);
    // The report's @page margins: 14 mm top and bottom, 12 mm at the sides (1 mm = 72/25.4 pt).
    const side = (12 * 72) / 25.4 - 1;
    const top = (14 * 72) / 25.4 - 1;
    let words = 0;
    for (const [, w, h, body] of pages) {
      for (const m of body!.matchAll(
        /xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</g,
      )) {
        words += 1;
        const [x0, y0, x1, y1] = [m[1], m[2], m[3], m[4]].map(Number) as [
          number,
          number,
          number,
          number,
        ];
        const where = `"${m[5]}" at ${x0},${y0}-${x1},${y1}`;
        expect(x0, where).toBeGreaterThanOrEqual(side);
        expect(x1, where).toBeLessThanOrEqual(Number(w) - side);
        expect(y0, where).toBeGreaterThanOrEqual(top);
        expect(y1, where).toBeLessThanOrEqual(Number(h) - top);
      }
    }
    expect(words).toBeGreaterThan(100);
  });
});
