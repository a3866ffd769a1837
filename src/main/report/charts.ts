/**
 * Inline SVG charts for the HTML report: no scripts, no external resources, every text escaped.
 * Pure: data in, markup out.
 */
import { humanDuration, TimeFormatter } from './format.js';
import type { ReportIncident, ReportServiceRow } from './types.js';

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export const COLORS = {
  ok: '#2da44e',
  mixed: '#d4a72c',
  failed: '#cf222e',
  timedOut: '#82071e',
  empty: '#eaeef2',
  manual: '#d4a72c',
  line: '#0969da',
  marker: '#57606a',
  text: '#57606a',
  grid: '#d0d7de',
} as const;

/** Two decimals at most: short, stable markup. */
function n(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A small horizontal bar: green for up time, red for down time, grey when unknown. */
export function uptimeBar(pct: number | null, width = 80, height = 8): string {
  const label = pct === null ? 'uptime unknown' : `uptime ${Math.round(pct * 100) / 100} %`;
  const inner =
    pct === null
      ? `<rect width="${width}" height="${height}" rx="2" fill="${COLORS.empty}"/>`
      : `<rect width="${width}" height="${height}" rx="2" fill="${COLORS.failed}"/>` +
        `<rect width="${n((Math.max(0, Math.min(100, pct)) / 100) * width)}" height="${height}" rx="2" fill="${COLORS.ok}"/>`;
  return (
    `<svg class="bar" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `role="img" aria-label="${escapeHtml(label)}">${inner}</svg>`
  );
}

const W = 720;
const X0 = 64;
const X1 = W - 8;
const PW = X1 - X0;
const OUT_Y = 2;
const OUT_H = 12;
const PROBE_Y = 20;
const PROBE_H = 12;
const LAT_Y = 40;
const LAT_H = 56;
const AXIS_Y = LAT_Y + LAT_H + 14;
const H = AXIS_Y + 4;

/**
 * One service's chart over the report's range: outages (red; amber for manual restarts and
 * other directed entries), the probe outcome of each bucket (green all ok, amber some failed,
 * red all failed, dark red all timed out, grey no probes), the average probe latency, and a
 * marker at every restart.
 */
export function serviceChart(
  row: ReportServiceRow,
  incidents: readonly ReportIncident[],
  range: { readonly since: number; readonly until: number },
  fmt: TimeFormatter,
  spansDays: boolean,
): string {
  const span = Math.max(1, range.until - range.since);
  const x = (ts: number): number =>
    X0 + ((Math.max(range.since, Math.min(range.until, ts)) - range.since) / span) * PW;
  const parts: string[] = [];
  const label = (y: number, text: string): string =>
    `<text x="0" y="${y}" font-size="10" fill="${COLORS.text}">${escapeHtml(text)}</text>`;

  // Outages and directed entries.
  parts.push(label(OUT_Y + 10, 'outages'));
  parts.push(
    `<rect x="${X0}" y="${OUT_Y}" width="${PW}" height="${OUT_H}" fill="${COLORS.empty}"/>`,
  );
  for (const i of incidents) {
    if (i.duration_ms === null) continue;
    const a = x(i.ts);
    const b = x(i.end ?? range.until);
    const fill = i.failure ? COLORS.failed : COLORS.manual;
    const title = `${i.kind}, ${humanDuration(i.duration_ms)}${i.outcome === 'ongoing' ? ', ongoing' : ''}`;
    parts.push(
      `<rect x="${n(a)}" y="${OUT_Y}" width="${n(Math.max(1.5, b - a))}" height="${OUT_H}" fill="${fill}">` +
        `<title>${escapeHtml(title)}</title></rect>`,
    );
  }

  // Probe outcomes per bucket.
  parts.push(label(PROBE_Y + 10, 'probes'));
  const pts = row.health.points;
  const bw = pts.length > 0 ? PW / pts.length : PW;
  const fills = pts.map((p) =>
    p.count === 0
      ? COLORS.empty
      : p.failed === 0
        ? COLORS.ok
        : p.ok > 0
          ? COLORS.mixed
          : p.timed_out === p.count
            ? COLORS.timedOut
            : COLORS.failed,
  );
  // Neighbouring buckets of one colour drawn as one rectangle: no seams, less markup.
  for (let k = 0; k < fills.length;) {
    let j = k;
    while (j + 1 < fills.length && fills[j + 1] === fills[k]) j++;
    parts.push(
      `<rect x="${n(X0 + k * bw)}" y="${PROBE_Y}" width="${n((j - k + 1) * bw)}" height="${PROBE_H}" fill="${fills[k]}"/>`,
    );
    k = j + 1;
  }

  // Latency sparkline.
  parts.push(label(LAT_Y + 10, 'latency'));
  parts.push(
    `<line x1="${X0}" y1="${LAT_Y + LAT_H}" x2="${X1}" y2="${LAT_Y + LAT_H}" stroke="${COLORS.grid}" stroke-width="1"/>`,
  );
  const lats = pts.map((p) => p.latency_avg_ms).filter((v): v is number => v !== null);
  const max = lats.length > 0 ? Math.max(...lats) : 0;
  if (lats.length === 0) {
    parts.push(
      `<text x="${X0 + 6}" y="${LAT_Y + LAT_H / 2 + 4}" font-size="11" fill="${COLORS.text}">no probe results in this range</text>`,
    );
  } else {
    const top = max > 0 ? max : 1;
    const y = (v: number): number => LAT_Y + LAT_H - (v / top) * (LAT_H - 6);
    let seg: string[] = [];
    const flush = (): void => {
      if (seg.length === 1) {
        const [px, py] = seg[0]!.split(',');
        parts.push(`<circle cx="${px}" cy="${py}" r="1.5" fill="${COLORS.line}"/>`);
      } else if (seg.length > 1) {
        parts.push(
          `<polyline points="${seg.join(' ')}" fill="none" stroke="${COLORS.line}" stroke-width="1.5" stroke-linejoin="round"/>`,
        );
      }
      seg = [];
    };
    pts.forEach((p, k) => {
      if (p.latency_avg_ms === null) flush();
      else seg.push(`${n(X0 + (k + 0.5) * bw)},${n(y(p.latency_avg_ms))}`);
    });
    flush();
    parts.push(
      `<text x="0" y="${LAT_Y + 24}" font-size="9" fill="${COLORS.text}">` +
        `max ${escapeHtml(humanDuration(max))}</text>`,
    );
  }

  // Restart markers.
  for (const ts of row.restart_times) {
    const mx = n(x(ts));
    parts.push(
      `<line x1="${mx}" y1="${PROBE_Y - 2}" x2="${mx}" y2="${LAT_Y + LAT_H}" stroke="${COLORS.marker}" ` +
        `stroke-width="1" stroke-dasharray="2 2"><title>restart at ${escapeHtml(fmt.dateTime(ts))}</title></line>`,
    );
  }

  // Time axis.
  const t = (ts: number): string => (spansDays ? fmt.dateTime(ts) : fmt.time(ts));
  parts.push(
    `<text x="${X0}" y="${AXIS_Y}" font-size="10" fill="${COLORS.text}">${escapeHtml(t(range.since))}</text>`,
    `<text x="${n(X0 + PW / 2)}" y="${AXIS_Y}" font-size="10" text-anchor="middle" fill="${COLORS.text}">` +
      `${escapeHtml(t(range.since + span / 2))}</text>`,
    `<text x="${X1}" y="${AXIS_Y}" font-size="10" text-anchor="end" fill="${COLORS.text}">${escapeHtml(t(range.until))}</text>`,
  );

  const aria = `${row.service}: ${incidents.filter((i) => i.failure).length} outages, ${row.restarts} restarts, ${row.probes} probes`;
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(aria)}">` +
    parts.join('') +
    `</svg>`
  );
}
