/**
 * The system view carries whether history is being saved, and the supervisor tells the stream
 * when that changes (one status event per change, none per write). No process is started.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../core/testing/temp.js';
import type { StatusEvent, VigilEvent } from '../../shared/events.js';
import { FakeClock } from '../core/clock.js';
import { parseStack } from '../core/config/index.js';
import { HistoryStore } from '../core/store/index.js';
import { Supervisor } from '../core/supervisor.js';
import { historyView, statusSnapshot, systemView } from './views.js';

const stores: HistoryStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  removeTempDirs();
});

function supervisor(store: HistoryStore | null): { sup: Supervisor; events: VigilEvent[] } {
  const dir = tempDir();
  const parsed = parseStack(
    'version: 1\nservices:\n  api:\n    command: node api.mjs\n',
    path.join(dir, 'vigil.yaml'),
  );
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
  const sup = new Supervisor({
    config: parsed.config,
    dataDir: path.join(dir, '.data'),
    store,
    sampleIntervalMs: 0,
  });
  const events: VigilEvent[] = [];
  sup.subscribe((e) => events.push(e));
  return { sup, events };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
const statusEvents = (events: VigilEvent[]): StatusEvent[] =>
  events.filter((e): e is StatusEvent => e.type === 'status_update');

describe('system view: history', () => {
  it('says history is not saved when the run has no store', () => {
    const { sup } = supervisor(null);
    const h = systemView(sup, []).history;
    expect(h).toEqual({
      state: 'memory',
      message: expect.stringMatching(/not being saved.*no history store/),
      dropped_records: 0,
    });
    expect(historyView(null).state).toBe('memory');
  });

  it('is ok, without a message, for a store writing to its file', () => {
    const store = HistoryStore.open(tempDir(), { clock: new FakeClock() });
    stores.push(store);
    const { sup } = supervisor(store);
    expect(statusSnapshot(sup).system.history).toEqual({
      state: 'ok',
      message: null,
      dropped_records: 0,
    });
  });

  it('turns degraded with the reason and the dropped count while writes fail, then ok; one status event each way', async () => {
    let full = false;
    const clock = new FakeClock();
    const store = HistoryStore.open(tempDir(), {
      clock,
      flushIntervalMs: 100,
      maxBatch: 5,
      maxQueue: 10,
      faults: {
        beforeFlush: () => {
          if (full)
            throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        },
      },
    });
    stores.push(store);
    const { sup, events } = supervisor(store);
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: clock.wallNow() });
    const record = (n: number): void => {
      for (let i = 0; i < n; i++) {
        store.record(run, {
          type: 'healing_event',
          ts: clock.wallNow(),
          service: 'api',
          action: 'restart',
          reason: { kind: 'exit', message: 'exited' },
          attempt: 1,
          generation: 1,
        });
      }
    };

    full = true;
    record(25);
    clock.advance(100);
    clock.advance(10_000); // retries fail quietly
    await settle();
    const h = systemView(sup, []).history!;
    expect(h.state).toBe('degraded');
    expect(h.message).toMatch(/history is not being saved: the disk is full \(SQLITE_FULL\)/);
    expect(h.dropped_records).toBe(15);
    let told = statusEvents(events);
    expect(told).toHaveLength(1);
    expect(told[0]!.message).toMatch(/history is not being saved: the disk is full/);
    expect(told[0]!.event).toBeUndefined();

    full = false;
    clock.advance(5_000);
    await settle();
    expect(systemView(sup, []).history).toEqual({
      state: 'ok',
      message: null,
      dropped_records: 15,
    });
    told = statusEvents(events);
    expect(told.map((e) => e.message)).toEqual([
      expect.stringMatching(/disk is full/),
      'history is being saved again (15 records were dropped)',
    ]);
    // Healthy writes afterwards say nothing.
    record(50);
    clock.advance(1_000);
    await settle();
    expect(statusEvents(events)).toHaveLength(2);
  });
});
