/** Healing reports: build the data from history, render it as Markdown, HTML, JSON or CSV. */
export { buildReport, reportRange, DEFAULT_CHART_POINTS } from './build.js';
export { parseTimeBound, humanDuration, formatPercent, TimeFormatter } from './format.js';
export { renderReport, reportFilename, REPORT_FORMATS, REPORT_CONTENT_TYPES } from './render.js';
export { REPORT_CSP } from './render-html.js';
export { CSV_SERVICE_HEADER, CSV_INCIDENT_HEADER } from './render-csv.js';
export { reportSourceFromHistory, REPORT_EVENT_LIMIT } from './source.js';
export type { HistoryReader, StackInfo } from './source.js';
export type {
  BuildOptions,
  IncidentKind,
  IncidentOutcome,
  RenderedReport,
  ReportChartPoint,
  ReportData,
  ReportFormat,
  ReportIncident,
  ReportRange,
  ReportServiceRow,
  ReportSource,
  ReportTotals,
} from './types.js';
