import { describe, expect, it } from 'vitest';
import { goals, summarizeRuns } from './summary.mjs';
import { cell, mainTable, markdownTable, ROWS, textTable } from './report.mjs';

const run = (system, n, o = {}) => ({
  system,
  n,
  rep: 0,
  coldStartMs: o.cold ?? null,
  selfReadyMs: o.self ?? null,
  recoveries: (o.rec ?? []).map((ms) => ({ service: 's1', answerMs: ms, spawnMs: ms / 10 })),
  steady:
    o.cpu === undefined
      ? null
      : {
          cpuPercent: o.cpu,
          cpuSeconds: o.cpu * 0.3,
          seconds: 30,
          rssMB: 60,
          rssMaxMB: o.rss ?? 60,
          warmup: o.warm === undefined ? undefined : { cpuPercent: o.warm, rssMaxMB: 66 },
        },
  stop:
    o.stop === undefined ? null : { stopMs: o.stop, leftBehind: o.left ?? 0, supervisorLeft: 0 },
  errors: [],
});

const runs = [
  run('floor', 100, { cold: 8000, rec: [200] }),
  run('floor', 100, { cold: 9000, rec: [220] }),
  run('vigil', 100, { cold: 9000, self: 9100, rec: [210, 230], cpu: 0.5, rss: 70, stop: 500 }),
  run('vigil', 100, { cold: 9400, self: 9500, rec: [250], cpu: 0.7, rss: 72, stop: 700, left: 0 }),
  run('pm2', 100, { cold: 13000, rec: [300], cpu: 1, rss: 64, stop: 3000 }),
  run('pm2', 100, { cold: 14000, rec: [320], cpu: 1, rss: 64, stop: 3200, left: 2 }),
];

describe('summary', () => {
  const s = summarizeRuns(runs, ['floor', 'vigil', 'pm2'], [100]);

  it('takes medians per system and the ratios of Vigil to the floor and each peer', () => {
    expect(s.bySize[100].vigil.coldStartMs).toEqual({ n: 2, median: 9200, min: 9000, max: 9400 });
    expect(s.bySize[100].vigil.recoveryMs.median).toBe(230);
    expect(s.bySize[100].pm2.leftBehind).toBe(2);
    expect(s.ratios[100].coldStartVsFloor).toBeCloseTo(9200 / 8500);
    expect(s.ratios[100].pm2.coldStart).toBeCloseTo(9200 / 13500);
    expect(s.ratios[100].pm2.steadyRss).toBeCloseTo(71 / 64);
    expect(s.ratios[100].supervisord).toBeUndefined();
  });

  it('reports the warm-up apart from the steady state, and judges only the steady state', () => {
    const warm = summarizeRuns(
      [run('vigil', 100, { cpu: 0.7, warm: 1.8, rss: 79 }), run('pm2', 100, { cpu: 3, rss: 64 })],
      ['vigil', 'pm2'],
      [100],
    );
    expect(warm.bySize[100].vigil.warmupCpuPercent.median).toBe(1.8);
    expect(warm.bySize[100].vigil.warmupRssMB.median).toBe(66);
    expect(warm.bySize[100].pm2.warmupCpuPercent.n).toBe(0);
    const g = Object.fromEntries(goals(warm, 100).map((x) => [x.goal, x.met]));
    expect(g['steady-state CPU under 1 % of a core (N=100)']).toBe(true);
    const table = markdownTable(mainTable(warm, [100], ['vigil', 'pm2']));
    expect(table).toMatch(/warming up \(from the kills to the window\): CPU.*\| 1\.80 \|/);
  });

  it('judges the goals on the medians', () => {
    const g = Object.fromEntries(goals(s, 100).map((x) => [x.goal, x.met]));
    expect(g['cold start within 1.2x the floor (N=100)']).toBe(true);
    expect(g['cold start ahead of pm2 (N=100)']).toBe(true);
    expect(g['crash recovery (kill -> answering) under 100 ms']).toBe(false);
    expect(g['crash seen and restart spawned within 50 ms (backoff 0)']).toBe(true);
    expect(g['steady-state CPU below pm2']).toBe(true);
    expect(g['steady-state RSS under 80 MB']).toBe(true);
    expect(g['0 processes left behind after stop']).toBe(true);
    // No process-checks-only run: no like-for-like goal.
    expect(Object.keys(g).some((k) => k.includes('process checks only'))).toBe(false);
  });

  it('judges the like-for-like CPU goal on the process-checks-only Vigil', () => {
    const withProc = [
      ...runs,
      run('vigil-proc', 100, { cold: 9000, rec: [220], cpu: 0.4, stop: 500 }),
    ];
    const sp = summarizeRuns(withProc, ['floor', 'vigil', 'vigil-proc', 'pm2'], [100]);
    const g = Object.fromEntries(goals(sp, 100).map((x) => [x.goal, x.met]));
    expect(g['steady-state CPU with process checks only under 1 % of a core (N=100)']).toBe(true);
    expect(g['steady-state CPU with process checks only below pm2']).toBe(true);
    expect(mainTable(sp, [100], ['floor', 'vigil', 'vigil-proc', 'pm2']).header).toContain(
      'Vigil (process checks)',
    );
  });

  it('prints a row per figure with the ratio columns of the systems that ran', () => {
    const t = mainTable(s, [100], ['floor', 'vigil', 'pm2']);
    expect(t.header).toEqual([
      'figure',
      'N',
      'floor',
      'Vigil',
      'PM2',
      'Vigil / floor',
      'Vigil / PM2',
    ]);
    const cold = t.rows.find((r) => r[0].startsWith('cold start'));
    expect(cold).toEqual([
      'cold start: command -> all answer /health (s)',
      '100',
      '8.50 (8.00-9.00)',
      '9.20 (9.00-9.40)',
      '13.50 (13.00-14.00)',
      '1.08x',
      '0.68x',
    ]);
    const left = t.rows.find((r) => r[0].startsWith('stop: processes left'));
    expect(left.slice(2, 5)).toEqual(['-', '0', '2']);
    expect(textTable(t).split('\n')).toHaveLength(2 + t.rows.length);
    expect(markdownTable(t).split('\n')[1]).toBe('|---|---|---:|---:|---:|---:|---:|');
  });

  it('prints one figure without a range, and a dash for nothing', () => {
    const row = ROWS.find((r) => r.key === 'recoveryMs');
    expect(cell({ n: 1, median: 212.4, min: 212.4, max: 212.4 }, row)).toBe('212');
    expect(cell({ n: 0, median: null, min: null, max: null }, row)).toBe('-');
    expect(cell(undefined, row)).toBe('-');
  });
});
