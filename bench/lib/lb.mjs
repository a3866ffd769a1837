// The load-balancing section (`npm run bench -- --lb`): one small HTTP app, three instances, and
// the same load through each way of spreading it: Vigil's balancer on the supervisor's event loop
// and on a worker thread, a real `vigil up` running the app with `replicas: 3` behind its front
// `port` (the product path: Vigil starts, probes and balances its own three instances), nginx and
// HAProxy (round robin, keep-alive to the instances, one worker
// each like Vigil's one thread), PM2 cluster mode (its own three processes sharing one port), and
// straight to one instance (the floor). Figures: requests/s at 32 connections, and latency at one
// connection (one request at a time), from which the added latency is read against the floor;
// Vigil's probe punctuality and CPU while it carries the load. See docs/PERFORMANCE.md.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { VIGIL_BIN, vigilNodeFlags } from '../../bin/node-flags.mjs';
import {
  killTagged,
  trackDir,
  trackGroup,
  trackPid,
  untrackDir,
  untrackGroup,
  untrackPid,
} from './guard.mjs';
import { get, sleep } from './http.mjs';
import { findFreeBlock } from './ports.mjs';
import { CLK_TCK, descendants, processTable, readStat } from './procfs.mjs';
import { cleanEnv, killGroup, run, start, waitExit } from './spawn.mjs';
import { BENCH_DIR, REPO_ROOT } from './workload.mjs';
import { LB_LABELS, LB_SYSTEMS, fmt, probeLateness, summarizeLb } from './lb-report.mjs';

export { LB_LABELS, LB_SYSTEMS, lbMarkdown, probeLateness, summarizeLb } from './lb-report.mjs';

const PM2_BIN = path.join(REPO_ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const LOAD = path.join(BENCH_DIR, 'lb', 'load.mjs');
const APP = path.join(BENCH_DIR, 'lb', 'app.mjs');
const PATH = '/';
const INSTANCES = 3;
/** How often `vigil up` probes each of its instances: the same 100 ms as the probe loop of
 * `vigil-lb.ts`, so that the punctuality rows compare. */
export const UP_PROBE_MS = 100;

function which(cmd) {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    const f = path.join(dir, cmd);
    if (fs.existsSync(f)) return f;
  }
  return null;
}

function version(cmd, args, re) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? null;
}

async function waitAnswer(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await get(port, '/health', 500);
    if (r.status === 200) return true;
    await sleep(50);
  }
  return false;
}

