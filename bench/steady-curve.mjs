// How Vigil's CPU and memory settle after a start: `vigil up` with N services checked every 5 s,
// then CPU (all threads, % of one core) and RSS in consecutive windows until --minutes have passed.
// The first minutes include V8 compiling the hot code and collecting what the launch left; the
// later windows are the steady state.
//
//   node bench/steady-curve.mjs [--n 100] [--minutes 6] [--window 30] [--process-checks]
//                               [--node-args "--max-opt=1"]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installExitHooks, setTagPrefix, trackDir } from './lib/guard.mjs';
import { nowMs, sleep, waitAllHealthy } from './lib/http.mjs';
import { findFreeBlock } from './lib/ports.mjs';
import { CLK_TCK, readStat, rssBytes } from './lib/procfs.mjs';
import { makeServices } from './lib/workload.mjs';
import { vigil, vigilProc } from './systems/vigil.mjs';

async function main() {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '100' },
      minutes: { type: 'string', default: '6' },
      window: { type: 'string', default: '30' },
      'process-checks': { type: 'boolean', default: false },
      'node-args': { type: 'string', default: '' },
    },
  });
  const n = Number(values.n);
  const windowS = Number(values.window);
  const endAt = nowMs() + Number(values.minutes) * 60_000;
  installExitHooks();
  const tag = `vbcurve${process.pid}`;
  setTagPrefix(tag);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-curve-'));
  trackDir(dir);
  const services = makeServices(n, await findFreeBlock(n), tag);
  const system = values['process-checks'] ? vigilProc : vigil;
  const t0 = nowMs();
  const h = await system.start(dir, services, {
    healthIntervalMs: 5000,
    nodeArgs: values['node-args'].split(' ').filter(Boolean),
  });
  try {
    const ready = await waitAllHealthy(
      services.map((s) => s.port),
      { intervalMs: 100, deadline: t0 + 120_000 },
    );
    if (ready.missing.length > 0)
      throw new Error(`${ready.missing.length} services never answered`);
    const pid = h.supervisorPids()[0];
    const ticks = () => {
      const s = readStat(pid);
      return s ? s.utime + s.stime : NaN;
    };
    process.stdout.write(`all answering after ${((ready.lastAt - t0) / 1000).toFixed(1)} s\n`);
    process.stdout.write('from (s)  to (s)  CPU % of a core  RSS (MB)\n');
    while (nowMs() + windowS * 1000 <= endAt) {
      const a = ticks();
      const from = nowMs();
      await sleep(windowS * 1000);
      const b = ticks();
      const to = nowMs();
      const cpu = ((b - a) / CLK_TCK / ((to - from) / 1000)) * 100;
      const rss = (rssBytes(pid) ?? 0) / 2 ** 20;
      process.stdout.write(
        `${((from - t0) / 1000).toFixed(0).padStart(8)}  ${((to - t0) / 1000).toFixed(0).padStart(6)}  ${cpu.toFixed(2).padStart(15)}  ${rss.toFixed(1).padStart(8)}\n`,
      );
    }
  } finally {
    await h.stop().catch(() => {});
    await h.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`steady-curve: ${err.stack ?? err}\n`);
      process.exit(1);
    },
  );
