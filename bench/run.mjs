// `npm run bench`: Vigil against PM2 and supervisord on the same workload (N small real HTTP
// services), with a floor (the services started directly), plus figures only Vigil has.
// Every figure is measured from outside; see docs/PERFORMANCE.md for the method and latest table.
//
//   node bench/run.mjs            full suite (N = 10, 100, 250; about 20 minutes on 2 cores)
//   node bench/run.mjs --quick    N = 10, fewer repetitions (a couple of minutes)
//   node bench/run.mjs --lb       only the load-balancing section (with --quick: one short round)
//   node bench/run.mjs --help     every option
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installExitHooks, killEverything, setTagPrefix } from './lib/guard.mjs';
import { machineInfo, machineLine, redact } from './lib/machine.mjs';
import { findFreeBlock } from './lib/ports.mjs';
import { HAS_PROC } from './lib/procfs.mjs';
import { mainTable, markdownTable, textTable, vigilOnlyRows, LABELS } from './lib/report.mjs';
import { readinessPollMs, runOnce } from './lib/scenario.mjs';
import { rotate } from './lib/stats.mjs';
import { goals, summarizeRuns } from './lib/summary.mjs';
import { BENCH_DIR, REPO_ROOT, makeServices } from './lib/workload.mjs';
import { runVigilOnly } from './lib/vigil-only.mjs';
import { lbMarkdown, runLb } from './lib/lb.mjs';
import { floor } from './systems/floor.mjs';
import { pm2 } from './systems/pm2.mjs';
import { supervisord } from './systems/supervisord.mjs';
import { vigil, vigilProc } from './systems/vigil.mjs';

const USAGE = `usage: node bench/run.mjs [--quick] [--sizes 10,100,250] [--reps N] [--kills N]
                          [--systems floor,vigil,pm2,supervisord] [--steady-seconds S]
                          [--warmup-seconds S] [--no-steady] [--no-vigil-only] [--only-vigil-only] [--no-docs]
                          [--keep-dirs] [--lb] [--no-lb]

  --quick            N = 10 only, 2 runs each, a 10 s steady state, small Vigil-only figures;
                     never rewrites docs/PERFORMANCE.md
  --sizes LIST       service counts to run (default 10,100,250)
  --reps N           runs per system and size (default 3, 2 for N >= 250)
  --kills N          SIGKILLs per run for the crash-recovery figure (default 3)
  --systems LIST     which systems to run (default all that are installed)
  --steady-seconds S length of the steady-state window (default 60, at N = 100, first run only)
  --warmup-seconds S the window starts S seconds after the system was started (default 180):
                     the CPU of a JavaScript supervisor's first minutes is its compiler warming up,
                     reported on its own row
  --no-steady        skip the steady-state window
  --no-vigil-only    skip the SQLite, WebSocket fan-out and log-flood figures
  --only-vigil-only  run only those
  --no-docs          do not rewrite the table in docs/PERFORMANCE.md after a full run
  --keep-dirs        keep each run's temp dir (configs, logs) for inspection
  --lb               run only the load-balancing section: Vigil's balancer with 3 instances
                     against nginx, HAProxy, PM2 cluster mode and one instance direct; writes its
                     own block of docs/PERFORMANCE.md (unless --no-docs), quick runs included
  --no-lb            leave the load-balancing section out of a full run`;

const ALL_SYSTEMS = [floor, vigil, vigilProc, pm2, supervisord];
const DOCS_FILE = path.join(REPO_ROOT, 'docs', 'PERFORMANCE.md');
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const BEGIN = '<!-- bench:begin (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:end -->';
const LB_BEGIN =
  '<!-- bench-lb:begin (written by `npm run bench -- --lb`; edit outside these markers) -->';
const LB_END = '<!-- bench-lb:end -->';