async function bundleVigil(dir) {
  const { build } = await import('esbuild');
  const outfile = path.join(dir, 'vigil-lb.cjs');
  await build({
    entryPoints: [path.join(BENCH_DIR, 'lb', 'vigil-lb.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
  return outfile;
}

export function nginxConfig(dir, front, ports) {
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/nginx-body;
  proxy_temp_path ${dir}/nginx-proxy;
  fastcgi_temp_path ${dir}/nginx-fastcgi;
  uwsgi_temp_path ${dir}/nginx-uwsgi;
  scgi_temp_path ${dir}/nginx-scgi;
  upstream app {
${ports.map((p) => `    server 127.0.0.1:${p};`).join('\n')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${front};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
}

export function haproxyConfig(front, ports) {
  return `global
  maxconn 4096
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  option forwardfor
frontend front
  bind 127.0.0.1:${front}
  default_backend app
backend app
  balance roundrobin
  http-reuse always
${ports.map((p, i) => `  server s${i} 127.0.0.1:${p}`).join('\n')}
`;
}

/** The stack `vigil up` runs: the same app, three instances behind the front port. */
export function vigilUpStack(front, app = APP, node = process.execPath) {
  return `version: 1
services:
  app:
    command: [${JSON.stringify(node)}, ${JSON.stringify(app)}]
    port: ${front}
    replicas: ${INSTANCES}
    health: { http: /health, interval: ${UP_PROBE_MS}ms }
`;
}

/**
 * The probes `vigil up` made of its instances between `from` and `to` (epoch ms), from its own
 * history (read after it stopped, so every row is flushed): per instance, in order.
 */
function probeRows(dataDir, from, to) {
  const db = new Database(path.join(dataDir, 'vigil.db'), { readonly: true });
  try {
    return db
      .prepare(
        'SELECT s.name AS name, p.ts AS ts, p.latency_ms AS latencyMs FROM probes p JOIN services s ON s.id = p.service_id WHERE p.ts BETWEEN ? AND ? ORDER BY s.name, p.ts',
      )
      .all(from, to);
  } finally {
    db.close();
  }
}

export function pm2ClusterConfig(port, tag) {
  const app = {
    name: 'app',
    script: APP,
    exec_mode: 'cluster',
    instances: INSTANCES,
    env: { PORT: String(port), BENCH_TAG: tag },
  };
  return `module.exports = ${JSON.stringify({ apps: [app] }, null, 1)};\n`;
}

async function load(port, connections, seconds, warmup) {
  const r = await run(
    process.execPath,
    [LOAD, String(port), PATH, String(connections), String(seconds), String(warmup)],
    {
      timeoutMs: (seconds + warmup + 30) * 1000,
    },
  );
  const line = r.output.trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    return { error: `load generator: ${r.output.slice(-300)}` };
  }
}

/** Starts one way of balancing; resolves {port, stop(), punctuality?()} or {skip}. */
async function startSystem(name, ctx) {
  const { dir, ports, front, tag, vigilBundle } = ctx;
  switch (name) {
    case 'direct':
      return { port: ports[0], stop: async () => {} };
    case 'vigil':
    case 'vigil-worker':
    case 'vigil-tcp': {
      let readyPort = null;
      const h = start(
        process.execPath,
        [
          vigilBundle,
          name === 'vigil' ? 'inproc' : 'worker',
          String(front),
          ports.join(','),
          '100',
        ],
        {
          env: cleanEnv({ BENCH_TAG: tag }),
          onLine: (l) => {
            if (l.startsWith('ready ')) readyPort = Number(l.slice(6));
            else if (l.startsWith('{')) h.result = JSON.parse(l);
          },
        },
      );
      for (let i = 0; i < 200 && readyPort === null; i += 1) await sleep(50);
      if (readyPort === null) throw new Error(`${name} did not start: ${h.output()}`);
      return {
        port: readyPort,
        handle: h,
        cpuPids: () => [h.pid],
        stop: () => stopHandle(h),
      };
    }
    case 'vigil-up': {
      // A fresh stack and data directory each round: the history holds only this round's probes.
      ctx.upRuns = (ctx.upRuns ?? 0) + 1;
      const upDir = path.join(dir, `vigil-up-${ctx.upRuns}`);
      fs.mkdirSync(upDir);
      const file = path.join(upDir, 'vigil.yaml');
      fs.writeFileSync(file, vigilUpStack(front));
      const dataDir = path.join(upDir, 'data');
      // Its instances inherit the tag: whatever it would leave behind is found and killed.
      const upTag = `${tag}-up-${ctx.upRuns}`;
      const h = start(
        process.execPath,
        [...vigilNodeFlags(), VIGIL_BIN, 'up', '-f', file, '--port', '0', '--data-dir', dataDir],
        { cwd: upDir, env: cleanEnv({ BENCH_TAG: upTag }) },
      );
      const stop = async () => {
        try {
          process.kill(h.pid, 'SIGTERM');
        } catch {
          // gone
        }
        await waitExit(h, 20_000);
        killGroup(h.pid);
        killTagged(upTag);
      };
      // Ready when the front port has answered from three different instances.
      const pids = new Set();
      const deadline = Date.now() + 30_000;
      while (pids.size < INSTANCES && Date.now() < deadline) {
        const a = await get(front, '/health', 500);
        try {
          if (a.status === 200) pids.add(JSON.parse(a.body).pid);
        } catch {
          // not the app's answer
        }
        if (a.status !== 200) await sleep(50);
      }
      if (pids.size < INSTANCES) {
        await stop();
        throw new Error(`vigil up: ${pids.size} of ${INSTANCES} instances answered: ${h.output()}`);
      }
      return {
        port: front,
        // The `vigil up` process: supervisor and balancer in one (its instances are the app).
        cpuPids: () => [h.pid],
        stop,
        probes: (from, to) => probeLateness(probeRows(dataDir, from, to), UP_PROBE_MS),
      };
    }
    case 'nginx': {
      const bin = which('nginx');
      if (!bin) return { skip: 'nginx is not installed (Debian: nginx-light)' };
      const conf = path.join(dir, 'nginx.conf');
      fs.writeFileSync(conf, nginxConfig(dir, front, ports));
      const h = start(bin, ['-p', dir, '-c', conf, '-e', path.join(dir, 'nginx-error.log')], {
        env: cleanEnv({ BENCH_TAG: tag }),
      });
      if (!(await waitAnswer(front, 10_000))) {
        killGroup(h.pid);
        throw new Error(
          `nginx did not answer: ${h.output()} ${readIf(path.join(dir, 'nginx-error.log'))}`,
        );
      }
      return {
        port: front,
        cpuPids: () => [h.pid, ...descendants(processTable(), h.pid)],
        stop: () => stopHandle(h),
      };
    }
    case 'haproxy': {
      const bin = which('haproxy');
      if (!bin) return { skip: 'haproxy is not installed' };
      const conf = path.join(dir, 'haproxy.cfg');
      fs.writeFileSync(conf, haproxyConfig(front, ports));
      const h = start(bin, ['-f', conf, '-db'], { env: cleanEnv({ BENCH_TAG: tag }) });
      if (!(await waitAnswer(front, 10_000))) {
        killGroup(h.pid);
        throw new Error(`haproxy did not answer: ${h.output()}`);
      }
      return { port: front, cpuPids: () => [h.pid], stop: () => stopHandle(h) };
    }
    case 'pm2': {
      if (!fs.existsSync(PM2_BIN))
        return { skip: 'node_modules/pm2 is missing: run `npm install`' };
      const home = path.join(dir, 'pm2home');
      fs.mkdirSync(home, { recursive: true });
      const file = path.join(dir, 'ecosystem.config.cjs');
      fs.writeFileSync(file, pm2ClusterConfig(front, tag));
      const env = cleanEnv({ PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: 'true', FORCE_COLOR: '0' });
      // The daemon leaves the CLI's process group: note it (and its group, its workers) as soon as
      // its pid file is there, so that an interrupted run kills it too.
      const pidFile = path.join(home, 'pm2.pid');
      let tracked = null;
      const watch = setInterval(() => {
        const pid = Number(readIf(pidFile).trim());
        if (Number.isInteger(pid) && pid > 1) {
          tracked = pid;
          trackPid(pid);
          trackGroup(pid);
          clearInterval(watch);
        }
      }, 20);
      const r = await run(process.execPath, [PM2_BIN, 'start', file], {
        cwd: dir,
        env,
        timeoutMs: 60_000,
      });
      const kill = async () => {
        clearInterval(watch);
        await run(process.execPath, [PM2_BIN, 'kill'], { cwd: dir, env, timeoutMs: 30_000 });
        const pid = tracked ?? Number(readIf(pidFile).trim());
        if (Number.isInteger(pid) && pid > 1) {
          for (const target of [-pid, pid]) {
            try {
              process.kill(target, 'SIGKILL');
            } catch {
              // gone
            }
          }
          untrackPid(pid);
          untrackGroup(pid);
        }
      };
      if (!(await waitAnswer(front, 20_000))) {
        await kill();
        throw new Error(`PM2 cluster did not answer: ${r.output.slice(-500)}`);
      }
      // all three workers up: each answers /health with its own pid
      const pids = new Set();
      for (let i = 0; i < 100 && pids.size < INSTANCES; i += 1) {
        const a = await get(front, '/health', 500);
        try {
          pids.add(JSON.parse(a.body).pid);
        } catch {
          // starting
        }
      }
      // In cluster mode the daemon's master process accepts every connection and hands it to a
      // worker: its CPU is what the balancing costs (the workers are the app).
      const daemon = Number(readIf(pidFile).trim());
      return {
        port: front,
        cpuPids: () => [daemon],
        stop: kill,
        note: `${pids.size} workers answered`,
      };
    }
    default:
      throw new Error(`unknown system ${name}`);
  }
}

/** Kills a started system's process group and waits (bounded) until its leader has exited, so
 * that the front port is free for the next one. */
async function stopHandle(h) {
  killGroup(h.pid);
  await Promise.race([h.exited, sleep(5000)]);
}

/** Signals a Vigil process; one that died says why (the tail of its output). */
function signal(h, sig) {
  try {
    process.kill(h.pid, sig);
  } catch {
    throw new Error(`the balancer's process exited early: ${h.output().slice(-400)}`);
  }
}

/** utime + stime of the processes, in clock ticks. */
function cpuTicks(pids) {
  let t = 0;
  for (const pid of pids) {
    const st = readStat(pid);
    if (st) t += st.utime + st.stime;
  }
  return t;
}

function readIf(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Runs the section. `quick`: 2 rounds of 4 s loads; else 3 rounds of 10 s. Resolves the raw
 * figures per system (medians over rounds) and the punctuality figures.
 */
export async function runLb({ quick, tag, log }) {
  const loadAtStart = os.loadavg()[0];
  const rounds = quick ? 2 : 3;
  const seconds = quick ? 4 : 10;
  const warmup = quick ? 1 : 2;
  const connections = 32;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-lb-'));
  trackDir(dir);
  const base = await findFreeBlock(INSTANCES + 2);
  const ports = Array.from({ length: INSTANCES }, (_, i) => base + i);
  const front = base + INSTANCES;
  const instances = ports.map((p) =>
    start(process.execPath, [APP], { env: cleanEnv({ PORT: String(p), BENCH_TAG: tag }) }),
  );
  const skipped = {};
  const failures = [];
  const raw = Object.fromEntries(LB_SYSTEMS.map((s) => [s, []]));
  const punctuality = {
    idle: null,
    vigil: [],
    'vigil-worker': [],
    'vigil-tcp': [],
    'vigil-up': [],
  };
  try {
    for (const p of ports)
      if (!(await waitAnswer(p, 15_000))) throw new Error(`instance ${p} did not start`);
    const vigilBundle = await bundleVigil(dir);
    const ctx = { dir, ports, front, tag, vigilBundle };

    // The probe loop with no traffic at all: the floor of its punctuality.
    {
      const s = await startSystem('vigil', ctx);
      await sleep(1000);
      signal(s.handle, 'SIGHUP');
      await sleep((seconds + warmup) * 1000);
      signal(s.handle, 'SIGUSR2');
      await s.handle.exited;
      punctuality.idle = s.handle.result ?? null;
      await s.stop();
    }

    for (let round = 0; round < rounds; round += 1) {
      const order = [
        ...LB_SYSTEMS.slice(round % LB_SYSTEMS.length),
        ...LB_SYSTEMS.slice(0, round % LB_SYSTEMS.length),
      ];
      for (const name of order) {
        if (skipped[name]) continue;
        const s = await startSystem(name, ctx);
        if (s.skip) {
          skipped[name] = s.skip;
          log(`${LB_LABELS[name]}: skipped (${s.skip})`);
          continue;
        }
        let stopped = false;
        try {
          if (s.handle) signal(s.handle, 'SIGHUP');
          const pids = s.cpuPids?.() ?? [];
          const cpu0 = cpuTicks(pids);
          const wall0 = Date.now();
          const perf0 = performance.now();
          const thr = await load(s.port, connections, seconds, warmup);
          const cpu1 = cpuTicks(pids);
          // CPU of the balancer itself per request answered (warm-up included on both sides)
          thr.cpuUsPerRequest =
            pids.length > 0 && thr.answered > 0
              ? (((cpu1 - cpu0) / CLK_TCK) * 1e6) / thr.answered
              : null;
          const lat = await load(s.port, 1, Math.max(2, seconds / 2), 0.5);
          if (s.handle) {
            signal(s.handle, 'SIGUSR2');
            await Promise.race([s.handle.exited, sleep(5000)]);
            punctuality[name].push(s.handle.result ?? null);
          }
          if (s.probes) {
            // `vigil up`: its CPU over both loads, its probes from its history once it stopped.
            const cpuPercent =
              (((cpuTicks(pids) - cpu0) / CLK_TCK) * 1000 * 100) / (performance.now() - perf0);
            const wall1 = Date.now();
            await s.stop();
            stopped = true;
            punctuality[name].push({ ...s.probes(wall0, wall1), cpuPercent });
          }
          raw[name].push({ thr, lat });
          log(
            `round ${round + 1}/${rounds} ${LB_LABELS[name]}: ${Math.round(thr.rps)} req/s, ${fmt(thr.cpuUsPerRequest, 0)} µs CPU each (p50 ${fmt(thr.p50)} ms, p99 ${fmt(thr.p99)} ms, ${thr.errors} errors); one at a time p50 ${fmt(lat.p50)} ms, p99 ${fmt(lat.p99)} ms`,
          );
        } catch (err) {
          failures.push(`round ${round + 1} ${LB_LABELS[name]}: ${err.message}`);
          log(`round ${round + 1}/${rounds} ${LB_LABELS[name]}: FAILED: ${err.message}`);
        } finally {
          if (!stopped) await s.stop();
        }
        await sleep(500);
      }
    }
  } finally {
    for (const h of instances) killGroup(h.pid);
    fs.rmSync(dir, { recursive: true, force: true });
    untrackDir(dir);
  }
  const versions = {
    nginx: version(which('nginx') ?? 'nginx', ['-v'], /nginx\/(\S+)/),
    haproxy: version(which('haproxy') ?? 'haproxy', ['-v'], /version (\S+)/),
    pm2:
      JSON.parse(readIf(path.join(REPO_ROOT, 'node_modules/pm2/package.json')) || '{}').version ??
      null,
  };
  const res = summarizeLb({
    raw,
    punctuality,
    skipped,
    rounds,
    seconds,
    connections,
    versions,
    quick,
  });
  return { ...res, failures, loadAverage: { start: loadAtStart, end: os.loadavg()[0] } };
}
