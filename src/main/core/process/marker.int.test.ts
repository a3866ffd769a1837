import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MARKER_ENV,
  findMarked,
  findMarkedShared,
  killMarkedShared,
  markedProcesses,
  markerOf,
} from './marker.js';
import { PROC_AVAILABLE, isAlive } from './procfs.js';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
});

function sleeper(marker: string): number {
  const c = spawn('sleep', ['30'], {
    env: { ...process.env, [MARKER_ENV]: marker },
    stdio: 'ignore',
  });
  started.push(c);
  return c.pid!;
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe('markerOf', () => {
  it('reads the value of a whole entry only', () => {
    const env = (...e: string[]) => Buffer.from(e.join('\0') + '\0');
    expect(markerOf(env('A=1', `${MARKER_ENV}=run:api/3`, 'B=2'))).toBe('run:api/3');
    expect(markerOf(env(`X_${MARKER_ENV}=no`, 'B=2'))).toBeNull();
    expect(markerOf(Buffer.from(`${MARKER_ENV}=last`))).toBe('last');
    expect(markerOf(Buffer.alloc(0))).toBeNull();
  });
});

describe.skipIf(!PROC_AVAILABLE)('shared marker scans', () => {
  const run = `test-${process.pid}-${Date.now()}`;

  it('finds exactly the processes of a marker, like the synchronous scan', async () => {
    const a = sleeper(`${run}:a/1`);
    const b = sleeper(`${run}:a/2`);
    const c = sleeper(`${run}:ab/1`);
    await until(() => findMarked(`${run}:ab/1`).length === 1);
    expect(await findMarkedShared(`${run}:a/1`)).toEqual([a]);
    expect(findMarked(`${run}:a/2`)).toEqual([b]);
    const table = await markedProcesses();
    expect(table.get(`${run}:ab/1`)).toEqual([c]);
    expect(await findMarkedShared(`${run}:none/1`)).toEqual([]);
  });

  it('callers in the same turn share one scan; a caller after a scan began gets a later one', async () => {
    const first = markedProcesses();
    expect(markedProcesses()).toBe(first);
    await first;
    const later = markedProcesses();
    expect(later).not.toBe(first);
    // A process started after the first scan is seen by a scan requested after it started.
    const pid = sleeper(`${run}:late/1`);
    await until(() => findMarked(`${run}:late/1`).length === 1);
    expect((await markedProcesses()).get(`${run}:late/1`)).toEqual([pid]);
    await later;
  });

  it('kills by exact marker or by prefix, and leaves the others alone', async () => {
    const a1 = sleeper(`${run}:k/1`);
    const a2 = sleeper(`${run}:k/2`);
    const other = sleeper(`${run}:keep/1`);
    await until(() => findMarked(`${run}:keep/1`).length === 1);
    expect(await killMarkedShared(`${run}:k/1`, 'SIGKILL')).toEqual([a1]);
    await until(() => !isAlive(a1));
    expect(isAlive(a1)).toBe(false);
    expect(isAlive(a2)).toBe(true);
    expect(await killMarkedShared((m) => m.startsWith(`${run}:k/`), 'SIGKILL')).toEqual([a2]);
    await until(() => !isAlive(a2));
    expect(isAlive(a2)).toBe(false);
    expect(isAlive(other)).toBe(true);
  });
});
