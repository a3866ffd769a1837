import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VigilError } from '../../shared/errors.js';
import {
  acquireDataDirLock,
  lockOwnerLiveness,
  processStartTime,
  readInstance,
  type InstanceInfo,
} from './lock.js';
import {
  bundleScript,
  runScript,
  tempDir,
  waitForExit,
  waitForLine,
} from '../core/store/testing/support.js';

/** Takes the lock and holds it until SIGTERM (released) or SIGKILL (left stale). */
const HOLDER = `
import { acquireDataDirLock, processStartTime } from '../../host/lock.js';
const [dir, stackFile, api] = process.argv.slice(2);
try {
  const lock = acquireDataDirLock(dir!, {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    startedAt: Date.now(),
    stackFile: stackFile!,
    ...(api ? { api: { url: api } } : {}),
  });
  process.on('SIGTERM', () => { lock.release(); process.exit(0); });
  setInterval(() => {}, 1_000);
  process.stdout.write('locked\\n');
} catch (e) {
  const err = e as { code?: string; message: string };
  process.stdout.write('refused ' + JSON.stringify({ code: err.code, message: err.message }) + '\\n');
  process.exit(1);
}
`;

const linux = process.platform === 'linux';
let holder = '';
const children: ChildProcess[] = [];
const dirs: string[] = [];

function dataDir(): string {
  const d = tempDir('vigil-lock-');
  dirs.push(d);
  return path.join(d, 'data');
}

function me(extra: Partial<InstanceInfo> = {}): InstanceInfo {
  return {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    startedAt: Date.now(),
    stackFile: '/tmp/stack/vigil.yaml',
    ...extra,
  };
}

function start(dir: string, ...args: string[]): ChildProcess {
  const child = runScript(holder, [dir, ...args]);
  children.push(child);
  return child;
}

beforeAll(async () => {
  holder = await bundleScript(HOLDER, 'lock-holder');
});

afterEach(() => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  }
});

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  if (holder) fs.rmSync(path.dirname(holder), { recursive: true, force: true });
});

describe('data directory lock, two real processes', () => {
  it('refuses a second Vigil and names the first; a killed holder leaves a lock that is replaced', async () => {
    const dir = dataDir();
    const first = start(dir, '/srv/shop/vigil.yaml', 'http://127.0.0.1:9000');
    await waitForLine(first, /^locked$/, 15_000);

    const lockFile = path.join(dir, 'vigil.lock');
    expect(fs.statSync(lockFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(readInstance(dir)).toMatchObject({
      pid: first.pid,
      stackFile: '/srv/shop/vigil.yaml',
      api: { url: 'http://127.0.0.1:9000' },
    });

    const second = start(dir, '/srv/other/vigil.yaml');
    const line = await waitForLine(second, /^refused /, 15_000);
    const refusal = JSON.parse(line.slice('refused '.length)) as { code: string; message: string };
    expect(refusal.code).toBe('DATA_DIR_LOCKED');
    expect(refusal.message).toContain(`another Vigil is using ${dir}: pid ${first.pid}`);
    expect(refusal.message).toContain('(vigil up -f /srv/shop/vigil.yaml)');
    expect(refusal.message).toMatch(/started \d\d:\d\d, API http:\/\/127\.0\.0\.1:9000$/);
    expect((await waitForExit(second, 10_000)).code).toBe(1);

    // In this process too.
    expect(() => acquireDataDirLock(dir, me())).toThrow(VigilError);

    process.kill(first.pid!, 'SIGKILL');
    await waitForExit(first, 10_000);
    expect(fs.existsSync(lockFile)).toBe(true); // left behind
    expect(readInstance(dir)).toBeNull(); // but stale

    const lock = acquireDataDirLock(dir, me());
    expect(readInstance(dir)?.pid).toBe(process.pid);
    lock.release();
    expect(fs.existsSync(lockFile)).toBe(false);
  });

  it('removes its lock when the holder stops cleanly', async () => {
    const dir = dataDir();
    const holderProc = start(dir, '/s/vigil.yaml');
    await waitForLine(holderProc, /^locked$/, 15_000);
    process.kill(holderProc.pid!, 'SIGTERM');
    expect((await waitForExit(holderProc, 10_000)).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'vigil.lock'))).toBe(false);
    expect(readInstance(dir)).toBeNull();
  });
});

describe('data directory lock, stale owners', () => {
  function writeLock(dir: string, info: InstanceInfo): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'vigil.lock'), JSON.stringify(info), { mode: 0o600 });
  }

  it('replaces a lock whose pid is alive with another start time (the pid was reused)', () => {
    const dir = dataDir();
    writeLock(dir, me({ startTime: 'not-when-this-process-started' }));
    if (linux) {
      expect(lockOwnerLiveness({ pid: process.pid, startTime: 'x' })).toBe('reused');
      expect(readInstance(dir)).toBeNull();
    }
    const lock = acquireDataDirLock(dir, me());
    expect(readInstance(dir)?.startTime).toBe(processStartTime(process.pid));
    lock.release();
  });

  it.skipIf(!linux)('replaces a lock held by a zombie process', async () => {
    const dir = dataDir();
    // The shell backgrounds a short sleep, prints its pid, then becomes a process that never
    // reaps it: the short sleep turns into a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(parent);
    const pid = Number(await waitForLine(parent, /^\d+$/, 5_000));
    let state = '';
    for (let i = 0; i < 100 && state !== 'Z'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
    }
    expect(state).toBe('Z');
    writeLock(dir, { pid, startTime: null, startedAt: Date.now(), stackFile: '/s/vigil.yaml' });
    expect(lockOwnerLiveness({ pid, startTime: null })).toBe('zombie');
    expect(readInstance(dir)).toBeNull();
    acquireDataDirLock(dir, me()).release();
    process.kill(parent.pid!, 'SIGKILL');
  });

  it('replaces an unreadable lock file once it is not being written any more', () => {
    const dir = dataDir();
    fs.mkdirSync(dir, { recursive: true });
    const lockFile = path.join(dir, 'vigil.lock');
    fs.writeFileSync(lockFile, '{"pid": 12');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockFile, old, old);
    expect(readInstance(dir)).toBeNull();
    acquireDataDirLock(dir, me()).release();
  });
});

describe('data directory lock handle', () => {
  it('says plainly when the data directory cannot be used', () => {
    const base = dataDir();
    fs.mkdirSync(path.dirname(base), { recursive: true });
    fs.writeFileSync(base, 'a file, not a directory');
    let err: unknown;
    try {
      acquireDataDirLock(path.join(base, 'sub'), me());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('INVALID_CONFIGURATION');
    expect((err as VigilError).message).toContain(
      `cannot use the data directory ${path.join(base, 'sub')}`,
    );
  });

  it('updates the lock atomically and releases only its own lock', () => {
    const dir = dataDir();
    const lock = acquireDataDirLock(dir, me());
    lock.update({ api: { url: 'http://127.0.0.1:9123' } });
    expect(readInstance(dir)?.api).toEqual({ url: 'http://127.0.0.1:9123' });
    expect(fs.statSync(path.join(dir, 'vigil.lock')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['vigil.lock']);

    // Someone else's lock now stands there: release must not remove it.
    const theirs = me({ startedAt: 1 });
    fs.writeFileSync(path.join(dir, 'vigil.lock'), JSON.stringify(theirs));
    lock.update({ api: { url: 'http://127.0.0.1:1' } });
    lock.release();
    expect(readInstance(dir)).toMatchObject({ startedAt: 1 });
    expect(readInstance(dir)?.api).toBeUndefined();
  });
});
