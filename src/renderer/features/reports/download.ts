/**
 * Saving a report from the page: in a browser, a Blob behind a temporary link; in the desktop app,
 * the desktop bridge's save dialog, which also offers PDF.
 */
import type { ReportFormat, ReportResponse } from '../../../shared/views.js';

/** What the Export dialog offers: the API's formats, plus PDF in the desktop app. */
export type ExportChoice = ReportFormat | 'pdf';

export const REPORT_FORMATS: readonly { readonly value: ReportFormat; readonly label: string }[] = [
  { value: 'md', label: 'Markdown' },
  { value: 'html', label: 'HTML' },
  { value: 'json', label: 'JSON' },
  { value: 'csv', label: 'CSV' },
];

/** The formats to offer: PDF only where the desktop app can print one. */
export function exportFormats(
  desktop: boolean,
): readonly { readonly value: ExportChoice; readonly label: string }[] {
  return desktop ? [...REPORT_FORMATS, { value: 'pdf', label: 'PDF' }] : REPORT_FORMATS;
}

export const REPORT_RANGES: readonly { readonly value: string; readonly label: string }[] = [
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: 'start', label: 'Since the stack started' },
];

/** The `since` to ask for: a duration back from now, or nothing (the stack's start). */
export function reportSince(range: string): string | undefined {
  return range === 'start' ? undefined : range;
}

/** A file name without path separators or odd characters, with the format's extension. */
export function safeFilename(name: string, format: ReportFormat): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  const stem = clean === '' ? 'vigil-report' : clean;
  return stem.toLowerCase().endsWith(`.${format}`) ? stem : `${stem}.${format}`;
}

export function downloadReport(report: ReportResponse, doc: Document = document): string {
  const filename = safeFilename(report.filename, report.format);
  const blob = new Blob([report.body], { type: report.content_type || 'text/plain' });
  const url = URL.createObjectURL(blob);
  const a = doc.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  doc.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return filename;
}
