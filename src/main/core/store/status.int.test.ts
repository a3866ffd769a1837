/**
 * `HistoryStore.status()` and its change notifications: ok, recovered (a corrupt file replaced),
 * degraded (writes failing: full, read-only, locked) and back, memory (no file); listeners hear
 * each change once, never each write or each retry.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { HistoryStore, type HistoryStoreOptions } from './history-store.js';
import type { HistoryStatus } from './types.js';
import { probeEvent, removeTempDirs, tempDir } from './testing/support.js';

const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);

const open: HistoryStore[] = [];
function openStore(dir: string, opts: HistoryStoreOptions = {}): HistoryStore {
  const s = HistoryStore.open(dir, { clock: new FakeClock(), ...opts });
  open.push(s);
  return s;
}

afterEach(() => {
  for (const s of open.splice(0)) s.close();
  removeTempDirs();
});

/** Lets queued notifications run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function listen(store: HistoryStore): HistoryStatus[] {
  const seen: HistoryStatus[] = [];
  store.onStatusChange((s) => seen.push(s));
  return seen;
}

/** A store whose disk fails with `code` while `fail.code` is set. */
function failingStore(fail: { code: string | null }) {
  const clock = new FakeClock();
  const store = openStore(tempDir(), {
    clock,
    flushIntervalMs: 100,
    maxBatch: 10,
    maxQueue: 20,
    faults: {
      beforeFlush: () => {
        if (fail.code) throw Object.assign(new Error(`failed: ${fail.code}`), { code: fail.code });
      },
    },
  });
  const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
  return { store, clock, run };
}

describe('HistoryStore.status', () => {
  it('is ok for a healthy file, and says so without a message', () => {
    const store = openStore(tempDir());
    expect(store.status()).toEqual({ state: 'ok', message: null, droppedRecords: 0 });
  });

  it('is memory for a store without a file, with a sentence saying so', () => {
    const store = HistoryStore.memory();
    open.push(store);
    const s = store.status();
    expect(s.state).toBe('memory');
    expect(s.message).toMatch(/in memory only/);
  });

  it('is memory, with the reason, when the database file cannot be opened', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'vigil.db')); // a directory where the file should be
    const s = openStore(dir).status();
    expect(s.state).toBe('memory');
    expect(s.message).toMatch(/history is not being saved.*cannot open .*vigil\.db/);
  });

  it('is recovered when a corrupt file was moved aside at open, naming where it went', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'vigil.db'), Buffer.alloc(32 * 1024, 0x5a));
    const s = openStore(dir).status();
    expect(s.state).toBe('recovered');
    expect(s.message).toMatch(
      /corrupt: it was moved to vigil\.db\.corrupt-\S+ and a new vigil\.db/,
    );
  });

  it('goes degraded when writes fail (full disk), once, and ok again when they succeed', async () => {
    const fail = { code: null as string | null };
    const { store, clock, run } = failingStore(fail);
    const seen = listen(store);
    // Healthy writes: nothing to tell.
    for (let i = 0; i < 30; i++) store.record(run, probeEvent('api', T0 + i));
    store.flush();
    await settle();
    expect(seen).toEqual([]);

    fail.code = 'SQLITE_FULL';
    for (let i = 0; i < 50; i++) store.record(run, probeEvent('api', T0 + 100 + i));
    clock.advance(100);
    await settle();
    expect(store.status().state).toBe('degraded');
    expect(store.status().message).toMatch(/history is not being saved: the disk is full/);
    expect(store.status().droppedRecords).toBe(30);
    // Retries and more records while it fails: still the one notification.
    for (let i = 0; i < 50; i++) store.record(run, probeEvent('api', T0 + 200 + i));
    clock.advance(20_000);
    await settle();
    expect(seen.map((s) => s.state)).toEqual(['degraded']);
    expect(seen[0]!.message).toMatch(/disk is full \(SQLITE_FULL\)/);

    fail.code = null;
    clock.advance(5_000);
    await settle();
    expect(store.status()).toEqual({ state: 'ok', message: null, droppedRecords: 80 });
    expect(seen.map((s) => s.state)).toEqual(['degraded', 'ok']);
    expect(seen[1]!.droppedRecords).toBe(80);
  });

  it('tells a change of cause while degraded (read-only, then locked) but not a repeat of it', async () => {
    const fail = { code: null as string | null };
    const { store, clock, run } = failingStore(fail);
    const seen = listen(store);
    fail.code = 'SQLITE_READONLY';
    store.record(run, probeEvent('api', T0));
    clock.advance(100);
    clock.advance(1_000);
    await settle();
    expect(store.status().message).toMatch(/the database became read-only \(SQLITE_READONLY\)/);
    fail.code = 'SQLITE_BUSY';
    clock.advance(5_000);
    clock.advance(5_000);
    await settle();
    expect(store.status().message).toMatch(/locked by another process \(SQLITE_BUSY\)/);
    expect(seen.map((s) => [s.state, /read-only|locked/.exec(s.message ?? '')?.[0]])).toEqual([
      ['degraded', 'read-only'],
      ['degraded', 'locked'],
    ]);
    fail.code = null;
    clock.advance(5_000);
    await settle();
    expect(seen.map((s) => s.state)).toEqual(['degraded', 'degraded', 'ok']);
  });

  it('goes recovered when corruption is found while writing', async () => {
    let corrupt = false;
    const clock = new FakeClock();
    const store = openStore(tempDir(), {
      clock,
      faults: {
        beforeFlush: () => {
          if (corrupt) {
            corrupt = false;
            throw Object.assign(new Error('database disk image is malformed'), {
              code: 'SQLITE_CORRUPT',
            });
          }
        },
      },
    });
    const seen = listen(store);
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    corrupt = true;
    store.record(run, probeEvent('api', T0 + 1));
    store.flush();
    clock.advance(0);
    await settle();
    expect(seen.map((s) => s.state)).toEqual(['recovered']);
    expect(store.status().message).toMatch(/moved to vigil\.db\.corrupt-/);
    expect(store.probes('api')).toHaveLength(1);
  });

  it('stops telling a listener that unsubscribed, and survives one that throws', async () => {
    const fail = { code: null as string | null };
    const { store, clock, run } = failingStore(fail);
    const seen: string[] = [];
    const off = store.onStatusChange((s) => seen.push(s.state));
    store.onStatusChange(() => {
      throw new Error('listener bug');
    });
    fail.code = 'SQLITE_IOERR';
    store.record(run, probeEvent('api', T0));
    clock.advance(100);
    await settle();
    off();
    fail.code = null;
    clock.advance(5_000);
    await settle();
    expect(seen).toEqual(['degraded']);
    expect(store.status().state).toBe('ok');
  });
});
