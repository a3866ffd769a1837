// The results as a table for the terminal and as Markdown (bench/results/ and docs/PERFORMANCE.md).
// Pure: summary in, text out.
import { PEERS } from './summary.mjs';

export const COLUMNS = ['floor', 'vigil', 'vigil-proc', 'pm2', 'supervisord'];
export const LABELS = {
  floor: 'floor',
  vigil: 'Vigil',
  'vigil-proc': 'Vigil (process checks)',
  pm2: 'PM2',
  supervisord: 'supervisord',
};

const secs = (ms) => (ms / 1000).toFixed(2);
const fixed = (d) => (x) => x.toFixed(d);

/** Rows of the main table: which figure, its unit, how to print it, which ratio belongs to it. */
export const ROWS = [
  {
    key: 'coldStartMs',
    label: 'cold start: command -> all answer /health',
    unit: 's',
    f: secs,
    ratio: 'coldStart',
    floor: 'coldStartVsFloor',
  },
  { key: 'selfReadyMs', label: "  Vigil's own 'system ready' (all healthy)", unit: 's', f: secs },
  {
    key: 'recoveryMs',
    label: 'crash: SIGKILL -> answering again',
    unit: 'ms',
    f: fixed(0),
    ratio: 'recovery',
    floor: 'recoveryVsFloor',
  },
  {
    key: 'respawnMs',
    label: 'crash: SIGKILL -> new process started',
    unit: 'ms',
    f: fixed(1),
    ratio: 'respawn',
  },
  {
    key: 'steadyCpuPercent',
    label: 'steady: CPU, % of one core',
    unit: '%',
    f: fixed(2),
    ratio: 'steadyCpu',
  },
  {
    key: 'steadyRssMB',
    label: 'steady: supervisor RSS (max)',
    unit: 'MB',
    f: fixed(1),
    ratio: 'steadyRss',
  },
  {
    key: 'warmupCpuPercent',
    label: '  warming up (from the kills to the window): CPU',
    unit: '%',
    f: fixed(2),
  },
  {
    key: 'warmupRssMB',
    label: '  warming up: supervisor RSS (max)',
    unit: 'MB',
    f: fixed(1),
  },
  {
    key: 'stopMs',
    label: 'stop: command -> every service gone',
    unit: 's',
    f: secs,
    ratio: 'stop',
  },
  { key: 'leftBehind', label: 'stop: processes left behind (max)', unit: '', f: String },
];

/** "median (min-max)" or "-" when there is nothing; a count is printed as is. */
export function cell(fig, row) {
  if (fig === undefined || fig === null) return '-';
  if (typeof fig === 'number') return row.f(fig);
  if (fig.n === 0 || fig.median === null) return '-';
  if (fig.n === 1 || fig.min === fig.max) return row.f(fig.median);
  return `${row.f(fig.median)} (${row.f(fig.min)}-${row.f(fig.max)})`;
}

const times = (x) => (x === null || x === undefined ? '-' : `${x.toFixed(2)}x`);

/** Header and rows (arrays of strings) of the main table. */
export function mainTable(summary, sizes, systems) {
  const cols = COLUMNS.filter((c) => systems.includes(c));
  const peers = PEERS.filter((p) => systems.includes(p));
  const header = [
    'figure',
    'N',
    ...cols.map((c) => LABELS[c]),
    'Vigil / floor',
    ...peers.map((p) => `Vigil / ${LABELS[p]}`),
  ];
  const rows = [];
  for (const row of ROWS) {
    for (const n of sizes) {
      const at = summary.bySize[n] ?? {};
      const values = cols.map((c) => cell(at[c]?.[row.key], row));
      if (values.every((v) => v === '-')) continue;
      const r = summary.ratios[n] ?? {};
      rows.push([
        `${row.label}${row.unit ? ` (${row.unit})` : ''}`,
        String(n),
        ...values,
        row.floor ? times(r[row.floor]) : '',
        ...peers.map((p) => (row.ratio ? times(r[p]?.[row.ratio]) : '')),
      ]);
    }
  }
  return { header, rows };
}

export function textTable({ header, rows }) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function markdownTable({ header, rows }) {
  const esc = (c) => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** The Vigil-only figures as [label, value] pairs. */
export function vigilOnlyRows(v) {
  if (!v) return [];
  const out = [];
  const num = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const big = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
  if (v.store) {
    if (v.store.error)
      out.push(['SQLite: health rows inserted per second (batched)', `failed: ${v.store.error}`]);
    else
      out.push([
        'SQLite: health rows inserted per second (batched)',
        `${big(v.store.rowsPerSecond)} rows/s (${big(v.store.rows)} rows through HistoryStore, ${v.store.verified ? 'all found in the database' : 'NOT all found in the database'})`,
      ]);
  }
  if (v.fanout) {
    if (v.fanout.error) out.push(['WebSocket fan-out', `failed: ${v.fanout.error}`]);
    else {
      const f = v.fanout;
      out.push([
        `WebSocket fan-out to ${f.clients} clients`,
        `${big(f.eventsPerClient)} events to each client (${f.allClientsComplete ? 'every client got every event' : 'SOME CLIENTS MISSED EVENTS'}), ${big(f.deliveredPerSecond)} deliveries/s`,
      ]);
      out.push([
        '  event -> client latency (batched every 100 ms by design)',
        `median ${num(f.latencyMs.median)} ms, p95 ${num(f.latencyMs.p95)} ms, max ${num(f.latencyMs.max)} ms`,
      ]);
    }
  }
  if (v.flood) {
    if (v.flood.error) out.push(['log flood', `failed: ${v.flood.error}`]);
    else {
      const f = v.flood;
      out.push([
        `log flood: one service writing ${num(f.targetMBps)} MB/s for ${num(f.seconds)} s`,
        `Vigil read ${num(f.readMBps, 1)} MB/s; RSS ${num(f.rssBeforeMB, 1)} MB before, ${num(f.rssMaxMB, 1)} MB max during (+${num(f.rssGrowthMB, 1)} MB)`,
      ]);
      out.push([
        '  other services answering /health during the flood',
        `median ${num(f.otherProbeMs.median, 1)} ms, max ${num(f.otherProbeMs.max, 1)} ms (${f.otherProbeMs.n} requests by the suite)`,
      ]);
      const g = f.vigilProbeGapMs;
      out.push([
        `  Vigil's probes of the other services (every ${num(f.probeIntervalMs)} ms)`,
        `time between probes median ${num(g.median)} ms, p95 ${num(g.p95)} ms, max ${num(g.max)} ms (from its history)`,
      ]);
    }
  }
  return out;
}
