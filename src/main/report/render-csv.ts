/**
 * The report as CSV (RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted,
 * quotes doubled). One row per service, a blank line, then one row per timeline entry. Text
 * cells that a spreadsheet would take for a formula (starting with = + - @, tab or carriage
 * return) get a leading `'`. Pure.
 */
import type { ReportData } from './types.js';

export const CSV_SERVICE_HEADER = [
  'service',
  'uptime_pct',
  'restarts',
  'mttr_ms',
  'longest_outage_ms',
  'quarantines',
  'breaker_trips',
  'incidents',
] as const;

export const CSV_INCIDENT_HEADER = ['ts', 'service', 'kind', 'sentence'] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One text cell: guarded against formula injection, quoted when needed. */
export function csvText(value: string): string {
  const guarded = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/** One number cell; empty for null. */
export function csvNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '';
  return String(Math.round(value * 1000) / 1000);
}

function row(cells: readonly string[]): string {
  return `${cells.join(',')}\r\n`;
}

export function renderCsv(data: ReportData): string {
  let out = row([...CSV_SERVICE_HEADER]);
  for (const s of data.services) {
    out += row([
      csvText(s.service),
      csvNumber(s.uptime_pct),
      csvNumber(s.restarts),
      csvNumber(s.mttr_ms),
      csvNumber(s.longest_outage_ms),
      csvNumber(s.quarantines),
      csvNumber(s.breaker_trips),
      csvNumber(s.incidents),
    ]);
  }
  out += '\r\n';
  out += row([...CSV_INCIDENT_HEADER]);
  for (const i of data.incidents) {
    out += row([
      new Date(i.ts).toISOString(),
      csvText(i.service ?? ''),
      csvText(i.kind),
      csvText(i.sentence),
    ]);
  }
  return out;
}
