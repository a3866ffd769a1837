import { afterEach, describe, expect, it } from 'vitest';
import { countTree, processLimitWatcher } from './limits.js';
import { findMarked } from './marker.js';
import { usePidsCgroups } from './cgroup.js';
import { Spawned, sh, waitFor } from './fixtures/harness.js';
import type { ServiceProcess } from './spawn.js';

const run = new Spawned();
afterEach(() => run.cleanup());

// Both forkers are bounded for the test's sake (count and lifetime of every process).
// Forks as fast as the shell can, one process after the other (3000 if nothing stopped it).
const FORKER = 'i=0; while [ $i -lt 3000 ]; do sleep 20 & i=$((i + 1)); done; wait';
// A binary tree of shells 9 levels deep: about 2000 processes if nothing stopped it.
const BOMB = 'f() { if [ "$1" -gt 0 ]; then f $(($1 - 1)) & f $(($1 - 1)) & fi; sleep 20; }; f 9';

/** Runs `script` with a bound of 20 while a 10 ms timer counts its ticks. */
async function contained(
  script: string,
): Promise<{ proc: ServiceProcess; hits: number[]; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 10);
  try {
    const hits: number[] = [];
    const { proc } = run.spawn({
      name: 'bomb',
      command: sh(script),
      maxProcesses: 20,
      onProcessLimit: (n) => hits.push(n),
    });
    // With a pids cgroup the kernel refuses the forks and the service may die of that itself;
    // otherwise Vigil's SIGKILL ends it. Either way the bound was reported and nothing is left.
    await waitFor(() => hits.length > 0, 10_000, 'the bound reported', 50);
    await proc.exited;
    await waitFor(
      () =>
        countTree(proc.pid) === 0 &&
        findMarked(proc.marker).length === 0 &&
        processLimitWatcher.size === 0,
      10_000,
      'every process gone and the watcher done with it',
      100,
    );
    return { proc, hits, ticks };
  } finally {
    clearInterval(timer);
  }
}

describe('process limit', () => {
  it('contains a service that forks endlessly and keeps the event loop responsive', async () => {
    const { proc, hits, ticks } = await contained(FORKER);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toBeGreaterThan(20);
    expect(proc.processLimitHit).toBe(hits[0]);
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('contains an exponential fork bomb', async () => {
    const { proc, hits } = await contained(BOMB);
    expect(hits).toHaveLength(1);
    expect(proc.processLimitHit).toBeGreaterThan(20);
  });

  it('without a pids cgroup, contains an endless forker by watching /proc', async () => {
    usePidsCgroups(false);
    try {
      const { proc, hits, ticks } = await contained(FORKER);
      expect(proc.processBound).not.toBe('cgroup');
      expect(proc.exitInfo?.signal).toBe('SIGKILL');
      expect(hits).toHaveLength(1);
      expect(hits[0]).toBeGreaterThan(20);
      expect(ticks).toBeGreaterThanOrEqual(5);
    } finally {
      usePidsCgroups(true);
    }
  });

  it('leaves a service alone while it stays within its bound', async () => {
    const hits: number[] = [];
    const { proc, out } = run.spawn({
      command: sh('sleep 0.3 & sleep 0.3 & wait; echo done'),
      maxProcesses: 5,
      onProcessLimit: (n) => hits.push(n),
    });
    expect(proc.processBound).not.toBeNull();
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    await waitFor(() => out.text().includes('done'), 5_000, 'output');
    expect(hits).toEqual([]);
    await waitFor(() => processLimitWatcher.size === 0, 5_000, 'watcher done with it');
  });

  it('countTree counts the leader, its descendants and its group', async () => {
    const { proc, out } = run.spawn({ command: sh('sleep 20 & sleep 20 & echo up; wait') });
    await waitFor(() => out.text().includes('up'), 5_000, 'up');
    expect(countTree(proc.pid)).toBe(3);
    proc.signalGroup('SIGKILL');
    await proc.exited;
    await waitFor(() => countTree(proc.pid) === 0, 5_000, 'group gone');
  });
});
