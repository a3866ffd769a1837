/**
 * The one door through which a runner touches processes: start one, stop one (signal, bounded
 * wait, SIGKILL), reap what an exited one left in its group, and sweep escaped descendants by
 * their marker. `realLauncher` is the OS (spawn.ts, stop.ts, marker.ts); tests of the runner use
 * `testing/fake-launcher.ts`, whose processes do what a script says on a fake clock.
 */
import { spawnService, type ServiceProcess, type SpawnRequest } from './spawn.js';
import { groupMembers, stopService, type StopOptions, type StopResult } from './stop.js';
import { killMarkedShared } from './marker.js';

/** A started process, as the runner sees it. */
export type LaunchedProcess = ServiceProcess;

export type OutputSink = (stream: 'stdout' | 'stderr', line: string) => void;

export interface Launcher {
  /** Starts a process in its own group. Never throws for the command's sake: a failed start
   * resolves `exited` with an `error`. */
  spawn(req: SpawnRequest, onOutput: OutputSink): LaunchedProcess;
  /** Its stop signal to the group, a wait up to `timeoutMs`, then SIGKILL; escaped descendants too. */
  stop(
    proc: LaunchedProcess,
    signal: NodeJS.Signals,
    timeoutMs: number,
    opts?: StopOptions,
  ): Promise<StopResult>;
  /** SIGKILL what is left in an exited process's group; resolves once it is empty (bounded). */
  reap(proc: LaunchedProcess): Promise<void>;
  /** SIGKILL every process whose marker satisfies `which`; resolves the pids signalled. */
  sweep(which: (marker: string) => boolean): Promise<number[]>;
}

/** How long a reap waits for the kernel to empty a group. */
const REAP_WAIT_MS = 2_000;

export const realLauncher: Launcher = {
  spawn: (req, onOutput) => spawnService(req, onOutput),
  stop: (proc, signal, timeoutMs, opts = {}) => stopService(proc, signal, timeoutMs, opts),
  async reap(proc) {
    proc.signalGroup('SIGKILL');
    const deadline = performance.now() + REAP_WAIT_MS;
    while (groupMembers(proc.pid).length > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  },
  sweep: (which) => killMarkedShared(which, 'SIGKILL'),
};
