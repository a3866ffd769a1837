import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VigilError } from '../../shared/errors.js';
import type { Reason } from '../../shared/model.js';
import { buildReport } from './build.js';
import { csvText } from './render-csv.js';
import { mdText } from './render-md.js';
import { renderReport, reportFilename } from './render.js';
import { at, fakeSource, heal, health, launched, life, shopScenario } from './testing/support.js';
import type { ReportData, ReportFormat } from './types.js';

function shop(): ReportData {
  const sc = shopScenario();
  return buildReport(fakeSource(sc), { since: sc.since, until: sc.until }, sc.until, {
    timeZone: 'UTC',
  });
}

const EVIL = '<script>alert(1)</script>';

/** A stack whose names and recorded text carry markup, quotes, commas and formulas. */
function hostile(): ReportData {
  const reason: Reason = {
    kind: 'spawn_error',
    message: `could not start: ${EVIL}`,
    detail: `"quoted", =HYPERLINK("x") ${EVIL} <img src=x onerror=alert(2)>`,
  };
  const src = fakeSource({
    stackName: '<b>shop</b> & "co"',
    stackFile: '/tmp/<evil>/vigil.yaml',
    services: ['api', `x${EVIL}`],
    events: [
      ...launched('api', at(0)),
      health('api', at(30), 'healthy', 'unhealthy', 1, { ok: false, detail: EVIL, failures: 3 }),
      heal('api', at(31), 'recommendation', {
        kind: 'probe',
        message: `=cmd|' /C calc'!A0 ${EVIL}`,
      }),
      life(`x${EVIL}`, at(40), 'starting', 'backoff', reason, 1),
    ],
    probes: [{ service: 'api', ts: at(10), ok: true, latencyMs: 3 }],
  });
  return buildReport(src, { since: at(0), until: at(120) }, at(120), { timeZone: 'UTC' });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-report-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('renderReport', () => {
  it.each<[ReportFormat, string]>([
    ['md', 'text/markdown; charset=utf-8'],
    ['html', 'text/html; charset=utf-8'],
    ['json', 'application/json; charset=utf-8'],
    ['csv', 'text/csv; charset=utf-8'],
  ])('%s has its content type and file name', (format, type) => {
    const out = renderReport(shop(), format);
    expect(out.contentType).toBe(type);
    expect(out.filename).toBe(`vigil-report-shop-20260101-1100.${format}`);
    expect(out.body.length).toBeGreaterThan(100);
  });

  it('makes a safe file name from any stack name', () => {
    expect(reportFilename(hostile(), 'html')).toMatch(
      /^vigil-report-b-shop-b-co-\d{8}-\d{4}\.html$/,
    );
    const data = { ...shop(), stack: { name: '../../', file: '' } };
    expect(reportFilename(data, 'md')).toBe('vigil-report-stack-20260101-1100.md');
  });

  it('rejects an unknown format', () => {
    expect(() => renderReport(shop(), 'pdf' as ReportFormat)).toThrow(VigilError);
  });
});

describe('Markdown', () => {
  it('has a title, a summary line, a table per service and the timeline', () => {
    const md = renderReport(shop(), 'md').body;
    const lines = md.split('\n');
    expect(lines[0]).toBe('# Healing report: shop');
    expect(md).toContain('2026-01-01 10:00:00 – 11:00:00 (1 h), times in UTC.');
    expect(md).toContain(
      '**Overall uptime 89.8 %** · 4 incidents (2 ongoing) · 13 restarts (1 manual) · 1 quarantine · ' +
        '2 breaker trips · 2 stack events',
    );
    expect(lines).toContain(
      '| Service | Uptime | Restarts | MTTR | Longest outage | Quarantines | Breaker trips | Incidents |',
    );
    expect(lines).toContain('| api | 99.96 % | 2 | 1.2 s | 1.2 s | 0 | 0 | 1 |');
    expect(lines).toContain('| flaky | 50 % | 7 | n/a | 30 min | 1 | 2 | 1 |');
    expect(lines).toContain('| db | 100 % | 0 | n/a | – | 0 | 0 | 0 |');
    expect(lines).toContain(
      '- **10:02:03** api crashed with exit code 1 at 10:02:03; restarted after 1 s (attempt 1, ' +
        'immediate); healthy again at 10:02:04 (down 1.2 s).',
    );
    expect(md.indexOf('## Services')).toBeLessThan(md.indexOf('## Timeline'));
    expect(lines.filter((l) => l.startsWith('- **'))).toHaveLength(shop().incidents.length);
  });

  it('escapes markup in recorded text', () => {
    expect(mdText('a|b <script> *x* [l](u) `c` & d\nnext')).toBe(
      'a\\|b \\<script\\> \\*x\\* \\[l\\](u) \\`c\\` \\& d next',
    );
    const md = renderReport(hostile(), 'md').body;
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('<b>');
    expect(md).toContain('\\<script\\>alert(1)\\</script\\>');
  });
});

describe('HTML', () => {
  it('is one self-contained page with a strict CSP and no scripts or external resources', () => {
    const html = renderReport(shop(), 'html').body;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\s(src|href|xlink:href|action)\s*=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    expect(html).not.toMatch(/<(link|iframe|object|embed|img|form)\b/i);
    expect(html).toContain('@media print');
    fs.writeFileSync(path.join(tmp, 'report.html'), html);
    expect(fs.statSync(path.join(tmp, 'report.html')).size).toBe(Buffer.byteLength(html));
  });

  it('has the summary, the service table, a chart per service and the timeline', () => {
    const data = shop();
    const html = renderReport(data, 'html').body;
    expect(html).toContain('<title>Healing report: shop</title>');
    expect(html).toContain('<span class="v">89.8 %</span>');
    expect(html).toContain('<span class="v">13</span>');
    expect(html.match(/<svg class="chart"/g)).toHaveLength(5);
    expect(html.match(/<tr><td class="svc">/g)).toHaveLength(5);
    expect(html.match(/<li class="/g)).toHaveLength(data.incidents.length);
    expect(html).toContain(
      '<span class="svc">flaky</span> crashed with exit code 1 at 10:30:00; restarted 7 times',
    );
    // One restart marker per restart event of api (2), with its time.
    const api = html.slice(html.indexOf('aria-label="api:'), html.indexOf('aria-label="worker:'));
    expect(api.match(/<title>restart at /g)).toHaveLength(2);
    expect(api).toContain('<title>restart at 2026-01-01 10:20:00</title>');
  });

  it('escapes every recorded value', () => {
    const html = renderReport(hostile(), 'html').body;
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>shop</b>');
    expect(html).toContain('&lt;b&gt;shop&lt;/b&gt; &amp; &quot;co&quot;');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('/tmp/&lt;evil&gt;/vigil.yaml');
    expect(html).toContain(`<td class="svc">x&lt;script&gt;alert(1)&lt;/script&gt;</td>`);
  });
});

describe('CSV', () => {
  it('has the service rows, a blank line, then the timeline rows, with CRLF line ends', () => {
    const data = shop();
    const csv = renderReport(data, 'csv').body;
    const [services, incidents] = csv.split('\r\n\r\n');
    const rows = services!.split('\r\n');
    expect(rows[0]).toBe(
      'service,uptime_pct,restarts,mttr_ms,longest_outage_ms,quarantines,breaker_trips,incidents',
    );
    expect(rows).toContain('api,99.967,2,1200,1200,0,0,1');
    expect(rows).toContain('flaky,49.986,7,,1800000,1,2,1');
    const irows = incidents!.trimEnd().split('\r\n');
    expect(irows[0]).toBe('ts,service,kind,sentence');
    expect(irows).toHaveLength(data.incidents.length + 1);
    expect(irows).toContain(
      '2026-01-01T10:02:03.000Z,api,crash,"api crashed with exit code 1 at 10:02:03; restarted after 1 s ' +
        '(attempt 1, immediate); healthy again at 10:02:04 (down 1.2 s)."',
    );
    expect(irows).toContain('2026-01-01T10:00:00.000Z,,stack,The stack started at 10:00:00.');
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('quotes per RFC 4180 and guards against formula injection', () => {
    expect(csvText('plain')).toBe('plain');
    expect(csvText('a,b')).toBe('"a,b"');
    expect(csvText('say "hi"')).toBe('"say ""hi"""');
    expect(csvText('two\nlines')).toBe('"two\nlines"');
    expect(csvText('=1+1')).toBe("'=1+1");
    expect(csvText('+1')).toBe("'+1");
    expect(csvText('-1')).toBe("'-1");
    expect(csvText('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvText('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
    const csv = renderReport(hostile(), 'csv').body;
    // The spawn error's detail, quotes doubled, inside one quoted cell.
    expect(csv).toContain('(""quoted"", =HYPERLINK(""x"")');
    for (const line of csv.split('\r\n')) expect(line).not.toMatch(/(^|,)[=+@]/);
  });
});

describe('JSON', () => {
  it('is the report data itself', () => {
    const data = shop();
    const json = renderReport(data, 'json').body;
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(data)));
    expect(Object.keys(JSON.parse(json))).toEqual([
      'report_version',
      'stack',
      'range',
      'generated_at',
      'totals',
      'services',
      'incidents',
    ]);
  });
});
