/**
 * Test fixtures: temporary stacks of small real services (plain Node scripts) and helpers to
 * watch a supervisor's events. Used by the integration tiers only.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { VigilEvent } from '../../../shared/events.js';

/** A tiny HTTP service: `node svc.js` with PORT; `/health` 200 after BOOT_MS; optional grandchild. */
export const HTTP_SERVICE = `
import http from 'node:http';
import { spawn } from 'node:child_process';
const port = Number(process.env.PORT);
const boot = Number(process.env.BOOT_MS || 0);
if (process.env.GRANDCHILD) {
  const c = spawn(process.execPath, ['-e', 'setInterval(()=>{}, 1000)'], { stdio: 'ignore', detached: process.env.GRANDCHILD === 'setsid' });
  console.log('grandchild ' + c.pid);
}
if (process.env.EXIT_AFTER_MS) setTimeout(() => { console.error('crashing'); process.exit(Number(process.env.EXIT_CODE || 1)); }, Number(process.env.EXIT_AFTER_MS));
const server = http.createServer((req, res) => {
  if (req.url === '/health') { res.writeHead(process.env.UNHEALTHY ? 503 : 200); res.end('ok'); return; }
  res.writeHead(200); res.end('hello');
});
setTimeout(() => server.listen(port, '127.0.0.1', () => console.log('listening ' + port)), boot);
process.on('SIGTERM', () => { server.close(); process.exit(0); });
`;

export const ONESHOT = `
console.log('oneshot working');
setTimeout(() => { console.log('oneshot done'); process.exit(Number(process.env.EXIT_CODE || 0)); }, Number(process.env.WORK_MS || 100));
`;

export interface TempStack {
  readonly dir: string;
  readonly file: string;
  readonly dataDir: string;
  write(yaml: string): void;
  cleanup(): void;
}

export function tempStack(yaml: string, files: Record<string, string> = {}): TempStack {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-stack-'));
  const dataDir = path.join(dir, '.data');
  fs.writeFileSync(path.join(dir, 'svc.mjs'), HTTP_SERVICE);
  fs.writeFileSync(path.join(dir, 'oneshot.mjs'), ONESHOT);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const file = path.join(dir, 'vigil.yaml');
  fs.writeFileSync(file, yaml);
  return {
    dir,
    file,
    dataDir,
    write: (y) => fs.writeFileSync(file, y),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Free TCP ports on 127.0.0.1 (bound then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    servers.push(s);
    ports.push((s.address() as net.AddressInfo).port);
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Collects events and waits for conditions on them (bounded by a timeout). */
export class EventLog {
  readonly events: VigilEvent[] = [];
  private waiters: { pred: (ev: VigilEvent) => boolean; resolve: (ev: VigilEvent) => void }[] = [];

  push = (ev: VigilEvent): void => {
    this.events.push(ev);
    this.waiters = this.waiters.filter((w) => {
      if (w.pred(ev)) {
        w.resolve(ev);
        return false;
      }
      return true;
    });
  };

  waitFor(
    pred: (ev: VigilEvent) => boolean,
    timeoutMs = 15_000,
    what = 'event',
  ): Promise<VigilEvent> {
    const found = this.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (ev) => {
          clearTimeout(t);
          resolve(ev);
        },
      });
    });
  }

  /** Waits for the next matching event that has not happened yet. */
  next(pred: (ev: VigilEvent) => boolean, timeoutMs = 15_000, what = 'event'): Promise<VigilEvent> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (ev) => {
          clearTimeout(t);
          resolve(ev);
        },
      });
    });
  }
}

/** Is a pid alive (a zombie counts as dead)? */
export function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    try {
      process.kill(pid, 0);
      return process.platform !== 'linux';
    } catch {
      return false;
    }
  }
}

/** Pids of live processes whose environment carries the marker prefix (every service of a run). */
export function pidsWithMarker(prefix: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (env.includes(`VIGIL_MARKER=${prefix}`) && pidAlive(Number(entry)))
        out.push(Number(entry));
    } catch {
      // gone or not ours
    }
  }
  return out;
}

export async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Process group of a pid (Linux), or null when it is gone. */
export function pgidOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return null;
  }
}