function parse(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      reps: { type: 'string' },
      kills: { type: 'string' },
      systems: { type: 'string' },
      'steady-seconds': { type: 'string' },
      'no-steady': { type: 'boolean', default: false },
      'warmup-seconds': { type: 'string' },
      'no-vigil-only': { type: 'boolean', default: false },
      'only-vigil-only': { type: 'boolean', default: false },
      'no-docs': { type: 'boolean', default: false },
      'keep-dirs': { type: 'boolean', default: false },
      lb: { type: 'boolean', default: false },
      'no-lb': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const int = (name, v, lo, hi) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi)
      throw new Error(`--${name} must be an integer from ${lo} to ${hi}`);
    return n;
  };
  const quick = values.quick;
  const sizes = values.sizes
    ? values.sizes.split(',').map((s) => int('sizes', s, 1, 500))
    : quick
      ? [10]
      : [10, 100, 250];
  const reps = values.reps === undefined ? null : int('reps', values.reps, 1, 20);
  const steadyN = sizes.includes(100) ? 100 : sizes[0];
  return {
    help: values.help,
    quick,
    sizes,
    repsFor: (n) => reps ?? (quick ? 2 : n >= 250 ? 2 : 3),
    kills: values.kills === undefined ? (quick ? 2 : 3) : int('kills', values.kills, 0, 20),
    systems: values.systems ? values.systems.split(',') : null,
    steady: {
      enabled: !values['no-steady'],
      n: steadyN,
      seconds:
        values['steady-seconds'] === undefined
          ? quick
            ? 10
            : 60
          : int('steady-seconds', values['steady-seconds'], 1, 600),
      settleSeconds: quick ? 3 : 10,
      // The window starts this long after the system was started: past the warm-up.
      warmupSeconds:
        values['warmup-seconds'] === undefined
          ? quick
            ? 20
            : 180
          : int('warmup-seconds', values['warmup-seconds'], 0, 1800),
    },
    healthIntervalMs: 5000,
    vigilOnly: !values['no-vigil-only'],
    onlyVigilOnly: values['only-vigil-only'],
    docs: !values['no-docs'] && !quick,
    keepDirs: values['keep-dirs'],
    lbOnly: values.lb,
    // In a full run the section runs after the rest; --lb runs it alone.
    lb: values.lb || (!quick && !values['no-lb'] && !values['only-vigil-only']),
    lbDocs: !values['no-docs'],
    readyTimeoutMs: (n) => 60_000 + n * 400,
  };
}

const out = (s = '') => process.stdout.write(s + '\n');
const fmtS = (ms) => (ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
const fmtMs = (ms) => (ms === null || ms === undefined ? '-' : `${Math.round(ms)} ms`);

function progressLine(r) {
  const rec = r.recoveries.map((x) => x.answerMs);
  const parts = [
    `cold ${fmtS(r.coldStartMs)}`,
    r.launch ? `[spawned ${fmtS(r.launch.firstMs)}..${fmtS(r.launch.lastMs)}]` : null,
    r.selfReadyMs !== null ? `(own ready ${fmtS(r.selfReadyMs)})` : null,
    rec.length ? `recovery ${rec.map(fmtMs).join('/')}` : null,
    r.steady
      ? `steady ${r.steady.cpuPercent.toFixed(2)} % CPU, ${r.steady.rssMaxMB.toFixed(1)} MB`
      : null,
    r.stop ? `stop ${fmtS(r.stop.stopMs)}, left ${r.stop.leftBehind}` : null,
    r.errors.length ? `ERRORS: ${r.errors.join('; ')}` : null,
  ];
  return parts.filter(Boolean).join(', ');
}

function configsSection(systems, opts, heading = '###') {
  const sample = makeServices(2, 61000, 'vb-TAG');
  const parts = [];
  for (const s of systems) {
    const c = s.config(sample, { healthIntervalMs: opts.healthIntervalMs }, '<run-dir>');
    parts.push(
      `${heading} ${LABELS[s.name]}: ${s.describe}\n\n\`${c.file}\` for N = 2 (N services repeat the same entry):\n\n\`\`\`\n${redact(c.text, '<run-dir>').trim()}\n\`\`\``,
    );
  }
  return parts.join('\n\n');
}

function markdownReport(res) {
  const table = markdownTable(mainTable(res.summary, res.plan.sizes, res.systemsRan));
  const lines = [
    `Run of ${res.finishedAt.slice(0, 10)} (${res.quick ? 'quick' : 'full'} suite, ${res.durationMinutes.toFixed(1)} min).`,
    '',
    `Machine: ${machineLine(res.machine)}. One-minute load average ${res.loadAverage.start.toFixed(1)} at the start, ${res.loadAverage.end.toFixed(1)} at the end${Math.max(res.loadAverage.start, res.loadAverage.end) > res.machine.cores ? ' (other work was running: expect more noise)' : ''}.`,
    '',
    `Medians with min-max over ${res.plan.repsText}; crash recovery over every kill (${res.plan.kills} per run); systems alternated run by run. Ratios are Vigil's median over the other's median (below 1 = Vigil is faster or smaller).`,
  ];
  if (res.runs.length > 0) lines.push('', table);
  for (const s of res.skipped) lines.push('', `${LABELS[s.name]} was skipped: ${s.why}.`);
  const vo = vigilOnlyRows(res.vigilOnly);
  if (vo.length > 0) {
    lines.push('', 'Vigil only:', '', '| figure | result |', '|---|---|');
    for (const [k, v] of vo) lines.push(`| ${k} | ${v} |`);
  }
  const g = res.goals;
  if (g.length > 0) {
    lines.push('', `Goals at N = ${res.plan.steady.n}:`, '');
    for (const x of g)
      lines.push(
        `- ${x.met ? 'met' : '**not met**'}: ${x.goal} (${x.value === null ? 'no figure' : Number(x.value).toFixed(2)})`,
      );
  }
  if (res.failures.length > 0) {
    lines.push('', 'Runs with errors:', '');
    for (const f of res.failures) lines.push(`- ${f}`);
  }
  return lines.join('\n');
}

function updateDocs(reportMd, configsMd) {
  const block = `${BEGIN}\n\n${reportMd}\n\n### Configurations used\n\n${configsMd}\n\n${END}`;
  let text = fs.existsSync(DOCS_FILE) ? fs.readFileSync(DOCS_FILE, 'utf8') : '# Performance\n\n';
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + END.length);
  else text = `${text.trimEnd()}\n\n## Latest results\n\n${block}\n`;
  fs.writeFileSync(DOCS_FILE, text);
}

