// Figures only Vigil has: SQLite health-row insert rate through the real HistoryStore, WebSocket
// event fan-out to 10 clients, and Vigil's memory while one service floods its output.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { killTagged, trackDir, untrackDir } from './guard.mjs';
import { get, health, nowMs, sleep, waitAllHealthy } from './http.mjs';
import { readChars, rssBytes } from './procfs.mjs';
import { summarize } from './stats.mjs';
import { REPO_ROOT, makeServices } from './workload.mjs';
import { vigil } from '../systems/vigil.mjs';

const MB = 1024 * 1024;

function percentile(values, p) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))];
}

// --- SQLite ---------------------------------------------------------------------------------

const STORE_ENTRY = `
import { HistoryStore } from './index.js';
const [dir, totalArg] = process.argv.slice(2);
const total = Number(totalArg);
const store = HistoryStore.open(dir, {});
const runId = store.beginRun({ stackName: 'bench', stackFile: 'bench.yaml', startedAt: Date.now() });
store.flush();
const t0 = performance.now();
for (let i = 0; i < total; i += 1) {
  const ts = Date.now();
  store.record(runId, {
    type: 'health_update', ts, service: 's' + (i % 100), generation: 1,
    result: { ok: true, timedOut: false, latencyMs: 1.5, probe: 'http', detail: '200', ts },
    from: 'healthy', to: 'healthy', consecutiveFailures: 0, consecutiveSuccesses: 1,
  });
}
store.flush();
const seconds = (performance.now() - t0) / 1000;
const pending = store.pendingRecords;
const dropped = store.droppedRecords;
store.close();
process.stdout.write(JSON.stringify({ rows: total, seconds, pending, dropped }) + '\\n');
`;

