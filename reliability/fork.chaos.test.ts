/**
 * A fork-happy service with `limits: { processes: N }`: its tree is ended whenever it passes the
 * bound (the machine never sees hundreds of its processes), the reason says so, and Vigil's API
 * keeps answering while it happens. The script forks at most 400 sleepers on its own, a safety net
 * should Vigil fail to stop it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VigilEvent } from '../src/shared/events.js';
import {
  LINUX,
  Tracker,
  buildCli,
  makeStack,
  runVigil,
  serviceDetail,
  sleep,
  stopVigil,
  until,
} from './harness.js';
import { FORKER, IDLE } from './services.js';

const t = new Tracker();
beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

const LIMIT = 20;

describe.skipIf(!LINUX)('a fork-happy service', () => {
  it('is held to its process limit, with a clear reason, while the API stays responsive', async () => {
    const stack = makeStack(
      t,
      `version: 1
services:
  forker:
    command: [node, forker.mjs]
    limits: { processes: ${LIMIT} }
    restart: { backoff: [300ms], max_attempts: 3 }
  calm:
    command: [node, idle.mjs]
settings:
  circuit_breaker: { threshold: 100, reset_after: 1s }
`,
      { 'forker.mjs': FORKER, 'idle.mjs': IDLE },
    );
    const run = runVigil(t, { stack });
    const api = await run.api();
    let peak = 0;
    const answers: number[] = [];
    const quarantined = (e: VigilEvent): boolean =>
      e.type === 'service_event' && e.service === 'forker' && e.to === 'quarantined';
    const t0 = performance.now();
    while (!run.events.some(quarantined) && performance.now() - t0 < 60_000) {
      peak = Math.max(peak, t.tagged().length);
      const a0 = performance.now();
      const r = await api.call('GET', '/orchestrator/status', { timeoutMs: 10_000 });
      expect(r.status).toBe(200);
      answers.push(performance.now() - a0);
      await sleep(50);
    }
    expect(run.events.some(quarantined)).toBe(true);
    // Vigil, calm and forker's tree: the tree never got far past its bound before it was ended.
    expect(peak).toBeLessThan(LIMIT * 4);
    const ends = run.events.filter(
      (e) => e.type === 'service_event' && e.service === 'forker' && e.to === 'backoff',
    );
    expect(ends.length).toBeGreaterThan(0);
    const reason = ends[0]!.type === 'service_event' ? ends[0]!.reason.message : '';
    expect(reason).toMatch(new RegExp(`limit of ${LIMIT} processes`));
    expect(await until(() => t.tagged().length === 2, 10_000)).toBe(true); // Vigil and calm
    expect((await serviceDetail(api, 'calm')).lifecycle).toBe('running');
    expect((await stopVigil(run)).code).toBe(0);
    answers.sort((a, b) => a - b);
    process.stdout.write(
      `figures: fork-happy service (limit ${LIMIT}): peak ${peak} tagged processes, ${ends.length} kills, ` +
        `reason "${reason}", GET /status p50 ${Math.round(answers[answers.length >> 1]!)} ms max ${Math.round(answers[answers.length - 1]!)} ms over ${answers.length} calls\n`,
    );
  }, 120_000);
});
