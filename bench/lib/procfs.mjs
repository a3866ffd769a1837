// What the suite reads from Linux /proc: CPU ticks and RSS of a process, the process tree, and
// which processes carry the suite's tag in their environment (to count what a supervisor left
// behind). Parsing is split from reading so it can be tested without /proc.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export const HAS_PROC = process.platform === 'linux' && fs.existsSync('/proc/self/stat');

function sysconf(name, fallback) {
  try {
    const v = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim());
    return Number.isFinite(v) && v > 0 ? v : fallback;
  } catch {
    return fallback;
  }
}

export const CLK_TCK = HAS_PROC ? sysconf('CLK_TCK', 100) : 100;
export const PAGE_SIZE = HAS_PROC ? sysconf('PAGESIZE', 4096) : 4096;

/**
 * Parses the text of /proc/PID/stat. The command name may hold spaces and parentheses, so the
 * fields are read after its last ')'.
 */
export function parseStat(text) {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const pid = Number(text.slice(0, text.indexOf('(')).trim());
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // f[0] is field 3 (state) of proc(5); field k is f[k - 3].
  const num = (k) => Number(f[k - 3]);
  return {
    pid,
    comm,
    state: f[0],
    ppid: num(4),
    pgrp: num(5),
    utime: num(14),
    stime: num(15),
    cutime: num(16),
    cstime: num(17),
    starttime: num(22),
    rssPages: num(24),
  };
}

export function readStat(pid) {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** True while the process exists and is not a zombie (an exited, unreaped process counts as gone). */
export function isRunning(pid) {
  const s = readStat(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X';
}

export function allPids() {
  try {
    return fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

/** Every process's stat, keyed by pid (processes that vanish while reading are skipped). */
export function processTable() {
  const table = new Map();
  for (const pid of allPids()) {
    const s = readStat(pid);
    if (s) table.set(pid, s);
  }
  return table;
}

/** Pids of every descendant of `root` in `table` (not `root` itself). */
export function descendants(table, root) {
  const children = new Map();
  for (const s of table.values()) {
    const list = children.get(s.ppid);
    if (list) list.push(s.pid);
    else children.set(s.ppid, [s.pid]);
  }
  const out = [];
  const stack = [...(children.get(root) ?? [])];
  const seen = new Set();
  while (stack.length > 0 && out.length < 100_000) {
    const pid = stack.pop();
    if (seen.has(pid)) continue;
    seen.add(pid);
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** True when the NUL-separated environment text holds `BENCH_TAG=<value starting with prefix>`. */
export function environHasTag(environText, prefix) {
  return environText.split('\0').some((kv) => kv.startsWith(`BENCH_TAG=${prefix}`));
}

/** Live (non-zombie) processes whose environment carries a BENCH_TAG starting with `prefix`. */
export function taggedPids(prefix) {
  const out = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    let env;
    try {
      env = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (environHasTag(env, prefix) && isRunning(pid)) out.push(pid);
  }
  return out;
}

/** Resident set size in bytes (from /proc/PID/statm), or null when the process is gone. */
export function rssBytes(pid) {
  try {
    const pages = Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return Number.isFinite(pages) ? pages * PAGE_SIZE : null;
  } catch {
    return null;
  }
}

/** Bytes the process has read through read(2)-like calls, pipes included (/proc/PID/io rchar). */
export function readChars(pid) {
  try {
    const m = /^rchar:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
