// The balancer as the benchmark runs it: one process that plays the supervisor (a health-probe
// loop on its main thread, whose punctuality is measured) and runs Vigil's balancer either on the
// same event loop (`inproc`) or on a worker thread (`worker`). Bundled by esbuild at bench time.
//
//   node vigil-lb.cjs inproc|worker|tcp FRONT_PORT PORT,PORT,PORT PROBE_MS
//
// `tcp` runs the balancer's connection-level mode on the main thread.
//
// Prints `ready PORT` once listening. SIGHUP starts the punctuality window, SIGUSR2 ends it and
// prints one JSON line with the lateness figures, then exits.
import http from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Balancer } from '../../src/main/core/balancer/index.js';

interface Setup {
  readonly mode: 'http' | 'tcp';
  readonly frontPort: number;
  readonly ports: readonly number[];
}

async function startBalancer(s: Setup): Promise<Balancer> {
  const b = await Balancer.start({
    service: 'app',
    mode: s.mode,
    strategy: 'round_robin',
    port: s.frontPort,
  });
  b.setInstances(s.ports.map((port, i) => ({ id: `app#${i}`, host: '127.0.0.1', port })));
  for (let i = 0; i < s.ports.length; i++) b.markReady(`app#${i}`);
  return b;
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[
    Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  ]!;
}

/** GET /health of one instance on a fresh connection, as the supervisor's probes do. */
function probe(port: number): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t0));
    });
    req.on('error', () => resolve(Number.NaN));
    req.setTimeout(2000, () => req.destroy());
  });
}

async function main(): Promise<void> {
  if (!isMainThread) {
    const b = await startBalancer(workerData as Setup);
    parentPort!.postMessage({ port: b.address.port });
    return;
  }
  const [mode, front, portsArg, probeArg] = process.argv.slice(2);
  const setup: Setup = {
    mode: mode === 'tcp' ? 'tcp' : 'http',
    frontPort: Number(front),
    ports: portsArg!.split(',').map(Number),
  };
  const probeMs = Number(probeArg ?? 100);
  let port: number;
  if (mode === 'worker') {
    const w = new Worker(__filename, { workerData: setup });
    port = await new Promise<number>((resolve, reject) => {
      w.once('message', (m: { port: number }) => resolve(m.port));
      w.once('error', reject);
    });
  } else {
    port = (await startBalancer(setup)).address.port;
  }

  // The supervisor's part: a probe every probeMs, on a fixed schedule; lateness = how long after
  // its due time the timer fired; the probe's own round trip is noted too.
  const lateness: number[] = [];
  const roundTrips: number[] = [];
  let measuring = false;
  let cpuAtStart = process.cpuUsage();
  let wallAtStart = performance.now();
  let due = performance.now() + probeMs;
  const tick = (): void => {
    const now = performance.now();
    // setTimeout rounds to whole milliseconds and may fire a fraction early: that is on time.
    if (measuring) lateness.push(Math.max(0, now - due));
    void probe(setup.ports[0]!).then((ms) => {
      if (measuring && Number.isFinite(ms)) roundTrips.push(ms);
    });
    due += probeMs;
    if (due < now) due = now + probeMs;
    setTimeout(tick, Math.max(0, due - performance.now()));
  };
  setTimeout(tick, probeMs);

  process.stdout.write(`ready ${port}\n`);
  process.on('SIGHUP', () => {
    lateness.length = 0;
    roundTrips.length = 0;
    measuring = true;
    cpuAtStart = process.cpuUsage();
    wallAtStart = performance.now();
  });
  process.on('SIGUSR2', () => {
    measuring = false;
    const l = [...lateness].sort((a, b) => a - b);
    const r = [...roundTrips].sort((a, b) => a - b);
    const cpu = process.cpuUsage(cpuAtStart);
    const wallMs = performance.now() - wallAtStart;
    process.stdout.write(
      JSON.stringify({
        ticks: l.length,
        latenessP50: percentile(l, 50),
        latenessP99: percentile(l, 99),
        latenessMax: l.length ? l[l.length - 1] : null,
        probeP50: percentile(r, 50),
        probeP99: percentile(r, 99),
        // all threads of the process (the worker's too), percent of one core over the window
        cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
        cpuWindowMs: (cpu.user + cpu.system) / 1000,
      }) + '\n',
      () => process.exit(0),
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`vigil-lb: ${String(err)}\n`);
  process.exit(1);
});