/** Bundles the store entry with esbuild (better-sqlite3 stays external) into `dir`. */
async function bundleStoreEntry(dir) {
  const { build } = await import('esbuild');
  const outfile = path.join(dir, 'store-rate.cjs');
  await build({
    stdin: {
      contents: STORE_ENTRY,
      resolveDir: path.join(REPO_ROOT, 'src', 'main', 'core', 'store'),
      loader: 'ts',
      sourcefile: 'store-rate.ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['better-sqlite3'],
    logLevel: 'error',
  });
  return outfile;
}

export async function storeRate(rows) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-store-'));
  trackDir(dir);
  try {
    const file = await bundleStoreEntry(dir);
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    const child = spawn(process.execPath, [file, dataDir, String(rows)], {
      env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise((r) => child.once('exit', (c) => r(c)));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`store child exited ${code}: ${stderr.slice(-500)}`);
    const r = JSON.parse(stdout.trim().split('\n').pop());
    const db = new Database(path.join(dataDir, 'vigil.db'), { readonly: true });
    const count = db.prepare('SELECT COUNT(*) AS n FROM probes').get().n;
    db.close();
    return {
      rows: r.rows,
      seconds: r.seconds,
      rowsPerSecond: r.rows / r.seconds,
      dropped: r.dropped,
      stored: count,
      verified: count === r.rows && r.dropped === 0,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    untrackDir(dir);
  }
}

// --- a running Vigil ------------------------------------------------------------------------

async function startVigil(services, opts, log) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-vo-'));
  trackDir(dir);
  const handle = await vigil.start(dir, services, opts);
  const ready = await waitAllHealthy(
    services.map((s) => s.port),
    { intervalMs: 50, deadline: nowMs() + 120_000 },
  );
  if (ready.missing.length > 0) throw new Error(`${ready.missing.length} services never answered`);
  let selfReady = null;
  await Promise.race([handle.selfReady.then((t) => (selfReady = t)), sleep(60_000)]);
  if (selfReady === null)
    throw new Error(`Vigil never reported ready: ${handle.output().slice(-400)}`);
  const api = handle.api();
  if (!api) throw new Error('no API address in the data directory');
  let finished = null;
  const finish = () => (finished ??= stopVigil());
  const stopVigil = async () => {
    try {
      const r = await handle.stop();
      if (r.code !== 0) log(`vigil down exited ${r.code}`);
    } finally {
      await handle.cleanup();
    }
  };
  return { dir, handle, api, pid: handle.supervisorPids()[0], finish };
}

function post(url, token, body = '{}') {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      {
        host: '127.0.0.1',
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode, body: data }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function connectClient(api) {
  const url = `${api.url.replace(/^http/, 'ws')}/orchestrator/stream?token=${encodeURIComponent(api.token)}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const client = { ws, items: [], snapshot: false };
    const timer = setTimeout(() => reject(new Error('no snapshot within 10 s')), 10_000);
    ws.on('message', (data) => {
      const at = nowMs();
      const msg = JSON.parse(String(data));
      if (msg.type === 'snapshot') {
        client.snapshot = true;
        clearTimeout(timer);
        resolve(client);
        return;
      }
      if (msg.type === 'health_update' && Array.isArray(msg.payload))
        for (const ev of msg.payload)
          client.items.push({ key: `${ev.service}@${ev.ts}`, at, latency: at - ev.ts });
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** 10 clients on the stream; `rounds` × "probe every service now"; what each client received. */
export async function fanout({ n, rounds, clients = 10, basePort, tag, log }) {
  const services = makeServices(n, basePort, tag);
  const v = await startVigil(services, { healthIntervalMs: 5000 }, log);
  const conns = [];
  try {
    for (let i = 0; i < clients; i += 1) conns.push(await connectClient(v.api));
    const t0 = nowMs();
    for (let i = 0; i < rounds; i += 1) {
      const r = await post(`${v.api.url}/orchestrator/health/check-now`, v.api.token);
      if (r.status !== 200)
        throw new Error(`check-now answered ${r.status}: ${r.body.slice(0, 200)}`);
    }
    // Let the last batches arrive (they are sent every 100 ms).
    await sleep(1000);
    const lastAt = Math.max(t0, ...conns.flatMap((c) => c.items.map((x) => x.at)));
    const seconds = (lastAt - t0) / 1000;
    const counts = conns.map((c) => c.items.length);
    const keys0 = new Set(conns[0].items.map((x) => x.key));
    const complete = conns.every(
      (c) => c.items.length === keys0.size && c.items.every((x) => keys0.has(x.key)),
    );
    const lat = conns.flatMap((c) => c.items.map((x) => x.latency));
    const delivered = counts.reduce((a, b) => a + b, 0);
    return {
      services: n,
      clients,
      rounds,
      eventsPerClient: keys0.size,
      delivered,
      deliveredPerSecond: delivered / seconds,
      allClientsComplete: complete && keys0.size >= n * rounds,
      latencyMs: {
        median: summarize(lat).median,
        p95: percentile(lat, 95),
        max: lat.length ? Math.max(...lat) : null,
      },
    };
  } finally {
    for (const c of conns) c.ws.terminate();
    await v.finish();
    killTagged(tag);
    fs.rmSync(v.dir, { recursive: true, force: true });
    untrackDir(v.dir);
  }
}

/** Probe timestamps per service from Vigil's history between `from` and `to` (epoch ms). */
function probeGaps(dataDir, from, to, skip) {
  const db = new Database(path.join(dataDir, 'vigil.db'), { readonly: true });
  try {
    const rows = db
      .prepare(
        'SELECT s.name AS name, p.ts AS ts FROM probes p JOIN services s ON s.id = p.service_id WHERE p.ts BETWEEN ? AND ? ORDER BY s.name, p.ts',
      )
      .all(from, to);
    const gaps = [];
    let prev = null;
    for (const r of rows) {
      if (r.name === skip) continue;
      if (prev && prev.name === r.name) gaps.push(r.ts - prev.ts);
      prev = r;
    }
    return { probes: rows.length, gaps };
  } finally {
    db.close();
  }
}

/** One service floods its output at `mbps` MB/s for `seconds`; Vigil's memory and the others' probes. */
export async function flood({ n, mbps, seconds, basePort, tag, log }) {
  const services = makeServices(n, basePort, tag);
  const flooder = makeServices(n + 1, basePort, tag, { FLOOD_BPS: String(mbps * MB) })[n];
  const intervalMs = 1000;
  const v = await startVigil([...services, flooder], { healthIntervalMs: intervalMs }, log);
  try {
    const target = await health(flooder.port);
    if (!target) throw new Error('the flooding service does not answer');
    const rssBase = [];
    for (let i = 0; i < 6; i += 1) {
      rssBase.push(rssBytes(v.pid) ?? 0);
      await sleep(500);
    }
    const readBefore = readChars(v.pid);
    const t0 = nowMs();
    process.kill(target.pid, 'SIGUSR2');
    let rssMax = 0;
    const probeMs = [];
    const others = services.map((s) => s.port);
    for (let i = 0; nowMs() < t0 + seconds * 1000 && i < seconds * 20; i += 1) {
      rssMax = Math.max(rssMax, rssBytes(v.pid) ?? 0);
      const port = others[i % others.length];
      const s = nowMs();
      const r = await get(port, '/health', 2000);
      if (r.status === 200) probeMs.push(nowMs() - s);
      await sleep(s + 250 - nowMs());
    }
    const t1 = nowMs();
    const readAfter = readChars(v.pid);
    try {
      process.kill(target.pid, 'SIGUSR2');
    } catch {
      // restarted meanwhile: the new instance is not flooding
    }
    await sleep(2000);
    const rssAfter = rssBytes(v.pid);
    await v.finish();
    const g = probeGaps(v.handle.dataDir, Math.floor(t0), Math.ceil(t1), flooder.name);
    return {
      targetMBps: mbps,
      seconds: (t1 - t0) / 1000,
      readMBps:
        readBefore !== null && readAfter !== null
          ? (readAfter - readBefore) / MB / ((t1 - t0) / 1000)
          : null,
      rssBeforeMB: summarize(rssBase).median / MB,
      rssMaxMB: rssMax / MB,
      rssGrowthMB: (rssMax - summarize(rssBase).median) / MB,
      rssAfterMB: rssAfter === null ? null : rssAfter / MB,
      otherProbeMs: summarize(probeMs),
      probeIntervalMs: intervalMs,
      vigilProbeGapMs: { ...summarize(g.gaps), p95: percentile(g.gaps, 95) },
    };
  } finally {
    await v.finish().catch(() => {});
    killTagged(tag);
    fs.rmSync(v.dir, { recursive: true, force: true });
    untrackDir(v.dir);
  }
}

async function attempt(name, fn, log) {
  try {
    return await fn();
  } catch (err) {
    log(`${name} failed: ${err.message}`);
    return { error: err.message };
  }
}

export async function runVigilOnly({ quick, basePort, tag, log }) {
  const store = await attempt('SQLite', () => storeRate(quick ? 100_000 : 500_000), log);
  log(`SQLite: ${store.error ?? `${Math.round(store.rowsPerSecond)} rows/s`}`);
  const fan = await attempt(
    'fan-out',
    () =>
      fanout({ n: quick ? 10 : 100, rounds: quick ? 10 : 50, basePort, tag: `${tag}-fan`, log }),
    log,
  );
  log(
    `fan-out: ${fan.error ?? `${fan.eventsPerClient} events to each of ${fan.clients} clients, median latency ${fan.latencyMs.median?.toFixed(0)} ms`}`,
  );
  const fl = await attempt(
    'flood',
    () => flood({ n: 10, mbps: 50, seconds: quick ? 5 : 15, basePort, tag: `${tag}-flood`, log }),
    log,
  );
  log(
    `flood: ${fl.error ?? `read ${fl.readMBps?.toFixed(1)} MB/s, RSS +${fl.rssGrowthMB.toFixed(1)} MB`}`,
  );
  return { store, fanout: fan, flood: fl };
}
