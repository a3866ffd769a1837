import { afterEach, describe, expect, it } from 'vitest';
import { stopService, groupMembers } from './stop.js';
import { findMarked, killMarked } from './marker.js';
import { isAlive } from './procfs.js';
import { NODE, Spawned, argv, fixture, sh, treePids, waitFor } from './fixtures/harness.js';

const run = new Spawned();
afterEach(() => run.cleanup());

describe('stopService', () => {
  it('stops a service gracefully with its stop signal', async () => {
    const { proc, out } = run.spawn({
      command: sh('trap "echo bye; exit 0" TERM; echo up; sleep 20 & wait'),
    });
    await waitFor(() => out.text().includes('up'), 5_000, 'ready');
    const r = await stopService(proc, 'SIGTERM', 5_000);
    expect(r.graceful).toBe(true);
    expect(r.killedDescendants).toBe(0);
    expect(proc.exitInfo).toEqual({ code: 0, signal: null });
    expect(groupMembers(proc.pid)).toEqual([]);
    await waitFor(() => out.text().includes('bye'), 5_000, 'trap output');
  });

  it('SIGKILLs a service that ignores SIGTERM after the timeout, and says it is slow once', async () => {
    const { proc, out } = run.spawn({ command: argv(NODE, fixture('ignore-term.mjs')) });
    await waitFor(() => out.text().includes('ready'), 5_000, 'ready');
    const slow: number[] = [];
    const r = await stopService(proc, 'SIGTERM', 400, {
      slowAfterMs: 100,
      onSlow: (waited) => slow.push(waited),
    });
    expect(r.graceful).toBe(false);
    expect(proc.exitInfo).toEqual({ code: null, signal: 'SIGKILL' });
    expect(r.tookMs).toBeGreaterThanOrEqual(400);
    expect(slow).toHaveLength(1);
    expect(slow[0]).toBeGreaterThanOrEqual(100);
    await waitFor(() => out.text().includes('ignoring SIGTERM'), 5_000, 'the SIGTERM arrived');
  });

  it('kills a three-level tree whose setsid grandchild holds stdout, without hanging', async () => {
    const { proc, out } = run.spawn({ command: argv(NODE, fixture('tree.mjs'), '1') });
    await waitFor(() => treePids(out.text()).size === 3, 5_000, 'three levels');
    const pids = treePids(out.text());
    const grandchild = pids.get(3)!;
    expect(groupMembers(proc.pid)).not.toContain(grandchild); // it left the group
    expect(findMarked(proc.marker).sort()).toEqual([...pids.values()].sort());

    const r = await stopService(proc, 'SIGTERM', 5_000);
    expect(r.graceful).toBe(true);
    expect(r.killedDescendants).toBe(1);
    for (const pid of pids.values()) expect(isAlive(pid)).toBe(false);
    expect(findMarked(proc.marker)).toEqual([]);
  });

  it('cleans up leftovers when the leader already died', async () => {
    const { proc, out } = run.spawn({
      command: sh('sleep 20 & echo $!; trap "" TERM; setsid sleep 20 & echo $!; exit 1'),
    });
    expect((await proc.exited).code).toBe(1);
    await waitFor(() => out.lines.length === 2, 5_000, 'pids');
    const [inGroup, escaped] = out.text().map(Number) as [number, number];
    expect(isAlive(inGroup)).toBe(true);
    expect(isAlive(escaped)).toBe(true);

    const r = await stopService(proc, 'SIGTERM', 2_000);
    expect(r.graceful).toBe(true); // plain sleep dies of SIGTERM
    expect(r.killedDescendants).toBe(1); // the escaped one, found by marker
    await waitFor(() => !isAlive(inGroup) && !isAlive(escaped), 5_000, 'leftovers gone');
  });

  it('returns at once for a service that never started', async () => {
    const { proc } = run.spawn({ command: argv('vigil-no-such-command-xyz') });
    expect(await stopService(proc, 'SIGTERM', 1_000)).toEqual({
      graceful: true,
      tookMs: 0,
      killedDescendants: 0,
    });
  });
});

describe('killMarked', () => {
  it('signals only processes carrying the exact marker, never Vigil itself', async () => {
    const a = run.spawn({ command: argv('sleep', '20'), marker: 'svc.aaaa' });
    const b = run.spawn({ command: argv('sleep', '20'), marker: 'svc.aaaabbbb' });
    await waitFor(() => findMarked('svc.aaaa').length === 1, 5_000, 'marked');
    expect(killMarked('svc.aaaa', 'SIGKILL')).toBe(1);
    await a.proc.exited;
    expect(b.proc.exitInfo).toBeNull();
    expect(killMarked('', 'SIGKILL')).toBe(0);
  });
});
