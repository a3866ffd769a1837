/**
 * A writer killed with SIGKILL at random moments leaves a database that opens, passes
 * `integrity_check`, and holds every batch the writer had acknowledged, each batch whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from './history-store.js';
import { bundleScript, runScript, tempDir, waitForExit } from './testing/support.js';

const ROWS_PER_BATCH = 2_000;
const ROUNDS = 5;

/** Writes batches of health results (generation = batch number) and prints "ack N" after each commit. */
const WRITER = `
import { HistoryStore } from './history-store.js';
const [dir, first] = process.argv.slice(2);
const store = HistoryStore.open(dir!, { flushIntervalMs: 3_600_000, maxBatch: 1_000_000 });
const run = store.beginRun({ stackName: 'durability', stackFile: '/d/vigil.yaml', startedAt: Date.now() });
for (let b = Number(first); b < Number(first) + 1_000_000; b++) {
  const ts = Date.now();
  for (let i = 0; i < ${ROWS_PER_BATCH}; i++) {
    store.record(run, {
      type: 'health_update', ts, service: 'svc-' + (i % 10), generation: b,
      result: { ok: i % 7 !== 0, timedOut: false, latencyMs: i % 50, probe: 'tcp', detail: 'batch ' + b, ts },
      from: 'healthy', to: 'healthy', consecutiveFailures: 0, consecutiveSuccesses: 1,
    });
  }
  store.record(run, {
    type: 'healing_event', ts, service: 'svc-0', action: 'restart', attempt: b, generation: b,
    reason: { kind: 'exit', message: 'exited with code 1', exitCode: 1 },
  });
  store.flush();
  if (store.degraded) { process.stderr.write(store.degraded + '\\n'); process.exit(3); }
  process.stdout.write('ack ' + b + '\\n');
}
`;

let writer = '';
const dirs: string[] = [];

beforeAll(async () => {
  writer = await bundleScript(WRITER, 'durability-writer');
});

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  if (writer) fs.rmSync(path.dirname(writer), { recursive: true, force: true });
});

describe('history store durability', () => {
  it('survives SIGKILL at random moments with every acknowledged batch intact', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const acked = new Set<number>();

    for (let round = 0; round < ROUNDS; round++) {
      const first = round * 1_000_000;
      const child = runScript(writer, [dir, String(first)]);
      let buf = '';
      let stderr = '';
      let firstAck: () => void = () => {};
      const gotAck = new Promise<void>((resolve) => (firstAck = resolve));
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const line of lines) {
          const m = /^ack (\d+)$/.exec(line);
          if (m) {
            acked.add(Number(m[1]));
            firstAck();
          }
        }
      });
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = waitForExit(child, 30_000);
      try {
        await Promise.race([
          gotAck,
          exited.then(() => {
            throw new Error(`writer exited early: ${stderr}`);
          }),
        ]);
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
      } finally {
        child.kill('SIGKILL');
      }
      expect((await exited).signal).toBe('SIGKILL');
    }

    const db = new Database(`${dir}/vigil.db`);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const batches = new Map(
        (
          db
            .prepare('SELECT generation AS b, count(*) AS n FROM probes GROUP BY generation')
            .all() as {
            b: number;
            n: number;
          }[]
        ).map((r) => [r.b, r.n]),
      );
      const healing = new Set(
        (
          db.prepare("SELECT action, payload FROM events WHERE type = 'healing_event'").all() as {
            payload: string;
          }[]
        ).map((r) => (JSON.parse(r.payload) as { attempt: number }).attempt),
      );
      for (const b of acked) {
        expect(batches.get(b), `batch ${b}`).toBe(ROWS_PER_BATCH);
        expect(healing.has(b), `healing event of batch ${b}`).toBe(true);
      }
      // Every batch present is whole (one transaction each), acknowledged or not.
      for (const [b, n] of batches) expect(n, `batch ${b}`).toBe(ROWS_PER_BATCH);
      // At most the batch being committed at the kill is there without its ack, per round.
      expect(batches.size - acked.size).toBeLessThanOrEqual(ROUNDS);
      expect(acked.size).toBeGreaterThanOrEqual(ROUNDS);
    } finally {
      db.close();
    }

    const store = HistoryStore.open(dir);
    try {
      expect(store.degraded).toBeNull();
      const runs = store.runs();
      expect(runs).toHaveLength(ROUNDS);
      expect(runs.every((r) => r.how === 'crashed' && r.endedAt !== null)).toBe(true);
    } finally {
      store.close();
    }
  });
});
