// One run of one system at one size: cold start, crash recovery, (optionally) steady state, stop.
// Everything is measured from outside: /health polled by the suite, processes read from /proc.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killTagged, trackDir, untrackDir } from './guard.mjs';
import { health, nowMs, sleep, waitAllHealthy, waitNewInstance } from './http.mjs';
import { isRunning, taggedPids } from './procfs.mjs';
import { waitPortsFree } from './ports.mjs';
import { cpuSecondsBetween, usageSnapshot } from './usage.mjs';
import { makeServices } from './workload.mjs';

const MB = 1024 * 1024;

/** Which services to kill: `k` spread evenly over `n`. */
export function killTargets(n, k) {
  const count = Math.min(n, k);
  return Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * n) / count));
}

/** How often each port is polled for readiness: often for few services, less for many. */
export function readinessPollMs(n) {
  return Math.min(125, Math.max(20, Math.round(n * 0.5)));
}

async function withTimeout(promise, ms) {
  let timer;
  const t = new Promise((r) => (timer = setTimeout(() => r(null), ms)));
  const v = await Promise.race([promise, t]);
  clearTimeout(timer);
  return v;
}

/**
 * The steady state: after the crash kills, wait until `warmupSeconds` after the system was
 * started (at least `settleSeconds`), then a window of `seconds`. A supervisor written in
 * JavaScript spends its first minutes compiling its hot code; what it uses meanwhile is reported
 * as `warmup` (from the end of the kills to the start of the window), not as the steady state.
 */
async function measureSteady(
  handle,
  tag,
  { seconds, settleSeconds, warmupSeconds = 0 },
  startedAt,
) {
  const roots = handle.supervisorPids();
  if (roots.length === 0) throw new Error('steady state: no supervisor pid known');
  const services = taggedPids(tag);
  const w0 = usageSnapshot(roots, services);
  const wt0 = nowMs();
  const warmRss = [w0.rss];
  const windowAt = Math.max(wt0 + settleSeconds * 1000, startedAt + warmupSeconds * 1000);
  while (nowMs() < windowAt) {
    await sleep(Math.min(1000, windowAt - nowMs()));
    warmRss.push(usageSnapshot(roots, services).rss);
  }
  const a = usageSnapshot(roots, services);
  const t0 = nowMs();
  const warmSeconds = (t0 - wt0) / 1000;
  const samples = [a.rss];
  for (let i = 0; i < seconds; i += 1) {
    await sleep(t0 + (i + 1) * 1000 - nowMs());
    samples.push(usageSnapshot(roots, services).rss);
  }
  const b = usageSnapshot(roots, services);
  const wall = (nowMs() - t0) / 1000;
  const cpuSeconds = cpuSecondsBetween(a, b);
  return {
    seconds: wall,
    cpuSeconds,
    cpuPercent: (cpuSeconds / wall) * 100,
    rssMB: b.rss / MB,
    rssMaxMB: Math.max(...samples) / MB,
    processes: b.procs.size,
    /** Seconds since the system was started at the start of the window. */
    startsAtS: (t0 - startedAt) / 1000,
    warmup: {
      fromS: (wt0 - startedAt) / 1000,
      seconds: warmSeconds,
      cpuPercent: warmSeconds > 0 ? (cpuSecondsBetween(w0, a) / warmSeconds) * 100 : null,
      rssMaxMB: Math.max(...warmRss) / MB,
    },
  };
}

