// From raw runs to the figures of the table: medians and ranges per system and size, and the
// ratios of Vigil to the floor and to each peer. Pure.
import { ratio, summarize } from './stats.mjs';

export const PEERS = ['pm2', 'supervisord'];

function pick(runs, system, n) {
  return runs.filter((r) => r.system === system && r.n === n);
}

/** Figures for one system at one size. */
export function systemFigures(runs) {
  const rec = runs.flatMap((r) => r.recoveries);
  const steady = runs.map((r) => r.steady).filter(Boolean);
  const stops = runs.map((r) => r.stop).filter(Boolean);
  return {
    runs: runs.length,
    failedRuns: runs.filter((r) => r.errors.length > 0).length,
    coldStartMs: summarize(runs.map((r) => r.coldStartMs)),
    selfReadyMs: summarize(runs.map((r) => r.selfReadyMs)),
    recoveryMs: summarize(rec.map((x) => x.answerMs)),
    respawnMs: summarize(rec.map((x) => x.spawnMs)),
    steadyCpuPercent: summarize(steady.map((s) => s.cpuPercent)),
    steadyCpuSeconds: summarize(steady.map((s) => s.cpuSeconds)),
    steadySeconds: summarize(steady.map((s) => s.seconds)),
    steadyRssMB: summarize(steady.map((s) => s.rssMaxMB)),
    warmupCpuPercent: summarize(steady.map((s) => s.warmup?.cpuPercent ?? null)),
    warmupRssMB: summarize(steady.map((s) => s.warmup?.rssMaxMB ?? null)),
    stopMs: summarize(stops.map((s) => s.stopMs)),
    leftBehind: stops.length === 0 ? null : Math.max(...stops.map((s) => s.leftBehind)),
    supervisorLeft: stops.length === 0 ? null : Math.max(...stops.map((s) => s.supervisorLeft)),
  };
}

/** `{[n]: {[system]: figures}}` and the Vigil ratios for every size. */
export function summarizeRuns(runs, systems, sizes) {
  const bySize = {};
  const ratios = {};
  for (const n of sizes) {
    bySize[n] = {};
    for (const s of systems) {
      const rs = pick(runs, s, n);
      if (rs.length > 0) bySize[n][s] = systemFigures(rs);
    }
    const v = bySize[n].vigil;
    const med = (sys, key) => bySize[n][sys]?.[key]?.median ?? null;
    ratios[n] = {
      coldStartVsFloor: ratio(med('vigil', 'coldStartMs'), med('floor', 'coldStartMs')),
      recoveryVsFloor: ratio(med('vigil', 'recoveryMs'), med('floor', 'recoveryMs')),
    };
    for (const p of PEERS) {
      if (!v || !bySize[n][p]) continue;
      ratios[n][p] = {
        coldStart: ratio(med('vigil', 'coldStartMs'), med(p, 'coldStartMs')),
        recovery: ratio(med('vigil', 'recoveryMs'), med(p, 'recoveryMs')),
        respawn: ratio(med('vigil', 'respawnMs'), med(p, 'respawnMs')),
        steadyCpu: ratio(med('vigil', 'steadyCpuPercent'), med(p, 'steadyCpuPercent')),
        steadyRss: ratio(med('vigil', 'steadyRssMB'), med(p, 'steadyRssMB')),
        stop: ratio(med('vigil', 'stopMs'), med(p, 'stopMs')),
      };
    }
  }
  return { bySize, ratios };
}

/** The performance goals (docs/PERFORMANCE.md) at the reference size, each with whether the median met it. */
export function goals(summary, n) {
  const s = summary.bySize[n] ?? {};
  const v = s.vigil;
  if (!v) return [];
  const r = summary.ratios[n] ?? {};
  const peersRan = PEERS.filter((p) => s[p]);
  const out = [];
  const add = (goal, value, met) => out.push({ goal, value, met });
  const cs = r.coldStartVsFloor;
  add(`cold start within 1.2x the floor (N=${n})`, cs, cs !== null && cs <= 1.2);
  for (const p of peersRan) {
    const x = r[p]?.coldStart ?? null;
    add(`cold start ahead of ${p} (N=${n})`, x, x !== null && x < 1);
  }
  const sp = v.respawnMs.median;
  add('crash seen and restart spawned within 50 ms (backoff 0)', sp, sp !== null && sp <= 50);
  const rec = v.recoveryMs.median;
  add('crash recovery (kill -> answering) under 100 ms', rec, rec !== null && rec < 100);
  const cpu = v.steadyCpuPercent.median;
  if (cpu !== null) {
    add(`steady-state CPU under 1 % of a core (N=${n})`, cpu, cpu < 1);
    for (const p of peersRan) {
      const x = r[p]?.steadyCpu ?? null;
      add(`steady-state CPU below ${p}`, x, x !== null && x < 1);
    }
    const rss = v.steadyRssMB.median;
    add('steady-state RSS under 80 MB', rss, rss !== null && rss < 80);
  }
  // Like with like: the peers probe nothing in this workload; Vigil with process checks only.
  const vp = s['vigil-proc']?.steadyCpuPercent.median ?? null;
  if (vp !== null) {
    add(`steady-state CPU with process checks only under 1 % of a core (N=${n})`, vp, vp < 1);
    for (const p of peersRan) {
      const x = ratio(vp, s[p]?.steadyCpuPercent.median ?? null);
      add(`steady-state CPU with process checks only below ${p}`, x, x !== null && x < 1);
    }
  }
  add('0 processes left behind after stop', v.leftBehind, v.leftBehind === 0);
  return out;
}
