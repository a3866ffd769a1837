/**
 * A health endpoint that accepts connections and never answers. Probes count it as a timeout (and
 * past the threshold the service is restarted for it); at most one probe per service is in flight;
 * after a thousand probes Vigil holds no more sockets than before and no stray process.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HealthEvent, VigilEvent } from '../src/shared/events.js';
import {
  LINUX,
  Tracker,
  buildCli,
  makeStack,
  runVigil,
  socketCount,
  sleep,
  stopVigil,
  until,
} from './harness.js';
import { IDLE } from './services.js';

const t = new Tracker();
beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

const PROBES = 1_000;

/**
 * Peers connected to local `port` that the kernel holds as ESTABLISHED (not CLOSE_WAIT: a peer that
 * closed its side has no probe in flight any more, even if this process has not seen the close).
 */
function establishedPeers(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const out = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 3 && f[1]!.endsWith(`:${hex}`) && f[3] === '01') out.add(f[2]!);
    }
  }
  return out;
}

/**
 * Probes in flight at once. /proc/net/tcp is not read atomically (an entry can show twice, or a
 * close and the next connect can both fall inside one read on a loaded machine), so only peers
 * seen in two reads in a row count; two real probes in flight would show in both.
 */
function inFlight(port: number): number {
  const first = establishedPeers(port);
  const second = establishedPeers(port);
  return [...first].filter((p) => second.has(p)).length;
}

/** Accepts and never answers; records how many probes were in flight at once (kernel's view). */
async function blackHole(): Promise<{
  port: number;
  maxOpen: number;
  open: () => number;
  total: () => number;
  samples: () => number;
  close: () => void;
}> {
  const open = new Set<net.Socket>();
  let maxOpen = 0;
  let total = 0;
  let port = 0;
  const server = net.createServer((sock) => {
    total += 1;
    open.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => open.delete(sock));
    sock.resume(); // read (and drop) the request, so the peer's close is seen
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as net.AddressInfo).port;
  // Sample the kernel's view a few times a second while probes come and go.
  let samples = 0;
  const sampler = setInterval(() => {
    samples += 1;
    maxOpen = Math.max(maxOpen, inFlight(port));
  }, 100);
  const h = {
    port,
    get maxOpen() {
      return maxOpen;
    },
    open: () => open.size,
    total: () => total,
    samples: () => samples,
    close: () => {
      clearInterval(sampler);
      for (const s of open) s.destroy();
      server.close();
    },
  };
  t.onCleanup(() => h.close());
  return h;
}

describe.skipIf(!LINUX)('a health endpoint that never answers', () => {
  it(`is a timeout, one probe at a time, and ${PROBES} probes leak nothing`, async () => {
    const holeA = await blackHole();
    const holeB = await blackHole();
    const stack = makeStack(
      t,
      `version: 1
services:
  patient:
    command: [node, idle.mjs]
    startup_timeout: 10m
    health:
      http: { path: /health, port: ${holeA.port} }
      interval: 40ms
      start_interval: 40ms
      timeout: 20ms
      failure_threshold: 1000000
  judged:
    command: [node, idle.mjs]
    startup_timeout: 400ms
    restart: { backoff: [100ms], max_attempts: 2 }
    health:
      http: { path: /health, port: ${holeB.port} }
      interval: 20ms
      start_interval: 20ms
      timeout: 30ms
settings:
  circuit_breaker: { threshold: 100, reset_after: 1s }
`,
      { 'idle.mjs': IDLE },
    );
    const run = runVigil(t, { stack });
    await run.api();
    const probes = (name: string): HealthEvent[] =>
      run.events.filter((e): e is HealthEvent => e.type === 'health_update' && e.service === name);
    expect(await until(() => probes('patient').length >= 20, 30_000)).toBe(true);
    const sockets0 = socketCount(run.pid)!;
    expect(await until(() => probes('patient').length >= PROBES, 180_000, 100)).toBe(true);
    const results = probes('patient').slice(0, PROBES);
    for (const e of results) {
      expect(e.result.ok).toBe(false);
      expect(e.result.timedOut).toBe(true);
    }
    expect(results[0]!.result.detail).toMatch(/timed out/);
    // Never two probes of one service at once: in every sample of the kernel's connection table,
    // at most one connection of Vigil to that endpoint was open.
    expect(holeA.maxOpen).toBeLessThanOrEqual(1);
    expect(holeA.samples()).toBeGreaterThan(100);
    // Each probe opened its own connection (the server accepts them late: its samples of the
    // connection table slow it down, so only most of them need to have been seen by now).
    expect(holeA.total()).toBeGreaterThan(PROBES / 2);
    // The other service: timeouts past its threshold end its start as a failure, and it is retried.
    const judged = (e: VigilEvent): boolean =>
      e.type === 'service_event' && e.service === 'judged' && e.to === 'quarantined';
    await run.waitFor(judged, 30_000, 'judged quarantined after its attempts');
    expect(probes('judged').every((e) => e.result.timedOut)).toBe(true);
    expect(holeB.maxOpen).toBeLessThanOrEqual(1);

    // Stop probing: Vigil holds no more sockets than it did early on, the black holes see no
    // connection left open, and only Vigil and its two services run.
    await run.api().then((api) => api.post('/orchestrator/stop/patient'));
    await sleep(300);
    expect(
      await until(() => socketCount(run.pid)! <= sockets0, 10_000, 100),
      `sockets ${socketCount(run.pid)} vs ${sockets0}`,
    ).toBe(true);
    expect(await until(() => holeA.open() === 0 && holeB.open() === 0, 5_000)).toBe(true);
    const socketsAfter = socketCount(run.pid);
    const tagged = t.tagged().filter((pid) => pid !== run.pid);
    expect(tagged.length).toBeLessThanOrEqual(1); // judged is quarantined, patient stopped
    expect((await stopVigil(run)).code).toBe(0);
    process.stdout.write(
      `figures: hanging health endpoint: ${holeA.total()} probes, all timed out, at most ${holeA.maxOpen} connection open at once, ` +
        `Vigil sockets ${socketsAfter ?? 'n/a'} after vs ${sockets0} before\n`,
    );
  }, 300_000);
});
