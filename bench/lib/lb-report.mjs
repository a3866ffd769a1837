// The load-balancing section's results: medians over rounds, ratios, goals, and the Markdown
// table for bench/results/ and docs/PERFORMANCE.md. Pure: figures in, text out.

export const LB_SYSTEMS = [
  'direct',
  'vigil-up',
  'vigil',
  'vigil-worker',
  'vigil-tcp',
  'nginx',
  'haproxy',
  'pm2',
];
export const LB_LABELS = {
  direct: 'one instance, direct',
  'vigil-up': 'Vigil, `vigil up` with `replicas: 3` and `port:` (the product path)',
  vigil: "Vigil (on the supervisor's event loop)",
  'vigil-worker': 'Vigil (worker thread)',
  'vigil-tcp': 'Vigil, tcp mode (connections, not requests)',
  nginx: 'nginx (1 worker)',
  haproxy: 'HAProxy (1 thread)',
  pm2: 'PM2 cluster mode',
};

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
export const fmt = (x, d = 2) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d);

const pct = (sorted, p) =>
  sorted.length === 0
    ? null
    : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/**
 * Punctuality of a supervisor's own probes, from their results: `rows` are {name, ts, latencyMs}
 * ordered by instance then time, `ts` when the probe ended (epoch ms). A probe's next one is due
 * `intervalMs` after it ended, so the next one's lateness is the gap between the two ends minus
 * the interval and minus the next probe's own round trip (never below 0; `ts` has 1 ms steps).
 */
export function probeLateness(rows, intervalMs) {
  const late = [];
  const trips = [];
  let prev = null;
  for (const r of rows) {
    trips.push(r.latencyMs);
    if (prev && prev.name === r.name)
      late.push(Math.max(0, r.ts - prev.ts - intervalMs - r.latencyMs));
    prev = r;
  }
  late.sort((a, b) => a - b);
  trips.sort((a, b) => a - b);
  return {
    ticks: late.length,
    latenessP50: pct(late, 50),
    latenessP99: pct(late, 99),
    latenessMax: late.length ? late[late.length - 1] : null,
    probeP50: pct(trips, 50),
    probeP99: pct(trips, 99),
  };
}

/** Medians over rounds, ratios and goals (pure). */
export function summarizeLb({
  raw,
  punctuality,
  skipped,
  rounds,
  seconds,
  connections,
  versions,
  quick,
}) {
  const rows = {};
  for (const [name, runs] of Object.entries(raw)) {
    if (runs.length === 0) continue;
    rows[name] = {
      rps: median(runs.map((r) => r.thr.rps)),
      p50: median(runs.map((r) => r.thr.p50)),
      cpuUs: median(runs.map((r) => r.thr.cpuUsPerRequest)),
      p99: median(runs.map((r) => r.thr.p99)),
      errors: runs.reduce((a, r) => a + (r.thr.errors ?? 0) + (r.lat.errors ?? 0), 0),
      oneP50: median(runs.map((r) => r.lat.p50)),
      oneP99: median(runs.map((r) => r.lat.p99)),
    };
  }
  const direct = rows.direct;
  for (const r of Object.values(rows)) {
    r.vsNginx = rows.nginx && r.rps !== null ? r.rps / rows.nginx.rps : null;
    r.addedP50 = direct && r.oneP50 !== null ? r.oneP50 - direct.oneP50 : null;
    r.addedP99 = direct && r.oneP99 !== null ? r.oneP99 - direct.oneP99 : null;
  }
  const punct = {};
  for (const k of ['vigil', 'vigil-worker', 'vigil-tcp', 'vigil-up']) {
    const xs = (punctuality[k] ?? []).filter(Boolean);
    if (xs.length === 0) continue;
    punct[k] = {
      latenessP50: median(xs.map((x) => x.latenessP50)),
      latenessP99: median(xs.map((x) => x.latenessP99)),
      latenessMax: Math.max(...xs.map((x) => x.latenessMax ?? 0)),
      probeP50: median(xs.map((x) => x.probeP50)),
      probeP99: median(xs.map((x) => x.probeP99)),
      cpuPercent: median(xs.map((x) => x.cpuPercent)),
    };
  }
  const goals = [];
  if (rows.vigil && rows.nginx)
    goals.push({
      goal: 'throughput at least 0.7x nginx',
      value: rows.vigil.vsNginx,
      met: rows.vigil.vsNginx >= 0.7,
    });
  if (rows.vigil && direct)
    goals.push({
      goal: 'added p50 under 0.3 ms (one request at a time)',
      value: rows.vigil.addedP50,
      met: rows.vigil.addedP50 < 0.3,
    });
  if (punct.vigil)
    goals.push({
      goal: "probes on time while the balancer carries the load on the supervisor's event loop: lateness p99 under 100 ms",
      value: punct.vigil.latenessP99,
      met: punct.vigil.latenessP99 < 100,
    });
  if (rows['vigil-up'] && rows.nginx)
    goals.push({
      goal: 'through `vigil up` (the product path): throughput at least 0.7x nginx',
      value: rows['vigil-up'].vsNginx,
      met: rows['vigil-up'].vsNginx >= 0.7,
    });
  if (rows['vigil-up'] && direct)
    goals.push({
      goal: 'through `vigil up`: added p50 under 0.3 ms (one request at a time)',
      value: rows['vigil-up'].addedP50,
      met: rows['vigil-up'].addedP50 < 0.3,
    });
  if (punct['vigil-up'])
    goals.push({
      goal: "`vigil up`'s own probes of its instances on time while its balancer carries the load: lateness p99 under 100 ms",
      value: punct['vigil-up'].latenessP99,
      met: punct['vigil-up'].latenessP99 < 100,
    });
  return {
    rows,
    punct,
    idle: punctuality.idle,
    skipped,
    rounds,
    seconds,
    connections,
    versions,
    quick,
    goals,
  };
}

