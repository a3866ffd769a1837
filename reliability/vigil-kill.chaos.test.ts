/**
 * Vigil SIGKILLed twenty times at random moments while it writes history as fast as it can
 * (crash-looping services, probes every 10 ms). After every kill: the database opens and passes
 * `PRAGMA integrity_check`, every healing event the API had returned before the kill is in it (the
 * API flushes before it reads, so what it returned was committed), and the next Vigil ends the
 * previous run's orphans before it launches. At the end nothing is left running.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HealingEvent } from '../src/shared/events.js';
import {
  LINUX,
  Tracker,
  alive,
  buildCli,
  makeStack,
  runVigil,
  sleep,
  stopVigil,
  until,
  type VigilApiHandle,
} from './harness.js';

const KILLS = 20;
const t = new Tracker();
beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

const key = (e: HealingEvent): string =>
  `${e.ts}|${e.service}|${e.action}|${e.attempt}|${e.generation}`;

function stackYaml(): string {
  const lines = [
    'version: 1',
    'settings:',
    '  circuit_breaker: { threshold: 1000000, reset_after: 1s }',
    'services:',
  ];
  for (let i = 0; i < 4; i++) {
    lines.push(
      `  crash${i}:`,
      `    command: [sh, -c, "exit ${i + 1}"]`,
      '    required: false',
      '    restart: { backoff: [5ms], max_attempts: 1000000 }',
    );
  }
  for (let i = 0; i < 16; i++) {
    lines.push(
      `  sleeper${i}:`,
      '    command: [sleep, "3600"]',
      '    health: { process: true, interval: 10ms, start_interval: 10ms }',
    );
  }
  return lines.join('\n') + '\n';
}

describe.skipIf(!LINUX)('Vigil killed with SIGKILL during heavy writes', () => {
  it(`survives ${KILLS} kills: the database is whole, nothing acknowledged is lost, no orphan stays`, async () => {
    const stack = makeStack(t, stackYaml());
    const dbFile = path.join(stack.dataDir, 'vigil.db');
    const acked = new Map<string, HealingEvent>();
    let lost = 0;
    let orphansLeft = 0;
    let previousLive: number[] = [];
    let maxAckedInOneRun = 0;

    for (let round = 0; round < KILLS; round++) {
      const run = runVigil(t, { stack });
      const api: VigilApiHandle = await run.api(20_000);
      // The sweep runs before the launch: once a service of this run starts, the previous run's
      // orphans must be gone.
      await run.waitFor((e) => e.type === 'service_event' && e.to === 'starting', 20_000, 'launch');
      const survivors = previousLive.filter(alive);
      orphansLeft += survivors.length;
      expect(survivors, `round ${round}: orphans of the previous run`).toEqual([]);

      // Poll (and so acknowledge) while the writes go on, until the kill at a random moment.
      const killAt = performance.now() + 300 + Math.random() * 1_700;
      let ackedThisRun = 0;
      while (performance.now() < killAt) {
        const r = await api
          .call('GET', '/orchestrator/healing-history?limit=10000', { timeoutMs: 5_000 })
          .catch(() => null);
        if (r?.status === 200) {
          for (const e of (r.json as { events: HealingEvent[] }).events) {
            if (!acked.has(key(e))) ackedThisRun += 1;
            acked.set(key(e), e);
          }
        }
        await sleep(Math.random() * 60);
      }
      maxAckedInOneRun = Math.max(maxAckedInOneRun, ackedThisRun);
      const pids = run.pids();
      process.kill(run.pid, 'SIGKILL');
      await run.exit;
      await sleep(20);
      previousLive = pids.filter(alive);

      const db = new Database(dbFile);
      try {
        expect(db.pragma('integrity_check', { simple: true }), `round ${round}`).toBe('ok');
        const stored = new Set(
          (
            db.prepare("SELECT payload FROM events WHERE type = 'healing_event'").all() as {
              payload: string;
            }[]
          ).map((r) => key(JSON.parse(r.payload) as HealingEvent)),
        );
        const missing = [...acked.keys()].filter((k) => !stored.has(k));
        lost += missing.length;
        expect(missing, `round ${round}: acknowledged but not stored`).toEqual([]);
      } finally {
        db.close();
      }
    }

    // A last, clean run ends the final orphans and stops everything.
    const last = runVigil(t, { stack });
    await last.api(20_000);
    await last.waitFor((e) => e.type === 'service_event' && e.to === 'starting', 20_000, 'launch');
    orphansLeft += previousLive.filter(alive).length;
    expect((await stopVigil(last)).code).toBe(0);
    expect(await until(() => t.tagged().length === 0, 5_000)).toBe(true);
    const db = new Database(dbFile, { readonly: true });
    const runs = db.prepare('SELECT how FROM runs ORDER BY id').all() as { how: string | null }[];
    db.close();
    expect(runs).toHaveLength(KILLS + 1);
    expect(runs.slice(0, KILLS).every((r) => r.how === 'crashed')).toBe(true);
    expect(runs[KILLS]!.how).toBe('stopped');
    expect(acked.size).toBeGreaterThan(KILLS * 10);
    expect(lost).toBe(0);
    expect(orphansLeft).toBe(0);
    process.stdout.write(
      `figures: kills survived ${KILLS}/${KILLS}, acknowledged healing events ${acked.size} ` +
        `(up to ${maxAckedInOneRun} in one run), rows lost ${lost}, orphans left ${orphansLeft}\n`,
    );
  }, 600_000);
});
