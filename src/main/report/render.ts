/** One entry point for every report format, with its content type and file name. Pure. */
import { VigilError } from '../../shared/errors.js';
import { TimeFormatter } from './format.js';
import { renderCsv } from './render-csv.js';
import { renderHtml } from './render-html.js';
import { renderMarkdown } from './render-md.js';
import type { RenderedReport, ReportData, ReportFormat } from './types.js';

export const REPORT_FORMATS: readonly ReportFormat[] = ['md', 'html', 'json', 'csv'];

export const REPORT_CONTENT_TYPES: Readonly<Record<ReportFormat, string>> = {
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** The stack name as a file name part: lower case letters, digits, `-` and `_`. */
function fileSafe(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return s === '' ? 'stack' : s;
}

/** `vigil-report-<stack>-<YYYYMMDD-HHmm>.<ext>`, the time being when the report was made. */
export function reportFilename(data: ReportData, format: ReportFormat): string {
  const stamp = new TimeFormatter(data.range.time_zone).stamp(data.generated_at);
  return `vigil-report-${fileSafe(data.stack.name)}-${stamp}.${format}`;
}

export function renderReport(data: ReportData, format: ReportFormat): RenderedReport {
  let body: string;
  switch (format) {
    case 'md':
      body = renderMarkdown(data);
      break;
    case 'html':
      body = renderHtml(data);
      break;
    case 'json':
      body = `${JSON.stringify(data, null, 2)}\n`;
      break;
    case 'csv':
      body = renderCsv(data);
      break;
    default:
      throw new VigilError(
        'BAD_REQUEST',
        `unknown report format ${JSON.stringify(format)}: use ${REPORT_FORMATS.join(', ')}`,
        { field: 'format' },
      );
  }
  return {
    body,
    contentType: REPORT_CONTENT_TYPES[format],
    filename: reportFilename(data, format),
  };
}
