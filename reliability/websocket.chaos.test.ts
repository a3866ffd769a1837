/**
 * The stream under load: 100 WebSocket clients of a real `vigil up` while a service logs steadily;
 * 10 of them never read. Only those 10 are dropped (close 4008 "too slow", or cut off), the 90
 * others keep receiving, and Vigil's memory stays bounded. Then 600 connect/disconnect
 * cycles: Vigil's memory stays flat.
 */
import { WebSocket } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LINUX,
  Tracker,
  buildCli,
  makeStack,
  rssBytes,
  runVigil,
  serviceDetail,
  sleep,
  stopVigil,
  until,
} from './harness.js';

const t = new Tracker();
beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

/** About 600 KB/s of log lines: 60 lines of 100 bytes every 10 ms. */
const STEADY_LOGGER = `
const line = 'y'.repeat(90);
let n = 0;
setInterval(() => { let s = ''; for (let i = 0; i < 60; i++) s += (++n) + ' ' + line + '\\n'; process.stdout.write(s); }, 10);
`;

interface Client {
  readonly ws: WebSocket;
  bytes: number;
  messages: number;
  lastAt: number;
  closed: { code: number } | null;
}

function connect(url: string, slow: boolean): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const c: Client = { ws, bytes: 0, messages: 0, lastAt: 0, closed: null };
    ws.on('message', (data: Buffer) => {
      c.bytes += data.length;
      c.messages += 1;
      c.lastAt = performance.now();
    });
    ws.on('close', (code) => (c.closed = { code }));
    ws.on('error', () => undefined);
    ws.once('open', () => {
      // A client that never reads: its socket is paused, so the kernel buffers fill up.
      if (slow) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      resolve(c);
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

describe.skipIf(!LINUX)('WebSocket clients under load', () => {
  it('drops only the clients that never read, and memory stays flat over reconnects', async () => {
    const stack = makeStack(
      t,
      `version: 1
services:
  logger:
    command: [node, logger.mjs]
`,
      { 'logger.mjs': STEADY_LOGGER },
    );
    // Plain `vigil up` (no --json): this test is about the stream, not about stdout.
    const run = runVigil(t, {
      stack,
      rawArgs: ['up', '-f', stack.file, '--port', '0', '--data-dir', stack.dataDir],
    });
    const api = await run.api();
    expect(
      await until(async () => (await serviceDetail(api, 'logger')).lifecycle === 'running', 20_000),
    ).toBe(true);
    const url = `ws://127.0.0.1:${api.port}/orchestrator/stream?token=${api.token}`;
    const rss0 = rssBytes(run.pid)!;

    const slow = await Promise.all(Array.from({ length: 10 }, () => connect(url, true)));
    const normal = await Promise.all(Array.from({ length: 90 }, () => connect(url, false)));
    let rssMax = rss0;
    const dropped = async (): Promise<boolean> => {
      rssMax = Math.max(rssMax, rssBytes(run.pid) ?? 0);
      // Resume a paused client now and then to see whether the server has closed it.
      return slow.every(
        (c) => c.ws.readyState === WebSocket.CLOSED || c.ws.readyState === WebSocket.CLOSING,
      );
    };
    // The server decides by its own send buffer; the kernel's buffers fill first.
    const t0 = performance.now();
    let allDropped = false;
    while (!allDropped && performance.now() - t0 < 120_000) {
      await sleep(1_000);
      allDropped = await dropped();
      if (!allDropped && performance.now() - t0 > 20_000) {
        // Let paused clients read a little so that a close the server sent can arrive.
        for (const c of slow) {
          const sock = (c.ws as unknown as { _socket: { resume(): void; pause(): void } })._socket;
          sock.resume();
          setTimeout(() => sock.pause(), 5).unref();
        }
      }
    }
    const dropMs = Math.round(performance.now() - t0);
    // Every slow client was dropped; resume them to collect their close codes.
    for (const c of slow) (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await until(() => slow.every((c) => c.closed !== null), 20_000)).toBe(true);
    for (const c of slow) expect([4008, 1006]).toContain(c.closed!.code);
    // The others are all still open and still receiving.
    const before = normal.map((c) => c.messages);
    await sleep(2_000);
    normal.forEach((c, i) => {
      expect(c.closed, `normal client ${i}`).toBeNull();
      expect(c.messages).toBeGreaterThan(before[i]!);
    });
    const received = normal.reduce((n, c) => n + c.bytes, 0);
    for (const c of normal) c.ws.close();
    expect(await until(() => normal.every((c) => c.closed !== null), 10_000)).toBe(true);

    // Repeated connect/disconnect: memory goes flat.
    const cycles = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i += 20) {
        const batch = await Promise.all(Array.from({ length: 20 }, () => connect(url, false)));
        await until(() => batch.every((c) => c.messages > 0), 10_000, 10);
        for (const c of batch) c.ws.close();
        await until(() => batch.every((c) => c.closed !== null), 10_000, 10);
      }
    };
    const c0 = performance.now();
    await cycles(200);
    await sleep(1_000);
    const rssA = rssBytes(run.pid)!;
    await cycles(400);
    await sleep(1_000);
    const rssB = rssBytes(run.pid)!;
    const cyclesMs = Math.round(performance.now() - c0);
    expect(rssB - rssA).toBeLessThan(40 * 1024 * 1024);
    expect(rssMax - rss0).toBeLessThan(300 * 1024 * 1024);
    const status = await api.get('/orchestrator/status');
    expect(status.status).toBe(200);
    expect((await stopVigil(run)).code).toBe(0);
    process.stdout.write(
      `figures: websocket: 10 of 100 clients never read and were dropped after ${dropMs} ms; 90 kept receiving ` +
        `(${Math.round(received / 1048576)} MB); Vigil RSS ${Math.round(rss0 / 1048576)} MB -> max ${Math.round(rssMax / 1048576)} MB; ` +
        `after 200 reconnects ${Math.round(rssA / 1048576)} MB, after 600 ${Math.round(rssB / 1048576)} MB (${cyclesMs} ms)\n`,
    );
  }, 300_000);
});
