import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProcessLedger, sweepOrphans } from './ledger.js';
import { findMarked } from './marker.js';
import { isAlive, readStartTime } from './procfs.js';
import { Spawned, sh, waitFor } from './fixtures/harness.js';
import type { ServiceProcess } from './spawn.js';

const run = new Spawned();
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ledger-int-'));
});
afterEach(async () => {
  await run.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

function record(ledger: ProcessLedger, proc: ServiceProcess): void {
  ledger.record({
    service: proc.name,
    pid: proc.pid,
    startTime: proc.startTime,
    command: proc.commandLine,
    marker: proc.marker,
  });
}

/** An unrelated program (no marker), in its own group so the test can clean it up. */
function stranger(): number {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  child.unref();
  run.track(child.pid!);
  return child.pid!;
}

describe('sweepOrphans', () => {
  it('ends a real orphan group and its escaped descendant, then clears the ledger', async () => {
    const { proc, out } = run.spawn({
      name: 'api',
      command: sh('sleep 30 & echo $!; setsid sleep 30 & echo $!; wait'),
    });
    await waitFor(() => out.lines.length === 2, 5_000, 'pids');
    const [inGroup, escaped] = out.text().map(Number) as [number, number];
    record(new ProcessLedger(dir), proc);

    // The next Vigil reads the ledger from disk.
    const next = new ProcessLedger(dir);
    expect(next.entries()).toHaveLength(1);
    const r = await sweepOrphans(next, { graceMs: 2_000 });
    expect(r.skipped).toEqual([]);
    expect(r.killed.map((e) => e.pid)).toEqual([proc.pid]);
    await proc.exited;
    for (const pid of [proc.pid, inGroup, escaped]) expect(isAlive(pid)).toBe(false);
    expect(new ProcessLedger(dir).entries()).toEqual([]);
  });

  it('spares a reused pid: a live process whose start time or command line does not match', async () => {
    const a = stranger();
    const b = stranger();
    await waitFor(() => readStartTime(a) !== null && readStartTime(b) !== null, 5_000, 'started');
    const ledger = new ProcessLedger(dir);
    ledger.record({
      service: 'db',
      pid: a,
      startTime: '1',
      command: 'sleep 30',
      marker: 'db.0001',
    });
    ledger.record({
      service: 'web',
      pid: b,
      startTime: readStartTime(b),
      command: 'node web.js',
      marker: 'web.0002',
    });
    const r = await sweepOrphans(ledger, { graceMs: 500 });
    expect(r.killed).toEqual([]);
    expect(r.skipped.map((s) => [s.entry.service, s.why])).toEqual([
      ['db', expect.stringContaining('start time differs')],
      ['web', expect.stringContaining('command line differs')],
    ]);
    expect(isAlive(a)).toBe(true);
    expect(isAlive(b)).toBe(true);
    expect(ledger.entries()).toEqual([]);
  });

  it('ends escaped descendants by marker when the recorded leader is gone', async () => {
    const { proc, out } = run.spawn({ command: sh('setsid sleep 30 & echo $!') });
    await proc.exited;
    await waitFor(() => out.lines.length === 1, 5_000, 'pid');
    const escaped = Number(out.text()[0]);
    expect(isAlive(escaped)).toBe(true);
    // `$!` is printed as soon as the shell forked: under load the child may still be in its
    // execve, when /proc/PID/environ cannot be read. A real sweep runs long after that moment;
    // the test waits until the descendant carries its marker where a scan can see it.
    await waitFor(() => findMarked(proc.marker).includes(escaped), 5_000, 'the marker readable');
    const ledger = new ProcessLedger(dir);
    record(ledger, proc);
    const r = await sweepOrphans(ledger, { graceMs: 500 });
    expect(r.killed.map((e) => e.pid)).toEqual([proc.pid]);
    await waitFor(() => !isAlive(escaped), 5_000, 'escaped descendant gone');
  });

  it('ends processes of a recorded run that never got an entry, and only those', async () => {
    const runMarker = `vigil-test${process.pid}`;
    const { proc } = run.spawn({ command: sh('sleep 30'), marker: `${runMarker}:api/7` });
    const other = run.spawn({ command: sh('sleep 30'), marker: `vigil-other${process.pid}:api/7` });
    const ledger = new ProcessLedger(dir);
    ledger.beginRun(runMarker);
    // Vigil died before the spawn's own entry was written: only the run is on disk.
    const next = new ProcessLedger(dir);
    expect(next.runs()).toEqual([runMarker]);
    expect(next.entries()).toEqual([]);
    const r = await sweepOrphans(next, { graceMs: 500 });
    expect(r.strays).toContain(proc.pid);
    expect(r.strays).not.toContain(other.proc.pid);
    await proc.exited;
    expect(isAlive(other.proc.pid)).toBe(true);
    expect(new ProcessLedger(dir).runs()).toEqual([]);
  });
});
