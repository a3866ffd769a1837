/**
 * `vigil up` as a user runs it: a real child process with --json output, signals, the data
 * directory, the API, and what is left behind (nothing).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent, VigilEvent } from '../../shared/events.js';
import {
  freePorts,
  pidAlive,
  portOpen,
  tempStack,
  type TempStack,
} from '../core/testing/fixtures.js';
import { packageRoot } from './paths.js';

const root = packageRoot();
const bin = path.join(root, 'bin', 'vigil.js');

beforeAll(() => {
  // The CLI runs from its bundle: build it from the current sources.
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-cli.mjs')], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`build-cli failed: ${r.stderr}`);
});

interface Running {
  child: ChildProcess;
  events: VigilEvent[];
  stderr: string[];
  waitFor(pred: (ev: VigilEvent) => boolean, ms?: number, what?: string): Promise<VigilEvent>;
  exit: Promise<number | null>;
}

const children: ChildProcess[] = [];
const stacks: TempStack[] = [];

afterAll(() => {
  for (const c of children) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const s of stacks) s.cleanup();
});

function up(args: string[], cwd: string): Running {
  const child = spawn(process.execPath, [bin, 'up', '--json', '--port', '0', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  const events: VigilEvent[] = [];
  const stderr: string[] = [];
  let waiters: { pred: (ev: VigilEvent) => boolean; resolve: (ev: VigilEvent) => void }[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const ev = JSON.parse(line) as VigilEvent;
    events.push(ev);
    waiters = waiters.filter((w) => (w.pred(ev) ? (w.resolve(ev), false) : true));
  });
  readline.createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    events,
    stderr,
    exit,
    waitFor(pred, ms = 20_000, what = 'event') {
      const found = events.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`timed out waiting for ${what}; stderr:\n${stderr.join('\n')}`)),
          ms,
        );
        waiters.push({ pred, resolve: (ev) => (clearTimeout(t), resolve(ev)) });
      });
    },
  };
}

const ready = (ev: VigilEvent) => ev.type === 'status_update' && ev.event === 'system-ready';

function livePids(events: VigilEvent[]): number[] {
  const pids = new Set<number>();
  for (const e of events) if (e.type === 'service_event' && e.pid) pids.add(e.pid);
  return [...pids];
}

describe('vigil up', () => {
  it('starts a stack, prints events as JSON lines, and SIGTERM leaves no process and no port', async () => {
    const ports = await freePorts(3);
    const stack = tempStack(`version: 1
name: three
services:
  db:
    command: node svc.mjs
    port: ${ports[0]}
  api:
    command: node svc.mjs
    port: ${ports[1]}
    env: { GRANDCHILD: setsid }
    depends_on: { db: healthy }
  web:
    command: [node, svc.mjs]
    port: ${ports[2]}
    depends_on: [api]
`);
    stacks.push(stack);
    const run = up(['-f', stack.file, '--data-dir', stack.dataDir], stack.dir);
    const ev = await run.waitFor(ready, 30_000, 'system-ready');
    expect(ev.type === 'status_update' && ev.criticalChain?.map((s) => s.service)).toEqual([
      'db',
      'api',
      'web',
    ]);
    for (const p of ports) expect(await portOpen(p)).toBe(true);
    const gcLine = run.events.find(
      (e): e is LogEvent => e.type === 'log' && e.line.startsWith('grandchild '),
    );
    const grandchild = Number(gcLine?.line.split(' ')[1]);
    expect(grandchild).toBeGreaterThan(0);
    expect(pidAlive(grandchild)).toBe(true);
    const pids = livePids(run.events);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    for (const pid of [...pids, grandchild]) expect(pidAlive(pid), `pid ${pid} gone`).toBe(false);
    for (const p of ports) expect(await portOpen(p), `port ${p} closed`).toBe(false);
    // The lock is released and the history survived the stop.
    expect(fs.existsSync(path.join(stack.dataDir, 'vigil.lock'))).toBe(false);
    const db = new Database(path.join(stack.dataDir, 'vigil.db'), { readonly: true });
    const rows = db.prepare('SELECT COUNT(*) AS n FROM probes').get() as { n: number };
    db.close();
    expect(rows.n).toBeGreaterThan(0);
  }, 60_000);

  it('refuses a second Vigil on the same data directory and names the first', async () => {
    const stack = tempStack(`version: 1
services:
  a:
    command: node -e "setInterval(() => {}, 1000)"
`);
    stacks.push(stack);
    const first = up(['-f', stack.file, '--data-dir', stack.dataDir], stack.dir);
    await first.waitFor(ready, 20_000, 'first ready');
    const second = up(['-f', stack.file, '--data-dir', stack.dataDir], stack.dir);
    expect(await second.exit).toBe(1);
    expect(second.stderr.join('\n')).toMatch(new RegExp(`pid ${first.child.pid}`));
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
  }, 40_000);

  it('after Vigil is SIGKILLed, the next run ends the orphans and the history is intact', async () => {
    const [port] = await freePorts(1);
    const stack = tempStack(`version: 1
services:
  api:
    command: node svc.mjs
    port: ${port}
`);
    stacks.push(stack);
    const first = up(['-f', stack.file, '--data-dir', stack.dataDir], stack.dir);
    await first.waitFor(ready, 20_000, 'ready');
    const orphans = livePids(first.events);
    expect(orphans.length).toBeGreaterThan(0);
    process.kill(first.child.pid!, 'SIGKILL');
    await first.exit;
    for (const pid of orphans) expect(pidAlive(pid)).toBe(true);
    // The database a SIGKILLed Vigil leaves behind opens and passes its integrity check.
    const db = new Database(path.join(stack.dataDir, 'vigil.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    const second = up(['-f', stack.file, '--data-dir', stack.dataDir], stack.dir);
    await second.waitFor(ready, 20_000, 'second ready');
    for (const pid of orphans) expect(pidAlive(pid), `orphan ${pid} ended`).toBe(false);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
    expect(await portOpen(port!)).toBe(false);
    const db2 = new Database(path.join(stack.dataDir, 'vigil.db'), { readonly: true });
    const runs = db2.prepare('SELECT how FROM runs ORDER BY id').all() as { how: string | null }[];
    db2.close();
    expect(runs.map((r) => r.how)).toEqual(['crashed', 'stopped']);
  }, 60_000);

  it('exits 2 with file:line:col when the stack file is invalid, starting nothing', async () => {
    const stack = tempStack(`version: 1
services:
  api:
    command: node svc.mjs
    depends_on: [cache]
`);
    stacks.push(stack);
    const run = up(['-f', stack.file, '--data-dir', stack.dataDir], stack.dir);
    expect(await run.exit).toBe(2);
    expect(run.stderr.join('\n')).toMatch(/vigil\.yaml:5:\d+/);
    expect(run.events).toEqual([]);
  }, 20_000);

  it('exits 1 when its port is taken, starting nothing and holding nothing', async () => {
    const stack = tempStack(`version: 1
services:
  api:
    command: node svc.mjs
`);
    stacks.push(stack);
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const child = spawn(
        process.execPath,
        [
          bin,
          'up',
          '--json',
          '--port',
          String(port),
          '-f',
          stack.file,
          '--data-dir',
          stack.dataDir,
        ],
        { cwd: stack.dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      children.push(child);
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdout!.resume();
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(1);
      expect(stderr).toContain(
        `vigil up: cannot serve the API: port ${port} on 127.0.0.1 is already in use; pick another with --port (or --no-api)`,
      );
      // The lock was released and no service was started.
      expect(fs.existsSync(path.join(stack.dataDir, 'vigil.lock'))).toBe(false);
      expect(stderr).not.toMatch(/api (started|running)/);
    } finally {
      holder.close();
    }
  }, 20_000);
});
