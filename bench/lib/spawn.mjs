// Starting commands for the suite: each in its own process group (killed as a group at the end),
// output drained so no pipe ever blocks a supervisor, the last lines kept for error messages.
import { spawn } from 'node:child_process';
import { trackGroup, untrackGroup } from './guard.mjs';

const TAIL_CHARS = 4000;

/** Environment for a supervisor or CLI: the suite's own, without any BENCH_* variable. */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BENCH_')) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Spawns `cmd args` detached (its own process group). `onLine` gets each stdout line when given.
 * Returns `{child, pid, exited, output()}`; `exited` resolves `{code, signal}` and never rejects.
 */
export function start(cmd, args, { cwd, env, onLine } = {}) {
  const child = spawn(cmd, args, {
    cwd,
    env: env ?? cleanEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid) trackGroup(child.pid);
  let tail = '';
  const keep = (d) => {
    tail = (tail + d).slice(-TAIL_CHARS);
  };
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    keep(d);
    if (!onLine) return;
    partial += d;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      onLine(line);
    }
    if (partial.length > 1_000_000) partial = '';
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => {
    child.once('error', (err) => resolve({ code: null, signal: null, error: err.message }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, pid: child.pid ?? null, exited, output: () => tail };
}

/** Kills a group started by `start` (SIGKILL) and forgets it. */
export function killGroup(pid) {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
  untrackGroup(pid);
}

/** Resolves with the exit of `handle`, or `null` after `timeoutMs`. */
export async function waitExit(handle, timeoutMs) {
  let timer;
  const t = new Promise((r) => (timer = setTimeout(() => r(null), timeoutMs)));
  const r = await Promise.race([handle.exited, t]);
  clearTimeout(timer);
  return r;
}

/** Runs a command to completion (bounded by `timeoutMs`, then killed); resolves `{code, output}`. */
export async function run(cmd, args, opts = {}) {
  const h = start(cmd, args, opts);
  const r = await waitExit(h, opts.timeoutMs ?? 60_000);
  if (r === null) killGroup(h.pid);
  else untrackGroup(h.pid);
  return { code: r?.code ?? null, timedOut: r === null, output: h.output() };
}
