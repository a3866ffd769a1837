/**
 * The report as one self-contained HTML page: inline CSS, inline SVG charts, no scripts and no
 * external resources (a strict Content-Security-Policy says so too). Every recorded value is
 * escaped. Light, print-friendly: it is also what the desktop app prints to PDF. Pure.
 */
import { escapeHtml as esc, serviceChart, uptimeBar, COLORS } from './charts.js';
import { formatPercent, humanDuration, TimeFormatter } from './format.js';
import { entryTime, rangeText } from './render-md.js';
import type { ReportData, ReportIncident } from './types.js';

export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
html { background: #fff; }
body { margin: 0; background: #fff; color: #1f2328;
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 32px 28px 48px; }
h1 { font-size: 24px; line-height: 1.25; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
.meta { color: #57606a; margin: 0; }
.meta .file { word-break: break-all; }
.cards { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 10px; margin: 20px 0 4px; }
.card { border: 1px solid #d0d7de; border-radius: 8px; padding: 10px 12px; }
.card .v { display: block; font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .l { display: block; color: #57606a; font-size: 11px; text-transform: uppercase; letter-spacing: .05em; }
.card .s { color: #57606a; font-size: 12px; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 8px; border-bottom: 1px solid #eaeef2; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
th { font-size: 12px; color: #57606a; font-weight: 600; border-bottom: 1px solid #d0d7de; vertical-align: bottom; }
td.uptime svg { vertical-align: middle; margin-right: 8px; }
td.uptime .pct { display: inline-block; min-width: 58px; }
.svc { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; color: #57606a; margin: 0 0 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
figure { margin: 0 0 18px; break-inside: avoid; page-break-inside: avoid; }
figcaption { margin-bottom: 2px; }
figcaption .facts { color: #57606a; font-size: 12px; margin-left: 8px; }
svg.chart { display: block; font-family: inherit; }
ol.timeline { list-style: none; padding: 0; margin: 0; }
ol.timeline li { display: grid; grid-template-columns: 78px minmax(0, 1fr); gap: 12px; padding: 7px 0 7px 12px;
  border-left: 3px solid #d0d7de; border-bottom: 1px solid #eaeef2; break-inside: avoid; page-break-inside: avoid; }
ol.timeline.days li { grid-template-columns: 150px minmax(0, 1fr); }
ol.timeline li.failure { border-left-color: ${COLORS.failed}; }
ol.timeline li.ongoing { background: #fff5f5; }
ol.timeline li.manual, ol.timeline li.restart { border-left-color: ${COLORS.manual}; }
ol.timeline li.system { border-left-color: #8250df; }
time { color: #57606a; font-variant-numeric: tabular-nums; }
.tag { display: inline-block; font-size: 11px; line-height: 16px; padding: 0 6px; border-radius: 8px;
  background: #eaeef2; color: #57606a; margin-left: 6px; white-space: nowrap; }
.tag.bad { background: #ffebe9; color: #a40e26; }
.empty { color: #57606a; }
footer { margin-top: 32px; color: #6e7781; font-size: 12px; }
@media (max-width: 700px) { .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
@media print {
  @page { margin: 14mm 12mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .cards { grid-template-columns: repeat(5, minmax(0, 1fr)); }
  h2 { break-after: avoid; page-break-after: avoid; }
  tr, figure, ol.timeline li { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  ol.timeline li.ongoing { background: none; }
}
`;

const KIND_LABEL: Readonly<Record<ReportIncident['kind'], string>> = {
  crash: 'crash',
  start_failure: 'start failure',
  unhealthy: 'unhealthy',
  memory_limit: 'limit',
  dependency: 'dependency',
  quarantine: 'quarantine',
  down: 'down',
  manual: 'manual',
  restart: 'restart',
  notice: 'notice',
  system: 'system',
  stack: 'stack',
};

function ms(v: number | null): string {
  return v === null ? '–' : humanDuration(v);
}

function card(label: string, value: string, sub = ''): string {
  return (
    `<div class="card"><span class="l">${esc(label)}</span><span class="v">${esc(value)}</span>` +
    `${sub ? `<span class="s">${esc(sub)}</span>` : ''}</div>`
  );
}

/** The sentence, with the service name that starts it set apart. */
function sentenceHtml(i: ReportIncident): string {
  const s = i.sentence;
  if (i.service !== null && s.startsWith(`${i.service} `)) {
    return `<span class="svc">${esc(i.service)}</span>${esc(s.slice(i.service.length))}`;
  }
  return esc(s);
}

export function renderHtml(data: ReportData): string {
  const fmt = new TimeFormatter(data.range.time_zone);
  const t = data.totals;
  const title = `Healing report: ${data.stack.name}`;
  const out: string[] = [];
  out.push(
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // A constant without double quotes: written as is, so it reads like the policy it is.
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<header>',
    `<h1>${esc(title)}</h1>`,
    `<p class="meta">${esc(rangeText(data, fmt))}, times in ${esc(data.range.time_zone)}</p>`,
    `<p class="meta">Stack file <span class="file">${esc(data.stack.file)}</span></p>`,
    '</header>',
  );

  out.push(
    '<section class="cards" aria-label="Summary">',
    card(
      'Overall uptime',
      formatPercent(t.uptime_pct),
      `${t.services} service${t.services === 1 ? '' : 's'}`,
    ),
    card('Incidents', String(t.incidents), t.ongoing > 0 ? `${t.ongoing} ongoing` : ''),
    card(
      'Restarts',
      String(t.restarts),
      t.manual_restarts > 0 ? `${t.manual_restarts} manual` : '',
    ),
    card('Quarantines', String(t.quarantines)),
    card('Breaker trips', String(t.breaker_trips)),
    '</section>',
  );

  out.push('<section>', '<h2>Services</h2>');
  if (data.services.length === 0) out.push('<p class="empty">No services.</p>');
  else {
    out.push(
      '<table>',
      '<thead><tr><th>Service</th><th>Uptime</th><th>Restarts</th><th>MTTR</th><th>Longest outage</th>' +
        '<th>Quarantines</th><th>Breaker trips</th><th>Incidents</th></tr></thead>',
      '<tbody>',
    );
    for (const s of data.services) {
      out.push(
        `<tr><td class="svc">${esc(s.service)}</td>` +
          `<td class="uptime">${uptimeBar(s.uptime_pct)}<span class="pct">${esc(formatPercent(s.uptime_pct))}</span></td>` +
          `<td>${s.restarts}</td><td>${esc(ms(s.mttr_ms))}</td>` +
          `<td>${esc(s.longest_outage_ms > 0 ? humanDuration(s.longest_outage_ms) : '–')}</td>` +
          `<td>${s.quarantines}</td><td>${s.breaker_trips}</td><td>${s.incidents}</td></tr>`,
      );
    }
    out.push('</tbody>', '</table>');
  }
  out.push('</section>');

  if (data.services.length > 0) {
    out.push(
      '<section>',
      '<h2>Health</h2>',
      '<p class="legend">' +
        `<span><i style="background:${COLORS.failed}"></i>outage / all probes failed</span>` +
        `<span><i style="background:${COLORS.manual}"></i>manual restart / some probes failed</span>` +
        `<span><i style="background:${COLORS.ok}"></i>probes ok</span>` +
        `<span><i style="background:${COLORS.empty}"></i>no data</span>` +
        `<span><i style="background:${COLORS.line}"></i>average latency</span>` +
        '<span>┆ restart</span></p>',
    );
    for (const s of data.services) {
      const own = data.incidents.filter((i) => i.service === s.service);
      const facts = [
        `uptime ${formatPercent(s.uptime_pct)}`,
        `${s.restarts} restart${s.restarts === 1 ? '' : 's'}`,
        `${s.probes} probe${s.probes === 1 ? '' : 's'}, ${s.probe_failures} failed`,
      ].join(' · ');
      out.push(
        '<figure>',
        `<figcaption><span class="svc">${esc(s.service)}</span><span class="facts">${esc(facts)}</span></figcaption>`,
        serviceChart(s, own, data.range, fmt, data.range.spans_days),
        '</figure>',
      );
    }
    out.push('</section>');
  }

  out.push('<section>', '<h2>Timeline</h2>');
  if (data.incidents.length === 0) {
    out.push(
      '<p class="empty">Nothing happened in this range: no failures, restarts or manual actions.</p>',
    );
  } else {
    out.push(`<ol class="timeline${data.range.spans_days ? ' days' : ''}">`);
    for (const i of data.incidents) {
      const classes = [
        i.kind,
        ...(i.failure ? ['failure'] : []),
        ...(i.outcome === 'ongoing' ? ['ongoing'] : []),
      ];
      const tags =
        `<span class="tag${i.failure ? ' bad' : ''}">${esc(KIND_LABEL[i.kind])}</span>` +
        (i.outcome === 'ongoing' ? '<span class="tag bad">ongoing</span>' : '');
      out.push(
        `<li class="${esc(classes.join(' '))}"><time datetime="${esc(new Date(i.ts).toISOString())}">` +
          `${esc(entryTime(i, data, fmt))}</time><div>${sentenceHtml(i)}${tags}</div></li>`,
      );
    }
    out.push('</ol>');
  }
  out.push('</section>');

  out.push(
    `<footer>Generated by Vigil on ${esc(fmt.dateTime(data.generated_at))} (${esc(data.range.time_zone)}).</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  );
  return out.join('\n');
}