async function measureStop(handle, tag, log) {
  let pending = taggedPids(tag);
  const before = pending.length;
  const roots = handle.supervisorPids();
  const t0 = nowMs();
  const command = handle.stop();
  let goneAt = null;
  const deadline = t0 + 90_000;
  while (nowMs() < deadline) {
    pending = pending.filter(isRunning);
    if (pending.length === 0) {
      // Also catch anything spawned again while stopping.
      pending = taggedPids(tag);
      if (pending.length === 0) {
        goneAt = nowMs();
        break;
      }
    }
    await sleep(20);
  }
  const cmd = await command;
  if (cmd.code !== 0) log(`stop command exited ${cmd.code}: ${String(cmd.output).slice(-300)}`);
  // The supervisor itself must be gone too before counting what is left.
  for (let i = 0; i < 300 && roots.some(isRunning); i += 1) await sleep(100);
  await sleep(500);
  const left = taggedPids(tag);
  return {
    stopMs: goneAt === null ? null : goneAt - t0,
    servicesBefore: before,
    leftBehind: left.length,
    supervisorLeft: roots.filter(isRunning).length,
  };
}

/**
 * Runs `system` once with `n` services. Never throws: failures are in `errors`, and everything the
 * run started is killed before it returns.
 */
export async function runOnce(system, o) {
  const { n, basePort, tag, rep, kills, steady, systemOpts = {}, log = () => {} } = o;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vigil-bench-${system.name}-`));
  if (!o.keepDir) trackDir(dir);
  const services = makeServices(n, basePort, tag);
  const ports = services.map((s) => s.port);
  const r = {
    system: system.name,
    n,
    rep,
    coldStartMs: null,
    selfReadyMs: null,
    launch: null,
    recoveries: [],
    steady: null,
    stop: null,
    errors: [],
  };
  let handle = null;
  try {
    if (!(await waitPortsFree(ports, 20_000)))
      throw new Error('ports are still taken by an earlier process');
    const t0 = nowMs();
    handle = await system.start(dir, services, systemOpts);
    const ready = await waitAllHealthy(ports, {
      intervalMs: readinessPollMs(n),
      deadline: t0 + o.readyTimeoutMs,
    });
    if (ready.missing.length > 0)
      throw new Error(
        `${ready.missing.length} of ${n} services did not answer /health within ${o.readyTimeoutMs / 1000} s; ` +
          `output: ${handle.output().slice(-500)}`,
      );
    r.coldStartMs = ready.lastAt - t0;
    // When each service process started (its own clock): how the launch was spread over time.
    const starts = (await Promise.all(ports.map((p) => health(p)))).map((b) => b?.t0 ?? NaN);
    const okStarts = starts.filter(Number.isFinite);
    if (okStarts.length > 0)
      r.launch = {
        firstMs: Math.min(...okStarts) - t0,
        lastMs: Math.max(...okStarts) - t0,
      };
    if (handle.selfReady) {
      const at = await withTimeout(handle.selfReady, 60_000);
      r.selfReadyMs = at === null ? null : at - t0;
    }

    for (const i of killTargets(n, kills)) {
      const port = ports[i];
      const before = await health(port);
      if (!before) {
        r.errors.push(`s${i} did not answer before the kill`);
        continue;
      }
      const killedAt = nowMs();
      process.kill(before.pid, 'SIGKILL');
      const back = await waitNewInstance(port, before.pid, {
        intervalMs: 2,
        deadline: killedAt + 30_000,
      });
      if (!back) {
        r.errors.push(`s${i} did not answer again within 30 s of SIGKILL`);
        continue;
      }
      r.recoveries.push({
        service: `s${i}`,
        answerMs: back.at - killedAt,
        spawnMs: Number.isFinite(back.t0) ? back.t0 - killedAt : null,
      });
      await sleep(300);
    }

    if (steady && system.name !== 'floor') r.steady = await measureSteady(handle, tag, steady, t0);

    r.stop = await measureStop(handle, tag, (m) => r.errors.push(m));
  } catch (err) {
    r.errors.push(err instanceof Error ? err.message : String(err));
  } finally {
    try {
      await handle?.cleanup();
    } catch (err) {
      r.errors.push(`cleanup: ${err.message}`);
    }
    const killed = killTagged(tag);
    if (killed > 0 && r.stop === null) log(`killed ${killed} leftover service processes`);
    if (!o.keepDir) {
      fs.rmSync(dir, { recursive: true, force: true });
      untrackDir(dir);
    }
  }
  return r;
}
