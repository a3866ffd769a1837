// Where Vigil spends its time: runs the benchmark stack under `node --cpu-prof`, keeps the samples
// of one phase (start, steady or stop) and prints the functions with the most self time.
//
//   node bench/profile.mjs [--n 100] [--phase steady|start|crash|stop] [--seconds 30] [--keep]
//                          [--window FROM,TO]   (ms since Vigil started; overrides the phase)
//                          [--process-checks]   (process checks instead of HTTP ones)
//
// The .cpuprofile (open it in Chrome DevTools) is kept with --keep.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installExitHooks, killTagged, setTagPrefix, trackDir } from './lib/guard.mjs';
import { health, nowMs, sleep, waitAllHealthy, waitNewInstance } from './lib/http.mjs';
import { killTargets } from './lib/scenario.mjs';
import { findFreeBlock } from './lib/ports.mjs';
import { rssBytes } from './lib/procfs.mjs';
import { makeServices, REPO_ROOT } from './lib/workload.mjs';
import { vigil, vigilProc } from './systems/vigil.mjs';

/** Self time per function (ms) of the samples between `fromMs` and `toMs` after the profile start. */
export function topFunctions(profile, fromMs, toMs, limit = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let t = 0;
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    t += dt;
    if (t < fromMs || t > toMs) continue;
    const node = byId.get(profile.samples[i]);
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    const url = f.url.replace(`file://${REPO_ROOT}/`, '').replace(REPO_ROOT + '/', '');
    const key =
      `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, limit);
  return { busyMs: total, idleMs: idle, top };
}

async function main() {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '100' },
      phase: { type: 'string', default: 'steady' },
      seconds: { type: 'string', default: '30' },
      settle: { type: 'string', default: '5' },
      keep: { type: 'boolean', default: false },
      window: { type: 'string' },
      'process-checks': { type: 'boolean', default: false },
    },
  });
  const n = Number(values.n);
  const seconds = Number(values.seconds);
  installExitHooks();
  const tag = `vbprof${process.pid}`;
  setTagPrefix(tag);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-prof-'));
  const profDir = path.join(dir, 'prof');
  if (!values.keep) trackDir(dir);
  const base = await findFreeBlock(n);
  const services = makeServices(n, base, tag);
  const t0 = nowMs();
  const system = values['process-checks'] ? vigilProc : vigil;
  const h = await system.start(dir, services, {
    healthIntervalMs: 5000,
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir],
  });
  let window = [0, Infinity];
  try {
    const ready = await waitAllHealthy(
      services.map((s) => s.port),
      { intervalMs: 50, deadline: t0 + 120_000 },
    );
    process.stdout.write(`all answering after ${((ready.lastAt - t0) / 1000).toFixed(2)} s\n`);
    await h.selfReady;
    if (values.phase === 'start') window = [0, nowMs() - t0];
    if (values.phase === 'crash') {
      // SIGKILL services one by one (as the crash figure does) and wait for each to answer again.
      await sleep(3000);
      const w0 = nowMs() - t0;
      for (const i of killTargets(n, Math.min(n, 10))) {
        const port = services[i].port;
        const before = await health(port);
        if (!before) continue;
        process.kill(before.pid, 'SIGKILL');
        await waitNewInstance(port, before.pid, { intervalMs: 2, deadline: nowMs() + 30_000 });
        await sleep(300);
      }
      window = [w0, nowMs() - t0];
    }
    if (values.phase === 'steady') {
      await sleep(Number(values.settle) * 1000);
      const w0 = nowMs() - t0;
      await sleep(seconds * 1000);
      window = [w0, nowMs() - t0];
      process.stdout.write(
        `RSS at the end: ${((rssBytes(h.supervisorPids()[0]) ?? 0) / 2 ** 20).toFixed(1)} MB\n`,
      );
    }
    const s0 = nowMs() - t0;
    await h.stop();
    if (values.phase === 'stop') window = [s0, Infinity];
    // The profile is written as Vigil exits.
    await Promise.race([h.exited, sleep(30_000)]);
  } finally {
    await h.cleanup();
    killTagged(tag);
  }
  const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile was written');
  const profile = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8'));
  // --window FROM,TO (ms since Vigil started) overrides the phase's window.
  if (values.window) window = values.window.split(',').map(Number);
  const r = topFunctions(profile, window[0], window[1]);
  const span = (Math.min(window[1], 1e12) - window[0]) / 1000;
  process.stdout.write(
    `${values.phase}: busy ${r.busyMs.toFixed(0)} ms of ${Number.isFinite(span) ? span.toFixed(1) + ' s' : 'the phase'}\n`,
  );
  for (const [k, ms] of r.top) process.stdout.write(`${ms.toFixed(1).padStart(9)} ms  ${k}\n`);
  if (values.keep)
    process.stdout.write(
      `profile: ${path.join(profDir, file)} (window ${window.map((v) => Math.round(Math.min(v, 1e12))).join(',')})\n`,
    );
  else fs.rmSync(dir, { recursive: true, force: true });
}

if (import.meta.url === `file://${process.argv[1]}`)
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`profile: ${err.stack ?? err}\n`);
      process.exit(1);
    },
  );
