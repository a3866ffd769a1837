/**
 * Health probes: one attempt to find out whether a service answers. Every probe resolves (never
 * rejects) within about its timeout with a `ProbeResult` whose `detail` a person can read.
 *
 * - `http`: GET http://host:port/path, ok when the status is the expected one.
 * - `default` (a port and no health section): GET /health, /api/health, /status, /ping in turn
 *   (the path that answered 2xx last time first), ok on the first 2xx. A 5xx fails at once (the
 *   endpoint exists and says the service is not well); any other status tries the next path. When
 *   the server answers HTTP on none of the paths, or does not speak HTTP at all (reset, garbage,
 *   silence), the probe falls back to a TCP connect and is ok if that connects. A refused
 *   connection fails at once: a TCP connect would be refused as well. The whole sequence shares
 *   one timeout; until the server has been seen answering HTTP, at most half of it is spent waiting
 *   for an HTTP answer, so that a silent TCP service is still found up in time.
 * - `tcp`: connect and close. `exec`: run a command in its own process group, ok on exit 0.
 * - `log`: ok once the log pattern matched in this run. `process`: ok while the process lives.
 */
import type { ProbeResult, ProbeSpec, ProbeType } from '../../../shared/model.js';
import { runExec } from './exec-probe.js';
import { errorCode, hostPort, httpGet, tcpConnect } from './sockets.js';

export interface ProbeEnv {
  /** Working directory for exec probes. */
  readonly cwd: string;
  /** The complete environment for exec probes. */
  readonly env: Readonly<Record<string, string>>;
  /** Is the service's main process alive (process probe). */
  readonly isAlive: () => boolean;
  /** Has the log pattern matched in this run's output (log probe). */
  readonly logMatched: () => boolean;
}

export interface ProbeRunOptions {
  readonly signal?: AbortSignal;
}

/** A probe with memory between runs (which default path answered). */
export interface ProbeRunner {
  readonly spec: ProbeSpec;
  run(timeoutMs: number, env: ProbeEnv, opts?: ProbeRunOptions): Promise<ProbeResult>;
}

export const DEFAULT_HEALTH_PATHS: readonly string[] = [
  '/health',
  '/api/health',
  '/status',
  '/ping',
];

export const TCP_FALLBACK_DETAIL = 'tcp connect ok (no HTTP health endpoint)';

/** In TCP fallback mode, every this many runs try HTTP again (the service may have grown an endpoint). */
const HTTP_RECHECK_EVERY = 10;

/** How much of a failing response body the detail shows. */
const BODY_IN_DETAIL = 200;

/** What a probe found, before timing is added. */
interface Verdict {
  readonly ok: boolean;
  readonly timedOut?: boolean;
  readonly detail: string;
}

function snippet(body: string): string {
  return body.replace(/\s+/g, ' ').trim().slice(0, BODY_IN_DETAIL);
}

function statusDetail(status: number, path: string, body: string): string {
  const text = snippet(body);
  return text ? `HTTP ${status} ${path}: ${text}` : `HTTP ${status} ${path}`;
}

const timedOut = (timeoutMs: number): Verdict => ({
  ok: false,
  timedOut: true,
  detail: `timed out after ${Math.round(timeoutMs)}ms`,
});
const aborted: Verdict = { ok: false, detail: 'probe aborted' };

