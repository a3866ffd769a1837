/**
 * Over 500 lines: the battery's whole shell (processes, API calls, cleanup) in one place, so every
 * battery file uses the same tagging and teardown.
 *
 * The reliability battery's shell: runs `vigil up` as a user does (a real child process with
 * `--json`), talks to its API with full control over headers, and cleans up after itself.
 *
 * Every process a test starts is tagged: Vigil gets `VIGIL_BATTERY_TAG=<tag>` in its environment
 * and its services inherit it, so `Tracker.cleanup()` finds and SIGKILLs exactly what this test
 * file started (by pid, found through /proc/PID/environ), even after Vigil itself was SIGKILLed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { VigilEvent } from '../src/shared/events.js';
import { packageRoot } from '../src/main/cli/paths.js';
import { freePorts, HTTP_SERVICE } from '../src/main/core/testing/fixtures.js';

export const ROOT = packageRoot();
export const BIN = path.join(ROOT, 'bin', 'vigil.js');
export const TAG_ENV = 'VIGIL_BATTERY_TAG';

let built = false;

/**
 * Rebuilds the CLI bundle from the current sources (once per test process, and only when a source
 * is newer than the bundle: test files running in parallel must not rewrite it under each other's
 * running `vigil` processes). With
 * `VIGIL_BATTERY_PREBUILT=1` the existing bundle is used as it is (to run the battery against a
 * build made elsewhere, or a deliberately broken one to check that the battery notices).
 */
export function buildCli(): void {
  if (built || process.env.VIGIL_BATTERY_PREBUILT === '1') return;
  if (bundleIsFresh()) {
    built = true;
    return;
  }
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-cli.mjs')], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`build-cli failed: ${r.stderr}`);
  built = true;
}

/** Newest modification time of the sources the CLI bundle is built from. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|tsx|js|mjs|json)$/.test(entry.name))
      newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** The bundle is newer than every source (npm test builds it first): no need to rebuild. */