function updateLbDocs(md) {
  const block = `${LB_BEGIN}\n\n${md}\n\n${LB_END}`;
  let text = fs.existsSync(DOCS_FILE) ? fs.readFileSync(DOCS_FILE, 'utf8') : '# Performance\n\n';
  const a = text.indexOf(LB_BEGIN);
  const b = text.indexOf(LB_END);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + LB_END.length);
  else text = `${text.trimEnd()}\n\n## Load balancing: latest results\n\n${block}\n`;
  fs.writeFileSync(DOCS_FILE, text);
}

/** The load-balancing section; returns its results (also written to bench/results/). */
async function lbSection(opts, tagPrefix) {
  out('bench: load balancing (3 instances; Vigil, nginx, HAProxy, PM2 cluster mode, direct)');
  const res = await runLb({ quick: opts.quick, tag: `${tagPrefix}-lb`, log: (m) => out(`  ${m}`) });
  const md = lbMarkdown(res, machineLine(machineInfo({})));
  out('');
  out(md);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const base = `${stamp}-lb-${opts.quick ? 'quick' : 'full'}`;
  fs.writeFileSync(path.join(RESULTS_DIR, `${base}.json`), JSON.stringify(res, null, 2) + '\n');
  fs.writeFileSync(
    path.join(RESULTS_DIR, `${base}.md`),
    `# Vigil benchmark: load balancing\n\n${md}\n`,
  );
  out(`\nbench: load-balancing results in bench/results/${base}.json and .md`);
  if (opts.lbDocs) {
    updateLbDocs(md);
    out('bench: docs/PERFORMANCE.md (load balancing) updated');
  }
  return res;
}

