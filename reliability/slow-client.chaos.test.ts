/**
 * Slow clients (slowloris) against a real `vigil up`: connections that never finish their headers,
 * that drip them a byte at a time, or that stall in the middle of a body are cut off after a
 * bounded time (the API's `headersTimeout` and `requestTimeout`), while a crowd of them never keeps
 * an ordinary client from being served.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Tracker,
  buildCli,
  makeStack,
  runVigil,
  sleep,
  stopVigil,
  type VigilApiHandle,
  type VigilRun,
} from './harness.js';
import { IDLE } from './services.js';

const t = new Tracker();
let run: VigilRun;
let api: VigilApiHandle;

/** Longest a stalled client may hold a connection: Vigil's limits plus Node's check interval. */
const HEADERS_CUT_MS = 25_000;
const BODY_CUT_MS = 40_000;

beforeAll(async () => {
  buildCli();
  const stack = makeStack(t, `version: 1\nservices:\n  idle:\n    command: [node, idle.mjs]\n`, {
    'idle.mjs': IDLE,
  });
  run = runVigil(t, { stack });
  api = await run.api();
}, 40_000);

afterAll(async () => {
  if (run) await stopVigil(run).catch(() => undefined);
  await t.cleanup();
});

interface Stalled {
  readonly closedAfter: Promise<number>;
  readonly socket: net.Socket;
}

/** Opens a connection, writes `first`, then (optionally) one more byte of `drip` every `everyMs`. */
function stalled(first: string, drip = '', everyMs = 1_000): Stalled {
  const socket = net.connect(api.port, '127.0.0.1');
  const t0 = performance.now();
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  socket.write(first);
  let i = 0;
  const timer = setInterval(() => {
    if (i < drip.length && !socket.destroyed) socket.write(drip[i++]!);
  }, everyMs);
  const closedAfter = new Promise<number>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(performance.now() - t0);
    }),
  );
  t.onCleanup(() => socket.destroy());
  return { closedAfter, socket };
}

const within = (p: Promise<number>, ms: number): Promise<number | 'still open'> =>
  Promise.race([p, sleep(ms).then(() => 'still open' as const)]);

describe('slow clients', () => {
  it('held their connections for a minute or more (Node defaults); now cut off within seconds, never blocking anyone', async () => {
    const head = `GET /orchestrator/status HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\n`;
    const crowd = Array.from({ length: 200 }, () =>
      stalled('GET /orchestrator/status HTTP/1.1\r\nHo'),
    );
    const dripper = stalled(
      'G',
      `ET /orchestrator/status HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\nX-Slow: ${'a'.repeat(200)}`,
      500,
    );
    const halfBody = stalled(
      `POST /orchestrator/restart/idle HTTP/1.1\r\nHost: 127.0.0.1:${api.port}\r\n` +
        `Authorization: Bearer ${api.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"force":`,
    );
    // Meanwhile, ordinary clients are served at once, again and again.
    for (let i = 0; i < 20; i++) {
      const r = await api.call('GET', '/orchestrator/status', { timeoutMs: 5_000 });
      expect(r.status).toBe(200);
      await sleep(200);
    }
    const cut = await Promise.all(crowd.map((c) => within(c.closedAfter, HEADERS_CUT_MS)));
    expect(cut.filter((c) => c === 'still open')).toEqual([]);
    expect(await within(dripper.closedAfter, HEADERS_CUT_MS)).not.toBe('still open');
    expect(await within(halfBody.closedAfter, BODY_CUT_MS)).not.toBe('still open');
    // The half-sent restart never happened, and Vigil is fine.
    const d = await api.get('/orchestrator/services/idle');
    expect((d.json as { restart_count: number }).restart_count).toBe(0);
    expect((await api.get('/orchestrator/status')).status).toBe(200);
    expect(head.length).toBeGreaterThan(0);
    process.stdout.write(
      `figures: slow clients: 200 stalled headers cut after at most ${Math.round(Math.max(...(cut as number[])) / 1000)} s, ` +
        `dripping headers after ${Math.round((await dripper.closedAfter) / 1000)} s, stalled body after ${Math.round((await halfBody.closedAfter) / 1000)} s\n`,
    );
  }, 120_000);
});