function bundleIsFresh(): boolean {
  try {
    const bundle = fs.statSync(path.join(ROOT, 'out', 'cli', 'vigil.js')).mtimeMs;
    const inputs = Math.max(
      newestSource(path.join(ROOT, 'src', 'main')),
      newestSource(path.join(ROOT, 'src', 'shared')),
      fs.statSync(path.join(ROOT, 'scripts', 'build-cli.mjs')).mtimeMs,
      fs.statSync(path.join(ROOT, 'package.json')).mtimeMs,
    );
    return bundle > inputs;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `pred` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
export async function until(
  pred: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 20,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await pred()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

// ─── reading /proc ──────────────────────────────────────────────────────────────────────────────

export const LINUX = process.platform === 'linux' && fs.existsSync('/proc/self/stat');

/** Is a pid alive (a zombie counts as dead)? */
export function alive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    if (LINUX) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

/** Live pids whose environment holds `NAME=value` exactly. */
export function pidsWithEnv(name: string, value: string): number[] {
  if (!LINUX) return [];
  const needle = Buffer.from(`${name}=${value}\0`);
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${entry}/environ`);
      if (
        (env.indexOf(needle) === 0 || env.includes(Buffer.concat([Buffer.from([0]), needle]))) &&
        alive(pid)
      )
        out.push(pid);
    } catch {
      // gone, or not readable
    }
  }
  return out;
}

/** The value of one environment variable of a live process, or null. */
export function envOf(pid: number, name: string): string | null {
  try {
    const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    for (const entry of env.split('\0')) {
      if (entry.startsWith(`${name}=`)) return entry.slice(name.length + 1);
    }
  } catch {
    // gone
  }
  return null;
}

/**
 * Live processes of one service among `pids` (by the `VIGIL_MARKER=<run>:<name>/<generation>`
 * marker).
 */
export function ofService(pids: readonly number[], name: string): number[] {
  return pids.filter(
    (pid) => /:(.*)\/\d+$/.exec(envOf(pid, 'VIGIL_MARKER') ?? '')?.[1] === name && alive(pid),
  );
}

/** Open file descriptors of a process (Linux), or null. */
export function fdCount(pid: number): number | null {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** Resident memory of a process in bytes (Linux), or null. */
export function rssBytes(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Process group of a pid (Linux), or null when it is gone. */
export function pgidOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return null;
  }
}

/** Sockets (TCP) a process holds open, counted from its fds. */
export function socketCount(pid: number): number | null {
  try {
    let n = 0;
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
      } catch {
        // closed meanwhile
      }
    }
    return n;
  } catch {
    return null;
  }
}

// ─── cleanup ────────────────────────────────────────────────────────────────────────────────────

/** What one test file started: killed and removed in afterAll/afterEach. */
export class Tracker {
  readonly tag = `battery-${crypto.randomBytes(6).toString('hex')}`;
  private readonly dirs: string[] = [];
  private readonly groups = new Set<number>();
  private readonly closers: (() => unknown)[] = [];

  tempDir(prefix = 'vigil-battery-'): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** A process group this file leads (a child spawned with `detached: true`). */
  group(pid: number | undefined): void {
    if (pid) this.groups.add(pid);
  }

  onCleanup(fn: () => unknown): void {
    this.closers.push(fn);
  }

  /** Environment for anything this file starts: carries the tag. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, [TAG_ENV]: this.tag, ...extra };
  }

  /** Live processes started by this file (Vigil and every service it ran). */
  tagged(): number[] {
    return pidsWithEnv(TAG_ENV, this.tag);
  }

  /** Kills every process group and tagged process, by pid; then removes the temp dirs. */
  async cleanup(): Promise<void> {
    for (const fn of this.closers.splice(0)) {
      try {
        await fn();
      } catch {
        // best effort
      }
    }
    await this.killAll();
    for (const d of this.dirs.splice(0)) {
      try {
        fs.chmodSync(d, 0o700);
      } catch {
        // gone
      }
      fs.rmSync(d, { recursive: true, force: true });
    }
  }

  async killAll(): Promise<void> {
    for (const g of this.groups) {
      try {
        process.kill(-g, 'SIGKILL');
      } catch {
        // gone
      }
    }
    this.groups.clear();
    for (let round = 0; round < 5; round++) {
      const pids = this.tagged();
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await sleep(50);
    }
  }
}

// ─── a stack on disk ────────────────────────────────────────────────────────────────────────────

export interface Stack {
  readonly dir: string;
  readonly file: string;
  readonly dataDir: string;
  write(yaml: string): void;
}

/** A stack directory with `vigil.yaml` and the given extra files (fixtures by default). */
export function makeStack(t: Tracker, yaml: string, files: Record<string, string> = {}): Stack {
  const dir = t.tempDir('vigil-stack-');
  const dataDir = path.join(dir, '.data');
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const file = path.join(dir, 'vigil.yaml');
  fs.writeFileSync(file, yaml);
  return { dir, file, dataDir, write: (y) => fs.writeFileSync(file, y) };
}

// ─── a running Vigil ────────────────────────────────────────────────────────────────────────────

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  readonly json: unknown;
}

export interface RequestOptions {
  readonly body?: string | Buffer;
  /** Headers to send; `host` and `authorization` default to the right ones unless given. */
  readonly headers?: Record<string, string>;
  /** false: no Authorization header. A string: that token. Default: the right token. */
  readonly token?: string | false;
  readonly timeoutMs?: number;
}

/** Raw HTTP request with full control of headers (fetch would not let us set Host). */
export function request(
  url: string,
  method: string,
  pathAndQuery: string,
  opts: RequestOptions & { defaultToken?: string } = {},
): Promise<HttpAnswer> {
  const u = new URL(url);
  const headers: Record<string, string> = { host: u.host };
  const token = opts.token === undefined ? opts.defaultToken : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(opts.body));
  }
  Object.assign(headers, opts.headers ?? {});
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: Number(u.port),
        method,
        path: pathAndQuery,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export interface VigilApiHandle {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  call(method: string, pathAndQuery: string, opts?: RequestOptions): Promise<HttpAnswer>;
  get(pathAndQuery: string): Promise<HttpAnswer>;
  post(pathAndQuery: string, body?: unknown): Promise<HttpAnswer>;
}

export interface VigilRun {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every event but log lines (those are counted, and kept only with `keepLogs`). */
  readonly events: VigilEvent[];
  readonly stderr: string[];
  logLines: number;
  waitFor(pred: (ev: VigilEvent) => boolean, ms?: number, what?: string): Promise<VigilEvent>;
  next(pred: (ev: VigilEvent) => boolean, ms?: number, what?: string): Promise<VigilEvent>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The API, once Vigil has written its address to the lock file. */
  api(timeoutMs?: number): Promise<VigilApiHandle>;
  /** Service pids seen in lifecycle events. */
  pids(): number[];
  /** When the test received an event (performance.now()), for gaps that the wall clock hides. */
  receivedAt(ev: VigilEvent): number | undefined;
}

export interface RunOptions {
  readonly stack: Stack;
  readonly extraArgs?: readonly string[];
  readonly env?: Record<string, string>;
  /** Keep `log` events in `events` (default false: a flood would fill the test's memory). */
  readonly keepLogs?: boolean;
  /** A command prefix (e.g. `prlimit --nofile=1024 --`) to run Vigil under. */
  readonly wrap?: readonly string[];
  /** `vigil` subcommand arguments instead of `up ...` (then no --json/--port/--data-dir). */
  readonly rawArgs?: readonly string[];
  /** Data directory (default: the stack's). */
  readonly dataDir?: string;
  /** Run as another user (tests running as root use it to make permissions bite). */
  readonly user?: { readonly uid: number; readonly gid: number };
}

export const isReady = (ev: VigilEvent): boolean =>
  ev.type === 'status_update' && ev.event === 'system-ready';

/** Starts `vigil up -f FILE --json --port 0 --data-dir DIR` (or `rawArgs`) as a child process. */
export function runVigil(t: Tracker, opts: RunOptions): VigilRun {
  const dataDir = opts.dataDir ?? opts.stack.dataDir;
  const args = opts.rawArgs
    ? [...opts.rawArgs]
    : [
        'up',
        '-f',
        opts.stack.file,
        '--json',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        ...(opts.extraArgs ?? []),
      ];
  const argv = [...(opts.wrap ?? []), process.execPath, BIN, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.stack.dir,
    env: t.env(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
  });
  t.group(child.pid);
  const events: VigilEvent[] = [];
  const stderr: string[] = [];
  const received = new WeakMap<VigilEvent, number>();
  let waiters: { pred: (ev: VigilEvent) => boolean; resolve: (ev: VigilEvent) => void }[] = [];
  const run: VigilRun = {
    child,
    pid: child.pid ?? 0,
    events,
    stderr,
    logLines: 0,
    exit: new Promise((r) => child.on('exit', (code, signal) => r({ code, signal }))),
    waitFor(pred, ms = 20_000, what = 'event') {
      const found = events.find(pred);
      if (found) return Promise.resolve(found);
      return run.next(pred, ms, what);
    },
    next(pred, ms = 20_000, what = 'event') {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w.resolve !== done);
          reject(
            new Error(
              `timed out after ${ms}ms waiting for ${what}; stderr:\n${stderr.slice(-30).join('\n')}`,
            ),
          );
        }, ms);
        const done = (ev: VigilEvent): void => {
          clearTimeout(timer);
          resolve(ev);
        };
        waiters.push({ pred, resolve: done });
      });
    },
    async api(timeoutMs = 15_000) {
      const lockFile = path.join(dataDir, 'vigil.lock');
      let url: string | null = null;
      const ok = await until(
        () => {
          try {
            const info = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as {
              pid?: number;
              api?: { url?: string };
            };
            if (info.pid === child.pid && info.api?.url) url = info.api.url;
          } catch {
            // not there yet
          }
          return url !== null;
        },
        timeoutMs,
        20,
      );
      if (!ok || url === null)
        throw new Error(`no API address in ${lockFile}; stderr:\n${stderr.join('\n')}`);
      const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
      return apiHandle(url, token);
    },
    receivedAt: (ev) => received.get(ev),
    pids() {
      const out = new Set<number>();
      for (const e of events) if (e.type === 'service_event' && e.pid) out.add(e.pid);
      return [...out];
    },
  };
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    let ev: VigilEvent;
    try {
      ev = JSON.parse(line) as VigilEvent;
    } catch {
      stderr.push(`(stdout) ${line.slice(0, 500)}`);
      return;
    }
    if (ev.type === 'log') {
      run.logLines += 1;
      if (!opts.keepLogs) return;
    }
    received.set(ev, performance.now());
    events.push(ev);
    if (waiters.length > 0)
      waiters = waiters.filter((w) => (w.pred(ev) ? (w.resolve(ev), false) : true));
  });
  readline.createInterface({ input: child.stderr! }).on('line', (l) => {
    if (stderr.length < 5_000) stderr.push(l);
  });
  return run;
}

export function apiHandle(url: string, token: string): VigilApiHandle {
  const port = Number(new URL(url).port);
  const call = (method: string, p: string, o: RequestOptions = {}): Promise<HttpAnswer> =>
    request(url, method, p, { ...o, defaultToken: token });
  return {
    url,
    port,
    token,
    call,
    get: (p) => call('GET', p),
    post: (p, body) => call('POST', p, { body: JSON.stringify(body ?? {}) }),
  };
}

/** Sends SIGTERM and waits (bounded) for the exit; SIGKILLs the group if it does not come. */
export async function stopVigil(
  run: VigilRun,
  timeoutMs = 30_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  try {
    process.kill(run.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  const timer = sleep(timeoutMs).then(() => 'timeout' as const);
  const r = await Promise.race([run.exit, timer]);
  if (r === 'timeout') {
    try {
      process.kill(-run.pid, 'SIGKILL');
    } catch {
      // gone
    }
    throw new Error(`vigil (pid ${run.pid}) did not stop within ${timeoutMs}ms`);
  }
  return r;
}

/** The API view of one service (GET /orchestrator/services/:name). */
export interface ServiceDetail {
  readonly name: string;
  readonly lifecycle: string;
  readonly health: string;
  readonly restart_count: number;
  readonly generation: number;
  readonly pid: number | null;
  readonly [key: string]: unknown;
}

export async function serviceDetail(api: VigilApiHandle, name: string): Promise<ServiceDetail> {
  const r = await api.get(`/orchestrator/services/${name}`);
  if (r.status !== 200) throw new Error(`GET service ${name}: ${r.status} ${r.text}`);
  const body = r.json as { service?: ServiceDetail } & ServiceDetail;
  return body.service ?? body;
}

/**
 * The battery's usual stack: one HTTP service `api` (HTTP_SERVICE, `/health` answers 200) on a
 * free port. `files` adds or replaces files beside it.
 */
export async function oneServiceStack(
  t: Tracker,
  files: Record<string, string> = {},
): Promise<{ readonly stack: Stack; readonly port: number }> {
  const [port] = await freePorts(1);
  const yaml = `version: 1\nservices:\n  api:\n    command: node svc.mjs\n    port: ${port}\n`;
  return { stack: makeStack(t, yaml, { 'svc.mjs': HTTP_SERVICE, ...files }), port: port! };
}

/** Starts `vigil up` (see `runVigil`), waits until the system is ready, and opens its API. */
export async function runUntilReady(
  t: Tracker,
  opts: RunOptions,
  timeoutMs = 20_000,
): Promise<{ readonly run: VigilRun; readonly api: VigilApiHandle }> {
  const run = runVigil(t, opts);
  await run.waitFor(isReady, timeoutMs, 'ready');
  return { run, api: await run.api() };
}
