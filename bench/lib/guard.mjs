// Everything the suite starts is registered here and killed by pid or process group when a run
// ends, when the suite fails, and from a process 'exit' hook (Ctrl-C and SIGTERM included). Services
// are also found by the BENCH_TAG in their environment, so a process a supervisor left behind or
// re-spawned is never missed.
import fs from 'node:fs';
import { HAS_PROC, taggedPids } from './procfs.mjs';

const groups = new Set();
const pids = new Set();
const dirs = new Set();
let tagPrefix = null;

/** Makes every process whose BENCH_TAG starts with `prefix` a target of the final cleanup. */
export function setTagPrefix(prefix) {
  tagPrefix = prefix;
}

export function trackGroup(pgid) {
  if (Number.isInteger(pgid) && pgid > 1) groups.add(pgid);
}

export function untrackGroup(pgid) {
  groups.delete(pgid);
}

export function trackPid(pid) {
  if (Number.isInteger(pid) && pid > 1) pids.add(pid);
}

export function untrackPid(pid) {
  pids.delete(pid);
}

/** A temp dir removed by the final cleanup if the run that made it did not remove it. */
export function trackDir(dir) {
  dirs.add(dir);
}

export function untrackDir(dir) {
  dirs.delete(dir);
}

function signal(target, sig) {
  try {
    process.kill(target, sig);
    return true;
  } catch {
    return false;
  }
}

/** Sends `sig` to every process with a BENCH_TAG starting with `prefix`; returns how many. */
export function killTagged(prefix, sig = 'SIGKILL') {
  if (!HAS_PROC) return 0;
  let n = 0;
  for (const pid of taggedPids(prefix)) if (signal(pid, sig)) n += 1;
  return n;
}

/** SIGKILLs everything registered and everything tagged. Synchronous, so the exit hook can use it. */
export function killEverything() {
  for (const g of groups) signal(-g, 'SIGKILL');
  for (const p of pids) signal(p, 'SIGKILL');
  groups.clear();
  pids.clear();
  if (tagPrefix) killTagged(tagPrefix);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

let installed = false;

/** Installs the exit hook and turns SIGINT/SIGTERM/SIGHUP into a cleanup and exit. */
export function installExitHooks() {
  if (installed) return;
  installed = true;
  process.on('exit', killEverything);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping everything it started\n`);
      killEverything();
      process.exit(130);
    });
  }
}
