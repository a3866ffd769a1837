/**
 * Test support for the balancer's integration tier: real instance processes (plain Node HTTP
 * servers with a WebSocket echo), started in their own process groups on free 127.0.0.1 ports and
 * killed by process group; and a bounded load loop that records every outcome.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { freePorts, portOpen } from '../../testing/fixtures.js';

/** GET / answers with its instance id; /slow?ms=N after N ms; /stream sends 5 chunks 100 ms apart
 * (no content-length); POST /echo returns the body; /headers returns the request's headers;
 * WebSocket upgrades on /ws echo every message prefixed with the instance id. */
export const INSTANCE_SCRIPT = `
const http = require('node:http');
const { WebSocketServer } = require(process.env.WS_MODULE);
const id = process.env.VIGIL_INSTANCE;
const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/slow') {
    setTimeout(() => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(id); }, Number(u.searchParams.get('ms') || 100));
    return;
  }
  if (u.pathname === '/stream') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let n = 0;
    const t = setInterval(() => { res.write('chunk ' + n + ' ' + Date.now() + '\\n'); if (++n === 5) { clearInterval(t); res.end(); } }, 100);
    return;
  }
  if (u.pathname === '/echo') {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => { const b = Buffer.concat(parts); res.writeHead(200, { 'content-length': b.length }); res.end(b); });
    return;
  }
  if (u.pathname === '/headers') { const b = JSON.stringify(req.headers); res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) }); res.end(b); return; }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(id) });
  res.end(id);
});
const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) => ws.on('message', (m) => ws.send(id + ':' + m)));
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => { server.close(() => process.exit(0)); server.closeIdleConnections(); setTimeout(() => process.exit(0), 5000).unref(); });
`;

export interface TestInstance {
  readonly id: string;
  readonly port: number;
  child: ChildProcess | null;
}

export class InstanceFarm {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-lb-'));
  private readonly script = path.join(this.dir, 'instance.cjs');
  readonly instances: TestInstance[] = [];

  constructor() {
    fs.writeFileSync(this.script, INSTANCE_SCRIPT);
  }

  /** Starts `n` instances named `service#i` on free ports; resolves when each accepts. */
  async start(service: string, n: number): Promise<TestInstance[]> {
    const ports = await freePorts(n);
    const out: TestInstance[] = [];
    for (let i = 0; i < n; i++) {
      const inst: TestInstance = { id: `${service}#${i}`, port: ports[i]!, child: null };
      this.instances.push(inst);
      out.push(inst);
      await this.spawn(inst);
    }
    return out;
  }

  /** (Re)starts one instance on its port and waits until it accepts connections. */
  async spawn(inst: TestInstance): Promise<void> {
    const require = createRequire(import.meta.url);
    inst.child = spawn(process.execPath, [this.script], {
      env: {
        ...process.env,
        PORT: String(inst.port),
        VIGIL_INSTANCE: inst.id,
        WS_MODULE: require.resolve('ws'),
      },
      detached: true,
      stdio: 'ignore',
    });
    await waitUntil(() => portOpen(inst.port), 15_000, `${inst.id} listening on ${inst.port}`);
  }

  /** SIGKILLs the instance's process group and waits until its port refuses connections. */
  async kill(inst: TestInstance, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = inst.child?.pid;
    if (pid) {
      try {
        process.kill(-pid, signal);
      } catch {
        // gone
      }
    }
    inst.child = null;
    await waitUntil(async () => !(await portOpen(inst.port)), 15_000, `${inst.id} to stop`);
  }

  async cleanup(): Promise<void> {
    for (const inst of this.instances) {
      const pid = inst.child?.pid;
      if (pid) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface Outcome {
  readonly status: number | null;
  readonly instance: string | null;
  readonly error: string | null;
  readonly body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request through the balancer on a keep-alive connection; never rejects. */
export function request(
  port: number,
  p = '/',
  opts: { method?: string; body?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: p, method: opts.method ?? 'GET', agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? null,
            instance: (res.headers['x-vigil-instance'] as string | undefined) ?? null,
            error: null,
            body,
          }),
        );
        res.on('error', (e) => resolve({ status: null, instance: null, error: e.message, body }));
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ status: null, instance: null, error: e.code ?? e.message, body: '' }),
    );
    req.end(opts.body);
  });
}

/**
 * Runs `concurrency` request loops until `stop()` is called or `maxRequests` were sent; resolves
 * with every outcome. Bounded in count and (through each request's timeout) in time.
 */
export function steadyLoad(
  port: number,
  opts: { concurrency: number; maxRequests: number; path?: string; method?: string; body?: string },
): { readonly outcomes: Outcome[]; stop(): void; readonly done: Promise<Outcome[]> } {
  const outcomes: Outcome[] = [];
  let stopped = false;
  let sent = 0;
  const loop = async (): Promise<void> => {
    while (!stopped && sent < opts.maxRequests) {
      sent++;
      outcomes.push(
        await request(port, opts.path ?? '/', {
          ...(opts.method ? { method: opts.method } : {}),
          ...(opts.body ? { body: opts.body } : {}),
        }),
      );
    }
  };
  const done = Promise.all(Array.from({ length: opts.concurrency }, loop)).then(() => outcomes);
  return {
    outcomes,
    stop: () => {
      stopped = true;
    },
    done,
  };
}
