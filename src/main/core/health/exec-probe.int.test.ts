import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProbeSpec } from '../../../shared/model.js';
import { runProbe, type ProbeEnv } from './probes.js';

const posix = process.platform !== 'win32';

let dir = '';
const started: number[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-exec-probe-'));
});

afterEach(() => {
  // Whatever a failed test left running, by pid.
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

function probeEnv(extra: Record<string, string> = {}): ProbeEnv {
  return {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...extra },
    isAlive: () => true,
    logMatched: () => false,
  };
}

const sh = (script: string): ProbeSpec => ({ type: 'exec', command: { kind: 'shell', script } });

/** Gone, or a zombie waiting for a parent that does not reap. */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function until(cond: () => boolean, ms = 5_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

function readPids(file: string): number[] {
  const pids = fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  started.push(...pids);
  return pids;
}

describe.skipIf(!posix)('exec probe', () => {
  it('is ok on exit 0, with the output in the detail', async () => {
    const r = await runProbe(sh('echo ready'), 5_000, probeEnv());
    expect(r).toMatchObject({ ok: true, timedOut: false, probe: 'exec', detail: 'exit 0: ready' });
  });

  it('fails on a non-zero exit with the exit code and both output streams', async () => {
    const r = await runProbe(sh('echo out; echo err >&2; exit 3'), 5_000, probeEnv());
    expect(r.ok).toBe(false);
    expect(r.timedOut).toBe(false);
    expect(r.detail).toMatch(/^exit 3: /);
    expect(r.detail).toContain('out');
    expect(r.detail).toContain('err');
  });

  it('keeps only the last ~500 bytes of output', async () => {
    const r = await runProbe(
      sh(`i=0; while [ $i -lt 200 ]; do echo "line $i of noise"; i=$((i+1)); done; echo THE-END`),
      5_000,
      probeEnv(),
    );
    expect(r.ok).toBe(true);
    expect(r.detail.endsWith('THE-END')).toBe(true);
    expect(r.detail).not.toContain('line 0 of noise');
    expect(Buffer.byteLength(r.detail)).toBeLessThanOrEqual('exit 0: '.length + 500);
  });

  it('runs an argv command directly, in the given cwd with the given env', async () => {
    const spec: ProbeSpec = {
      type: 'exec',
      command: {
        kind: 'argv',
        argv: [process.execPath, '-e', 'console.log(process.env.PROBE_VAR + "@" + process.cwd())'],
      },
    };
    const r = await runProbe(spec, 5_000, probeEnv({ PROBE_VAR: 'v1' }));
    expect(r).toMatchObject({ ok: true, detail: `exit 0: v1@${fs.realpathSync(dir)}` });
  });

  it('fails with a readable reason when the command does not exist', async () => {
    const spec: ProbeSpec = {
      type: 'exec',
      command: { kind: 'argv', argv: ['vigil-no-such-command-x'] },
    };
    expect(await runProbe(spec, 5_000, probeEnv())).toMatchObject({
      ok: false,
      timedOut: false,
      detail: 'cannot run vigil-no-such-command-x: ENOENT',
    });
  });

  it('reports a command killed by a signal', async () => {
    const r = await runProbe(sh('kill -TERM $$'), 5_000, probeEnv());
    expect(r).toMatchObject({ ok: false, detail: 'killed by SIGTERM' });
  });

  it('on timeout kills the whole process group, grandchildren included', async () => {
    const pidFile = path.join(dir, 'pids');
    const r = await runProbe(
      sh(`echo working; sleep 30 & echo "$$ $!" > "${pidFile}"; wait`),
      300,
      probeEnv(),
    );
    expect(r).toMatchObject({
      ok: false,
      timedOut: true,
      detail: 'timed out after 300ms: working',
    });
    const pids = readPids(pidFile);
    expect(pids).toHaveLength(2);
    expect(await until(() => pids.every(isGone))).toBe(true);
  });

  it('after a normal exit, kills what the command left running in its group', async () => {
    const pidFile = path.join(dir, 'pids');
    // The background sleep holds the output pipe open: the probe must not wait for it.
    const r = await runProbe(
      sh(`sleep 30 & echo "$!" > "${pidFile}"; echo done`),
      5_000,
      probeEnv(),
    );
    expect(r).toMatchObject({ ok: true, timedOut: false, detail: 'exit 0: done' });
    const [leftover] = readPids(pidFile);
    expect(await until(() => isGone(leftover!))).toBe(true);
  });

  it('stops and kills the group when aborted', async () => {
    const pidFile = path.join(dir, 'pids');
    const ctl = new AbortController();
    const p = runProbe(sh(`sleep 30 & echo "$$ $!" > "${pidFile}"; wait`), 10_000, probeEnv(), {
      signal: ctl.signal,
    });
    const written = () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n');
    expect(await until(written)).toBe(true);
    ctl.abort();
    expect(await p).toMatchObject({ ok: false, timedOut: false, detail: 'probe aborted' });
    const pids = readPids(pidFile);
    expect(pids).toHaveLength(2);
    expect(await until(() => pids.every(isGone))).toBe(true);
  });
});