async function httpProbe(
  spec: Extract<ProbeSpec, { type: 'http' }>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Verdict> {
  const out = await httpGet({
    host: spec.host,
    port: spec.port,
    path: spec.path,
    headers: spec.headers,
    timeoutMs,
    signal,
    readBody: (status) => status !== spec.expectStatus,
  });
  switch (out.kind) {
    case 'response':
      return out.status === spec.expectStatus
        ? { ok: true, detail: `HTTP ${out.status} ${spec.path}` }
        : { ok: false, detail: statusDetail(out.status, spec.path, out.body) };
    case 'error':
      return { ok: false, detail: `${out.code} ${hostPort(spec.host, spec.port)}` };
    case 'timeout':
      return timedOut(timeoutMs);
    case 'aborted':
      return aborted;
  }
}

async function tcpProbe(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  okDetail: string,
): Promise<Verdict> {
  const out = await tcpConnect(host, port, timeoutMs, signal);
  switch (out.kind) {
    case 'connected':
      return { ok: true, detail: okDetail };
    case 'error':
      return { ok: false, detail: `${out.code} ${hostPort(host, port)}` };
    case 'timeout':
      return timedOut(timeoutMs);
    case 'aborted':
      return aborted;
  }
}

/** The `default` probe's memory: which path answered, and whether the port speaks HTTP at all. */
interface DefaultState {
  preferredPath: string | null;
  /** Has this endpoint ever answered HTTP? Then silence and resets are failures, not "not HTTP". */
  httpSeen: boolean;
  /** Concluded the port does not speak HTTP: probe with TCP only (re-checking now and then). */
  tcpOnly: boolean;
  runsSinceCheck: number;
}

async function defaultProbe(
  spec: Extract<ProbeSpec, { type: 'default' }>,
  state: DefaultState,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<Verdict> {
  const { host, port } = spec;
  const startedAt = performance.now();
  const deadline = startedAt + timeoutMs;
  const left = (): number => deadline - performance.now();

  if (state.tcpOnly && ++state.runsSinceCheck < HTTP_RECHECK_EVERY) {
    return tcpProbe(host, port, timeoutMs, signal, TCP_FALLBACK_DETAIL);
  }
  state.runsSinceCheck = 0;

  const fallback = (): Verdict => {
    state.tcpOnly = true;
    return { ok: true, detail: TCP_FALLBACK_DETAIL };
  };
  const paths =
    state.preferredPath === null
      ? DEFAULT_HEALTH_PATHS
      : [state.preferredPath, ...DEFAULT_HEALTH_PATHS.filter((p) => p !== state.preferredPath)];
  // Until HTTP has been seen here, keep half the budget for concluding "not HTTP".
  const httpDeadline = state.httpSeen ? deadline : startedAt + timeoutMs / 2;

  for (const path of paths) {
    const budget = Math.min(left(), httpDeadline - performance.now());
    if (budget <= 0) break;
    const out = await httpGet({
      host,
      port,
      path,
      timeoutMs: budget,
      signal,
      readBody: (status) => status >= 500,
    });
    switch (out.kind) {
      case 'aborted':
        return aborted;
      case 'response':
        state.httpSeen = true;
        state.tcpOnly = false;
        if (out.status >= 200 && out.status < 300) {
          state.preferredPath = path;
          return { ok: true, detail: `HTTP ${out.status} ${path}` };
        }
        if (out.status >= 500)
          return { ok: false, detail: statusDetail(out.status, path, out.body) };
        continue; // 404 and friends: no health endpoint here, try the next path
      case 'error':
        if (!out.connected || state.httpSeen) {
          return { ok: false, detail: `${out.code} ${hostPort(host, port)}` };
        }
        return fallback(); // it accepted a connection and then did not speak HTTP
      case 'timeout':
        if (state.httpSeen) return timedOut(timeoutMs);
        if (out.connected) return fallback(); // accepts connections, stays silent to HTTP
        // Not even connected: spend what is left on a plain TCP connect.
        if (left() <= 0) return timedOut(timeoutMs);
        return tcpProbe(host, port, left(), signal, TCP_FALLBACK_DETAIL).then((v) =>
          v.timedOut ? timedOut(timeoutMs) : v,
        );
    }
  }
  if (left() <= 0) return timedOut(timeoutMs);
  // Every path answered HTTP without a health endpoint: the server is up.
  return { ok: true, detail: TCP_FALLBACK_DETAIL };
}

async function execProbe(
  spec: Extract<ProbeSpec, { type: 'exec' }>,
  timeoutMs: number,
  env: ProbeEnv,
  signal: AbortSignal | undefined,
): Promise<Verdict> {
  const out = await runExec(spec.command, { cwd: env.cwd, env: env.env, timeoutMs, signal });
  switch (out.kind) {
    case 'exited': {
      const status = out.code !== null ? `exit ${out.code}` : `killed by ${out.signal ?? 'signal'}`;
      return { ok: out.code === 0, detail: out.output ? `${status}: ${out.output}` : status };
    }
    case 'spawn_error':
      return { ok: false, detail: `cannot run ${out.file}: ${out.code}` };
    case 'timeout':
      return {
        ...timedOut(timeoutMs),
        detail:
          `timed out after ${Math.round(timeoutMs)}ms` + (out.output ? `: ${out.output}` : ''),
      };
    case 'aborted':
      return aborted;
  }
}

function logProbe(spec: Extract<ProbeSpec, { type: 'log' }>, env: ProbeEnv): Verdict {
  return env.logMatched()
    ? { ok: true, detail: `log matched /${spec.pattern}/` }
    : { ok: false, detail: `log has not matched /${spec.pattern}/ yet` };
}

function processProbe(env: ProbeEnv): Verdict {
  return env.isAlive()
    ? { ok: true, detail: 'process alive' }
    : { ok: false, detail: 'process not running' };
}

function failure(type: ProbeType, startedAt: number, detail: string): ProbeResult {
  return {
    ok: false,
    timedOut: false,
    latencyMs: performance.now() - startedAt,
    probe: type,
    detail,
    ts: Date.now(),
  };
}

export function createProbeRunner(spec: ProbeSpec): ProbeRunner {
  const state: DefaultState = {
    preferredPath: null,
    httpSeen: false,
    tcpOnly: false,
    runsSinceCheck: 0,
  };

  const verdict = (timeoutMs: number, env: ProbeEnv, signal?: AbortSignal): Promise<Verdict> => {
    if (signal?.aborted) return Promise.resolve(aborted);
    switch (spec.type) {
      case 'http':
        return httpProbe(spec, timeoutMs, signal);
      case 'default':
        return defaultProbe(spec, state, timeoutMs, signal);
      case 'tcp':
        return tcpProbe(
          spec.host,
          spec.port,
          timeoutMs,
          signal,
          `tcp connect ok ${hostPort(spec.host, spec.port)}`,
        );
      case 'exec':
        return execProbe(spec, timeoutMs, env, signal);
      case 'log':
        return Promise.resolve(logProbe(spec, env));
      case 'process':
        return Promise.resolve(processProbe(env));
    }
  };

  return {
    spec,
    async run(timeoutMs, env, opts = {}) {
      const startedAt = performance.now();
      const limit = Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 1;
      try {
        const v = await verdict(limit, env, opts.signal);
        return {
          ok: v.ok,
          timedOut: v.timedOut === true,
          latencyMs: performance.now() - startedAt,
          probe: spec.type,
          detail: v.detail,
          ts: Date.now(),
        };
      } catch (err) {
        // A probe never throws: a bug or a throwing callback is a failed probe with its reason.
        return failure(spec.type, startedAt, `probe error: ${errorCode(err)}`);
      }
    },
  };
}

/** Runners by spec object, so that repeated runs of the same service's probe share their memory. */
const runners = new WeakMap<ProbeSpec, ProbeRunner>();

export function runProbe(
  spec: ProbeSpec,
  timeoutMs: number,
  env: ProbeEnv,
  opts?: ProbeRunOptions,
): Promise<ProbeResult> {
  let runner = runners.get(spec);
  if (!runner) {
    runner = createProbeRunner(spec);
    runners.set(spec, runner);
  }
  return runner.run(timeoutMs, env, opts);
}
