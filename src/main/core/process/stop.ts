/**
 * Stopping a service: its stop signal to the whole process group, a bounded wait for the leader to
 * exit and the group to empty, SIGKILL for what is left, then SIGKILL for escaped descendants
 * (found by their marker). Works when the leader is already dead and leftovers remain.
 */
import { PROC_AVAILABLE, isAlive, isDeadState, procTable } from './procfs.js';
import { findMarkedShared } from './marker.js';
import type { ServiceProcess } from './spawn.js';

export interface StopResult {
  /** True when nothing had to be SIGKILLed in the group. */
  graceful: boolean;
  tookMs: number;
  /** Processes other than the leader that had to be killed (group leftovers and escapees). */
  killedDescendants: number;
}

export interface StopOptions {
  /** Called once when the stop takes longer than `slowAfterMs`. */
  onSlow?: (waitedMs: number) => void;
  /** Default 2000. */
  slowAfterMs?: number;
}

const POLL_MS = 25;
/** How long to wait for the kernel to finish a SIGKILL before giving up on waiting. */
const AFTER_KILL_WAIT_MS = 5_000;

/** Live (non-zombie) members of process group `pgid`; none when the group is gone. */
export function groupMembers(pgid: number): number[] {
  if (!(pgid > 0)) return [];
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return [];
    // No process groups on this platform: the leader is all that can be known.
    if (code !== 'EPERM') return isAlive(pgid) ? [pgid] : [];
  }
  // Without /proc the members cannot be listed: the group is known to be non-empty.
  if (!PROC_AVAILABLE) return [pgid];
  // Something is in the group: zombies count as gone, so look at the states. A table shared with
  // concurrent stops may predate the group's newest members: "empty" is confirmed on a fresh one.
  const live = (maxAgeMs: number): number[] =>
    procTable(maxAgeMs)
      .filter((s) => s.pgid === pgid && !isDeadState(s.state))
      .map((s) => s.pid);
  const members = live(POLL_MS);
  return members.length > 0 ? members : live(0);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export async function stopService(
  proc: ServiceProcess,
  signal: NodeJS.Signals,
  timeoutMs: number,
  opts: StopOptions = {},
): Promise<StopResult> {
  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  if (!(proc.pid > 0)) return { graceful: true, tookMs: 0, killedDescendants: 0 };

  const slowAfter = opts.slowAfterMs ?? 2_000;
  let slowTold = false;
  const checkSlow = (): void => {
    if (slowTold || !opts.onSlow || elapsed() < slowAfter) return;
    slowTold = true;
    try {
      opts.onSlow(elapsed());
    } catch {
      // the caller's message failing must not break the stop
    }
  };
  const done = (): boolean => proc.exitInfo !== null && groupMembers(proc.pid).length === 0;
  const waitUntil = async (deadline: number): Promise<boolean> => {
    for (;;) {
      if (done()) return true;
      const left = deadline - elapsed();
      if (left <= 0) return false;
      let step = Math.min(POLL_MS, left);
      if (!slowTold && opts.onSlow) step = Math.min(step, Math.max(1, slowAfter - elapsed()));
      await (proc.exitInfo === null ? Promise.race([proc.exited, delay(step)]) : delay(step));
      checkSlow();
    }
  };

  let graceful = true;
  let killed = 0;
  if (!done()) {
    proc.signalGroup(signal);
    if (!(await waitUntil(Math.max(0, timeoutMs)))) {
      graceful = false;
      killed += groupMembers(proc.pid).filter((pid) => pid !== proc.pid).length;
      proc.signalGroup('SIGKILL');
      await waitUntil(elapsed() + AFTER_KILL_WAIT_MS);
    }
  }
  // Escaped descendants (left the group): SIGKILL, and wait (bounded) until they are gone so that
  // what they held (ports, files) is free when this resolves. The scan is shared with every stop
  // in progress (a whole shutdown wave reads /proc once, not once a service).
  const escaped = (await findMarkedShared(proc.marker)).filter((pid) => {
    try {
      process.kill(pid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  });
  killed += escaped.length;
  const until = elapsed() + AFTER_KILL_WAIT_MS;
  while (escaped.some(isAlive) && elapsed() < until) await delay(POLL_MS);
  return { graceful, tookMs: Math.round(elapsed()), killedDescendants: killed };
}