async function main() {
  let opts;
  try {
    opts = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    out(USAGE);
    return 0;
  }
  if (!HAS_PROC) {
    process.stderr.write(
      `bench: the suite reads CPU time, memory and process trees from Linux /proc, which ${process.platform} does not have; run it on Linux.\n`,
    );
    return 1;
  }
  installExitHooks();
  const tagPrefix = `vb${process.pid}${Date.now().toString(36)}`;
  setTagPrefix(tagPrefix);
  if (opts.lbOnly) {
    const res = await lbSection(opts, tagPrefix);
    // A failed request through Vigil fails the run; the peers' own errors are only reported.
    return ['vigil', 'vigil-worker', 'vigil-tcp'].some((k) => (res.rows[k]?.errors ?? 0) > 0)
      ? 1
      : 0;
  }
  const startedAt = new Date();
  const loadAtStart = os.loadavg()[0];

  let systems = ALL_SYSTEMS;
  if (opts.systems) {
    const unknown = opts.systems.filter((s) => !ALL_SYSTEMS.some((x) => x.name === s));
    if (unknown.length) {
      process.stderr.write(`bench: unknown system(s) ${unknown.join(', ')}\n${USAGE}\n`);
      return 2;
    }
    systems = ALL_SYSTEMS.filter((s) => opts.systems.includes(s.name));
  }
  const skipped = [];
  const available = [];
  for (const s of systems) {
    const c = s.check();
    if (c.ok) available.push(s);
    else {
      skipped.push({ name: s.name, why: c.why });
      out(`bench: skipping ${LABELS[s.name]}: ${c.why}`);
    }
  }
  const machine = machineInfo({
    pm2: pm2.version(),
    supervisord: available.includes(supervisord) ? supervisord.version() : null,
  });
  out(`bench: ${machineLine(machine)}`);

  const maxN = Math.max(...opts.sizes, 12);
  const basePort = await findFreeBlock(maxN);
  out(`bench: services on 127.0.0.1 ports ${basePort}-${basePort + maxN - 1}`);

  const runs = [];
  const failures = [];
  const sizesToRun = opts.onlyVigilOnly ? [] : opts.sizes;
  // A system marked `onlyAtSteadySize` runs at the steady-state size only.
  const systemsAt = (n) =>
    available.filter((s) => !s.onlyAtSteadySize || (opts.steady.enabled && n === opts.steady.n));
  const total = sizesToRun.reduce((a, n) => a + opts.repsFor(n) * systemsAt(n).length, 0);
  let done = 0;
  for (const n of sizesToRun) {
    const reps = opts.repsFor(n);
    for (let rep = 0; rep < reps; rep += 1) {
      for (const system of rotate(systemsAt(n), rep + n)) {
        done += 1;
        const tag = `${tagPrefix}-${system.name}-${n}-${rep}`;
        const r = await runOnce(system, {
          n,
          basePort,
          tag,
          rep,
          kills: opts.kills,
          // Once per system (the first run): the warm-up wait is long.
          steady: opts.steady.enabled && n === opts.steady.n && rep === 0 ? opts.steady : null,
          systemOpts: { healthIntervalMs: opts.healthIntervalMs },
          readyTimeoutMs: opts.readyTimeoutMs(n),
          keepDir: opts.keepDirs,
          log: (m) => out(`  ${m}`),
        });
        runs.push(r);
        if (r.errors.length)
          failures.push(`${system.name} N=${n} run ${rep + 1}: ${r.errors.join('; ')}`);
        out(
          `[${done}/${total}] N=${n} run ${rep + 1}/${reps} ${LABELS[system.name]}: ${progressLine(r)}`,
        );
      }
    }
  }

  let vigilOnly = null;
  if (opts.vigilOnly && available.includes(vigil)) {
    out('bench: Vigil-only figures (SQLite insert rate, WebSocket fan-out, log flood)');
    vigilOnly = await runVigilOnly({
      quick: opts.quick,
      basePort,
      tag: `${tagPrefix}-vo`,
      log: (m) => out(`  ${m}`),
    });
  }

  const lb = opts.lb ? await lbSection(opts, tagPrefix) : null;

  const systemsRan = available.map((s) => s.name);
  const summary = summarizeRuns(runs, systemsRan, sizesToRun);
  const finishedAt = new Date();
  const res = {
    suite: 'vigil-bench',
    format: 1,
    quick: opts.quick,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMinutes: (finishedAt - startedAt) / 60_000,
    machine,
    loadAverage: { start: loadAtStart, end: os.loadavg()[0] },
    plan: {
      sizes: sizesToRun,
      reps: Object.fromEntries(sizesToRun.map((n) => [n, opts.repsFor(n)])),
      repsText:
        sizesToRun.map((n) => `${opts.repsFor(n)} runs at N = ${n}`).join(', ') || 'no runs',
      kills: opts.kills,
      steady: { ...opts.steady, healthIntervalMs: opts.healthIntervalMs },
      readinessPollMs: Object.fromEntries(sizesToRun.map((n) => [n, readinessPollMs(n)])),
    },
    systemsRan,
    skipped,
    runs,
    failures,
    summary,
    goals: sizesToRun.includes(opts.steady.n) ? goals(summary, opts.steady.n) : [],
    vigilOnly,
    lb,
  };

  out('');
  if (runs.length > 0) out(textTable(mainTable(summary, sizesToRun, systemsRan)));
  for (const [k, v] of vigilOnlyRows(vigilOnly)) out(`${k}: ${v}`);
  for (const g of res.goals) out(`${g.met ? 'met    ' : 'NOT MET'}  ${g.goal}`);
  for (const f of failures) out(`error: ${f}`);

  const md = markdownReport(res);
  const configsMd = configsSection(available, opts);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const base = `${stamp}-${opts.quick ? 'quick' : 'full'}`;
  fs.writeFileSync(path.join(RESULTS_DIR, `${base}.json`), JSON.stringify(res, null, 2) + '\n');
  fs.writeFileSync(
    path.join(RESULTS_DIR, `${base}.md`),
    `# Vigil benchmark\n\n${md}\n\n## Configurations\n\n${configsMd}\n`,
  );
  fs.copyFileSync(path.join(RESULTS_DIR, `${base}.json`), path.join(RESULTS_DIR, 'latest.json'));
  fs.copyFileSync(path.join(RESULTS_DIR, `${base}.md`), path.join(RESULTS_DIR, 'latest.md'));
  out(`\nbench: results in bench/results/${base}.json and .md`);
  if (opts.docs && !opts.onlyVigilOnly) {
    updateDocs(md, configsSection(available, opts, '####'));
    out('bench: docs/PERFORMANCE.md updated');
  }
  return failures.length > 0 ? 1 : 0;
}

main()
  .then((code) => {
    killEverything();
    process.exit(code);
  })
  .catch((err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    killEverything();
    process.exit(1);
  });