export function lbMarkdown(res, machine) {
  const lines = [];
  lines.push(
    `Run of ${new Date().toISOString().slice(0, 10)} (${res.quick ? 'quick' : 'full'}: ${res.rounds} round${res.rounds > 1 ? 's' : ''} of ${res.seconds} s per system, systems alternated, medians over rounds). Machine: ${machine}.` +
      (res.loadAverage
        ? ` One-minute load average ${res.loadAverage.start.toFixed(1)} at the start, ${res.loadAverage.end.toFixed(1)} at the end${Math.max(res.loadAverage.start, res.loadAverage.end) > 2 ? ' (other work was running: the throughput figures move with it; the CPU per request much less)' : ''}.`
        : ''),
    '',
    `| way | req/s at ${res.connections} connections | vs nginx | balancer CPU per request (µs) | p50 / p99 at ${res.connections} (ms) | one at a time p50 / p99 (ms) | added p50 / p99 (ms) | errors |`,
    '|---|---|---|---|---|---|---|---|',
  );
  for (const name of LB_SYSTEMS) {
    const r = res.rows[name];
    if (!r) continue;
    lines.push(
      `| ${LB_LABELS[name]} | ${Math.round(r.rps)} | ${fmt(r.vsNginx)}x | ${fmt(r.cpuUs, 0)} | ${fmt(r.p50)} / ${fmt(r.p99)} | ${fmt(r.oneP50, 3)} / ${fmt(r.oneP99, 3)} | ${name === 'direct' ? '-' : `${fmt(r.addedP50, 3)} / ${fmt(r.addedP99, 3)}`} | ${r.errors} |`,
    );
  }
  for (const f of res.failures ?? []) lines.push('', `Failed: ${f}.`);
  for (const [k, why] of Object.entries(res.skipped))
    lines.push('', `${LB_LABELS[k]} was skipped: ${why}.`);
  lines.push(
    '',
    'Probe punctuality of the supervisor process (a probe due every 100 ms on its main thread; lateness = how long after its due time the timer fired; for `vigil up`, its own probes of its instances, each due 100 ms after the previous one ended, read from its history), with the CPU of that process over the window:',
    '',
    '| balancer | lateness p50 / p99 / max (ms) | probe round trip p50 / p99 (ms) | CPU, % of one core |',
    '|---|---|---|---|',
  );
  const row = (label, p) =>
    p
      ? `| ${label} | ${fmt(p.latenessP50)} / ${fmt(p.latenessP99)} / ${fmt(p.latenessMax)} | ${fmt(p.probeP50)} / ${fmt(p.probeP99)} | ${fmt(p.cpuPercent, 0)} |`
      : `| ${label} | - | - | - |`;
  lines.push(row('no traffic (floor)', res.idle));
  lines.push(row("under load, on the supervisor's event loop", res.punct.vigil));
  lines.push(row('under load, on a worker thread', res.punct['vigil-worker']));
  lines.push(row('under load, tcp mode on the event loop', res.punct['vigil-tcp']));
  lines.push(
    row(
      'under load, `vigil up`: its own probes of its 3 instances every 100 ms, from its history',
      res.punct['vigil-up'],
    ),
  );
  lines.push('', 'Goals (issue of the balancer):', '');
  for (const g of res.goals)
    lines.push(`- ${g.met ? 'met' : '**not met**'}: ${g.goal} (${fmt(g.value, 3)})`);
  lines.push(
    '',
    `Versions: nginx ${res.versions.nginx ?? '-'}, HAProxy ${res.versions.haproxy ?? '-'}, PM2 ${res.versions.pm2 ?? '-'}, Node ${process.versions.node}.`,
  );
  return lines.join('\n');
}
