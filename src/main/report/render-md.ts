/** The report as Markdown (CommonMark with GitHub tables). Pure. */
import { formatPercent, humanDuration, TimeFormatter } from './format.js';
import type { ReportData, ReportIncident } from './types.js';

/**
 * Recorded text as literal Markdown: one line, and the characters that would start markup or raw
 * HTML escaped with a backslash (a reason carrying `<script>` shows as text).
 */
export function mdText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*[\]<>|&]/g, (c) => `\\${c}`);
}

function ms(v: number | null): string {
  return v === null ? 'n/a' : humanDuration(v);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "2026-01-01 10:00:00 – 11:00:00 (1 h)" */
export function rangeText(data: ReportData, fmt: TimeFormatter): string {
  const { since, until, duration_ms } = data.range;
  const end = data.range.spans_days ? fmt.dateTime(until) : fmt.time(until);
  return `${fmt.dateTime(since)} – ${end} (${humanDuration(duration_ms)})`;
}

/** "4 incidents (1 ongoing) · 9 restarts · 1 quarantine · 2 breaker trips" */
export function summaryParts(data: ReportData): string[] {
  const t = data.totals;
  return [
    `${plural(t.incidents, 'incident')}${t.ongoing > 0 ? ` (${t.ongoing} ongoing)` : ''}`,
    `${plural(t.restarts, 'restart')}${t.manual_restarts > 0 ? ` (${t.manual_restarts} manual)` : ''}`,
    plural(t.quarantines, 'quarantine'),
    plural(t.breaker_trips, 'breaker trip'),
    ...(t.system_incidents > 0 ? [`${plural(t.system_incidents, 'stack event')}`] : []),
  ];
}

/** When an entry happened, as its row in a timeline shows it. */
export function entryTime(i: ReportIncident, data: ReportData, fmt: TimeFormatter): string {
  return data.range.spans_days ? fmt.dateTime(i.ts) : fmt.time(i.ts);
}

export function renderMarkdown(data: ReportData): string {
  const fmt = new TimeFormatter(data.range.time_zone);
  const lines: string[] = [];
  lines.push(`# Healing report: ${mdText(data.stack.name)}`, '');
  lines.push(
    `${rangeText(data, fmt)}, times in ${mdText(data.range.time_zone)}. ` +
      `Stack file: ${mdText(data.stack.file)}. Generated ${fmt.dateTime(data.generated_at)}.`,
    '',
  );
  lines.push(
    `**Overall uptime ${formatPercent(data.totals.uptime_pct)}** · ${summaryParts(data).join(' · ')}`,
    '',
  );

  lines.push('## Services', '');
  if (data.services.length === 0) {
    lines.push('No services.', '');
  } else {
    lines.push(
      '| Service | Uptime | Restarts | MTTR | Longest outage | Quarantines | Breaker trips | Incidents |',
      '|:--|--:|--:|--:|--:|--:|--:|--:|',
    );
    for (const s of data.services) {
      lines.push(
        `| ${mdText(s.service)} | ${formatPercent(s.uptime_pct)} | ${s.restarts} | ${ms(s.mttr_ms)} | ` +
          `${s.longest_outage_ms > 0 ? humanDuration(s.longest_outage_ms) : '–'} | ${s.quarantines} | ` +
          `${s.breaker_trips} | ${s.incidents} |`,
      );
    }
    lines.push('');
  }

  lines.push('## Timeline', '');
  if (data.incidents.length === 0) {
    lines.push('Nothing happened in this range: no failures, restarts or manual actions.', '');
  } else {
    for (const i of data.incidents) {
      const mark = i.failure && i.outcome === 'ongoing' ? ' (ongoing)' : '';
      lines.push(`- **${entryTime(i, data, fmt)}**${mark} ${mdText(i.sentence)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
