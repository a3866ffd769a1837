/**
 * The history store against real SQLite files: schema and runs, batches, queries, availability,
 * retention, corruption and disk faults.
 *
 * Over 500 lines: one case per promise of the store's contract, sharing the open/close helpers.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthEvent, LogEvent } from '../../../shared/events.js';
import { FakeClock } from '../clock.js';
import type { Logger } from '../logger.js';
import { HistoryStore, type HistoryStoreOptions } from './history-store.js';
import { SCHEMA_VERSION } from './schema.js';
import {
  healingEvent,
  lifecycleEvent,
  probeEvent,
  statusEvent,
  removeTempDirs,
  tempDir,
} from './testing/support.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** FakeClock's wall time starts at 2026-01-01 10:00 UTC. */
const NOW = Date.UTC(2026, 0, 1, 10, 0, 0);
const T0 = NOW - HOUR;

interface Captured extends Logger {
  readonly lines: { level: string; msg: string }[];
}

function captureLogger(): Captured {
  const lines: { level: string; msg: string }[] = [];
  const log =
    (level: string) =>
    (msg: string): void => {
      lines.push({ level, msg });
    };
  return {
    lines,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    setLevel: () => {},
    addSecret: () => {},
  };
}

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

function rawCount(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('HistoryStore: schema and runs', () => {
  it('creates the schema from an empty directory, in WAL mode, and reopens without migrating again', () => {
    const dir = path.join(tempDir(), 'nested', 'data');
    const store = openStore(dir);
    expect(store.file).toBe(path.join(dir, 'vigil.db'));
    expect(store.degraded).toBeNull();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    store.close();

    const db = new Database(store.file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(tables).toEqual([
      'events',
      'meta',
      'probe_rollups',
      'probes',
      'runs',
      'samples',
      'services',
    ]);
    db.close();

    const again = openStore(dir);
    expect(again.degraded).toBeNull();
    expect(again.runs()).toEqual([]);
  });

  it('writes a run at once, ends it, and marks a run that never ended as crashed on the next open', () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const store = openStore(dir, { clock });
    const first = store.beginRun({ stackName: 'shop', stackFile: '/s/vigil.yaml', startedAt: T0 });
    expect(rawCount(store.file, 'runs')).toBe(1); // written before any flush timer
    store.endRun(first, { endedAt: T0 + 10 * MIN, how: 'stopped' });

    const second = store.beginRun({
      stackName: 'shop',
      stackFile: '/s/vigil.yaml',
      startedAt: T0 + HOUR,
    });
    expect(second).toBe(first + 1);
    store.record(second, probeEvent('api', T0 + HOUR + 5_000));
    store.record(second, probeEvent('api', T0 + HOUR + 9_000));
    store.close(); // no endRun: Vigil died

    const reopened = openStore(dir, { clock });
    expect(reopened.runs()).toEqual([
      {
        id: second,
        stackName: 'shop',
        stackFile: '/s/vigil.yaml',
        startedAt: T0 + HOUR,
        endedAt: T0 + HOUR + 9_000, // the last thing written for it
        how: 'crashed',
      },
      {
        id: first,
        stackName: 'shop',
        stackFile: '/s/vigil.yaml',
        startedAt: T0,
        endedAt: T0 + 10 * MIN,
        how: 'stopped',
      },
    ]);
    expect(reopened.runs(1)).toHaveLength(1);
    const third = reopened.beginRun({
      stackName: 'shop',
      stackFile: '/s/vigil.yaml',
      startedAt: NOW,
    });
    expect(third).toBe(second + 1);
  });
});

describe('HistoryStore: recording', () => {
  it('round-trips every kind of event and ignores log lines', () => {
    const store = openStore(tempDir());
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    const svc = lifecycleEvent('api', T0 + 1, 'starting', 'running', { kind: 'launch' });
    const steady = probeEvent('api', T0 + 2, { latencyMs: 12.5 });
    const change = probeEvent('api', T0 + 3, {
      ok: false,
      timedOut: true,
      latencyMs: 2000,
      from: 'healthy',
      to: 'degraded',
      detail: 'x'.repeat(5_000),
    });
    const heal = healingEvent('api', T0 + 4, 'restart');
    const status = statusEvent(T0 + 5, {
      system: 'healthy',
      event: 'system-ready',
      readyInMs: 1234,
      criticalChain: [{ service: 'api', atMs: 1000, tookMs: 400 }],
    });
    const log: LogEvent = {
      type: 'log',
      ts: T0 + 6,
      service: 'api',
      stream: 'stdout',
      line: 'hello',
      seq: 1,
    };
    for (const e of [svc, steady, change, heal, status, log]) store.record(run, e);

    expect(store.serviceEvents()).toEqual([svc]);
    expect(store.healing()).toEqual([heal]);
    expect(store.statusEvents()).toEqual([status]);
    expect(store.healthChanges({ service: 'api' })).toEqual([change]); // only the change
    const probes = store.probes('api');
    expect(probes).toHaveLength(2);
    expect(probes[0]).toEqual({
      runId: run,
      ts: T0 + 3,
      service: 'api',
      generation: 1,
      ok: false,
      timedOut: true,
      latencyMs: 2000,
      probe: 'http',
      detail: 'x'.repeat(2_000), // cut to MAX_DETAIL_CHARS
    });
    expect(probes[1]).toMatchObject({ ts: T0 + 2, ok: true, timedOut: false, latencyMs: 12.5 });
    expect(rawCount(store.file, 'events')).toBe(4); // service, health change, healing, status
  });

  it('queries newest first (probes, healing) or oldest first (events), with filters and limits', () => {
    const store = openStore(tempDir());
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    for (let i = 0; i < 10; i++) {
      store.record(run, probeEvent(i % 2 ? 'api' : 'db', T0 + i * 1000));
      store.record(run, healingEvent(i % 2 ? 'api' : 'db', T0 + i * 1000, 'restart', i));
      store.record(
        run,
        lifecycleEvent(i % 2 ? 'api' : 'db', T0 + i * 1000, 'starting', 'running', {
          kind: 'launch',
        }),
      );
      store.record(run, statusEvent(T0 + i * 1000, { message: `m${i}` }));
    }
    expect(store.probes('api').map((p) => p.ts)).toEqual([9, 7, 5, 3, 1].map((i) => T0 + i * 1000));
    expect(store.probes('api', { limit: 2 }).map((p) => p.ts)).toEqual([T0 + 9000, T0 + 7000]);
    expect(store.probes('api', { since: T0 + 3000, until: T0 + 7000 }).map((p) => p.ts)).toEqual([
      T0 + 7000,
      T0 + 5000,
      T0 + 3000,
    ]);

    expect(store.healing().map((e) => e.attempt)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(store.healing({ service: 'db', limit: 3 }).map((e) => e.attempt)).toEqual([8, 6, 4]);
    expect(store.healing({ since: T0 + 8000 }).map((e) => e.attempt)).toEqual([9, 8]);

    expect(store.serviceEvents({ service: 'api' }).map((e) => e.ts)).toEqual(
      [1, 3, 5, 7, 9].map((i) => T0 + i * 1000),
    );
    expect(store.serviceEvents({ limit: 2 }).map((e) => e.ts)).toEqual([T0, T0 + 1000]);
    expect(store.statusEvents({ until: T0 + 1000 }).map((e) => e.message)).toEqual(['m0', 'm1']);
  });

  it('flushes on its timer, or at once when a batch is full', () => {
    const clock = new FakeClock();
    const store = openStore(tempDir(), { clock, flushIntervalMs: 200, maxBatch: 50 });
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    for (let i = 0; i < 10; i++) store.record(run, probeEvent('api', T0 + i));
    expect(rawCount(store.file, 'probes')).toBe(0);
    expect(store.pendingRecords).toBe(10);
    clock.advance(199);
    expect(rawCount(store.file, 'probes')).toBe(0);
    clock.advance(1);
    expect(rawCount(store.file, 'probes')).toBe(10);
    for (let i = 0; i < 50; i++) store.record(run, probeEvent('api', T0 + 100 + i));
    expect(rawCount(store.file, 'probes')).toBe(60);
    expect(store.pendingRecords).toBe(0);
  });

  it('reports the write rate of health rows (printed, not asserted)', () => {
    const store = openStore(tempDir());
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    const n = 50_000;
    const events: HealthEvent[] = [];
    for (let i = 0; i < n; i++) events.push(probeEvent(`svc-${i % 100}`, T0 + i));
    const t = performance.now();
    for (const e of events) store.record(run, e);
    store.flush();
    const ms = performance.now() - t;
    console.log(
      `history store: ${Math.round((n / ms) * 1000)} health rows/s (${n} rows in ${Math.round(ms)} ms)`,
    );
    expect(rawCount(store.file, 'probes')).toBe(n);
  });
});

describe('HistoryStore: statistics and series', () => {
  it('computes uptime, MTTR, outages and counts for a service from recorded events', () => {
    const S = 1000;
    const clock = new FakeClock(T0 + 100 * S);
    const store = openStore(tempDir(), { clock });
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    const at = (s: number): number => T0 + s * S;
    const events = [
      lifecycleEvent('api', at(0), 'pending', 'starting', { kind: 'launch' }),
      lifecycleEvent('api', at(1), 'starting', 'running', { kind: 'launch' }),
      probeEvent('api', at(2), { from: 'unknown', to: 'healthy' }),
      probeEvent('api', at(5)),
      lifecycleEvent('api', at(10), 'running', 'backoff', { kind: 'exit', exitCode: 1 }),
      healingEvent('api', at(10), 'restart_scheduled', 1),
      healingEvent('api', at(11), 'restart', 1),
      lifecycleEvent('api', at(11), 'backoff', 'starting', { kind: 'exit', exitCode: 1 }, 2),
      lifecycleEvent('api', at(12), 'starting', 'running', { kind: 'exit', exitCode: 1 }, 2),
      probeEvent('api', at(14), { from: 'unknown', to: 'healthy', generation: 2 }),
      probeEvent('api', at(20), { ok: false, from: 'healthy', to: 'degraded', generation: 2 }),
      probeEvent('api', at(22), { ok: false, from: 'degraded', to: 'unhealthy', generation: 2 }),
      healingEvent('api', at(23), 'graceful_restart', 2),
      healingEvent('api', at(24), 'breaker_open', 2),
      healingEvent('api', at(25), 'dependency_restart', 3),
      healingEvent('api', at(26), 'quarantine', 3),
      probeEvent('api', at(30), { from: 'unhealthy', to: 'healthy', generation: 2 }),
      // another service's events must not count
      lifecycleEvent('db', at(15), 'running', 'backoff', { kind: 'exit', exitCode: 1 }),
      healingEvent('db', at(15), 'restart', 1),
    ];
    for (const e of events) store.record(run, e);

    const stats = store.serviceStats('api', { since: at(0), until: at(40) });
    // up 2–10, 14–22, 30–40 = 26 s; down 10–14, 22–30 = 12 s (see availability.test.ts)
    expect(stats.uptimePct).toBeCloseTo((26 / 38) * 100, 6);
    expect(stats.outages).toBe(2);
    expect(stats.mttrMs).toBe(6 * S);
    expect(stats.longestOutageMs).toBe(8 * S);
    expect(stats.restarts).toBe(3); // restart, graceful_restart, dependency_restart
    expect(stats.restarts).toBe(
      store
        .healing({ service: 'api', since: at(0), until: at(40) })
        .filter((e) => ['restart', 'graceful_restart', 'dependency_restart'].includes(e.action))
        .length,
    );
    expect(stats.quarantines).toBe(1);
    expect(stats.breakerTrips).toBe(1);
    expect(stats.probes).toBe(6);
    expect(stats.probeFailures).toBe(2);

    // A window that starts mid-outage replays the state before it.
    const late = store.serviceStats('api', { since: at(12), until: at(40) });
    expect(late.uptimePct).toBeCloseTo((18 / 28) * 100, 6);
    expect(late.restarts).toBe(2);

    // The end of the window is clipped to now (100 s): the last state runs to now, not beyond.
    const future = store.serviceStats('api', { since: at(30), until: at(1000) });
    expect(future.uptimePct).toBe(100);
    expect(store.serviceStats('nobody', { since: at(0), until: at(40) }).uptimePct).toBeNull();
  });

  it('downsamples health results into buckets', () => {
    const store = openStore(tempDir());
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    // 4 buckets of 15 s over one minute; one result per second.
    for (let s = 0; s < 60; s++) {
      const ok = s < 30 || s % 2 === 0; // second half: every other one fails
      store.record(
        run,
        probeEvent('api', T0 + s * 1000, { ok, timedOut: !ok && s % 4 === 1, latencyMs: s }),
      );
    }
    const b = store.healthSeries('api', { since: T0, until: T0 + MIN, points: 4 });
    expect(b.map((x) => x.ts)).toEqual([T0, T0 + 15_000, T0 + 30_000, T0 + 45_000]);
    expect(b.map((x) => x.count)).toEqual([15, 15, 15, 15]);
    expect(b.map((x) => x.ok)).toEqual([15, 15, 8, 7]); // 30..44: 8 even; 45..59: 7 even
    expect(b.map((x) => x.failed)).toEqual([0, 0, 7, 8]);
    // odd seconds with s % 4 === 1: 33, 37, 41 | 45, 49, 53, 57
    expect(b.map((x) => x.timedOut)).toEqual([0, 0, 3, 4]);
    expect(b[0]!.latencyAvg).toBe(7); // mean of 0..14
    expect(b[3]!.latencyMax).toBe(59);

    const gaps = store.healthSeries('api', { since: T0 - MIN, until: T0 + MIN, points: 2 });
    expect(gaps[0]).toEqual({
      ts: T0 - MIN,
      count: 0,
      ok: 0,
      failed: 0,
      timedOut: 0,
      latencyAvg: null,
      latencyMax: null,
    });
    expect(gaps[1]!.count).toBe(60);
  });

  it('downsamples CPU and memory samples', () => {
    const store = openStore(tempDir());
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    for (let i = 0; i < 10; i++) {
      store.recordSample(run, {
        service: 'api',
        ts: T0 + i * 1000,
        cpuPercent: i,
        rssBytes: 1000 * i,
      });
    }
    store.recordSample(run, { service: 'db', ts: T0, cpuPercent: 99, rssBytes: 1 });
    const b = store.resourceSeries('api', { since: T0, until: T0 + 10_000, points: 2 });
    expect(b).toEqual([
      { ts: T0, count: 5, cpuAvg: 2, cpuMax: 4, rssAvg: 2000, rssMax: 4000 },
      { ts: T0 + 5000, count: 5, cpuAvg: 7, cpuMax: 9, rssAvg: 7000, rssMax: 9000 },
    ]);
  });
});

describe('HistoryStore: retention', () => {
  it('deletes old rows, keeps per-minute rollups 4x longer for charts, and keeps runs', () => {
    const clock = new FakeClock(NOW);
    const store = openStore(tempDir(), { clock });
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: NOW - 10 * DAY });
    // One result every 10 s for 3 days before now; one failure in six.
    const start = NOW - 3 * DAY;
    let n = 0;
    for (let ts = start; ts < NOW; ts += 10_000, n++) {
      store.record(run, probeEvent('api', ts, { ok: n % 6 !== 0, latencyMs: 10 }));
    }
    store.record(run, healingEvent('api', NOW - 2 * DAY, 'restart'));
    store.record(run, healingEvent('api', NOW - HOUR, 'restart'));
    store.recordSample(run, { service: 'api', ts: NOW - 2 * DAY, cpuPercent: 1, rssBytes: 1 });
    const before = store.healthSeries('api', { since: start, until: NOW, points: 3 });
    expect(before.map((b) => b.count)).toEqual([8640, 8640, 8640]);

    const { deleted } = store.prune(NOW, DAY);
    // 2 days of probes (17 280), one healing event, one sample
    expect(deleted).toBe(17_280 + 1 + 1);
    expect(store.probes('api', { limit: 100_000 })).toHaveLength(8640);
    expect(store.healing().map((e) => e.ts)).toEqual([NOW - HOUR]);

    // Charts over the pruned days come from the rollups: same counts, failures and latency.
    const after = store.healthSeries('api', { since: start, until: NOW, points: 3 });
    expect(after).toEqual(before);
    const stats = store.serviceStats('api', { since: start, until: NOW });
    expect(stats.probes).toBe(25_920);
    expect(stats.probeFailures).toBe(4_320);
    // The batched counts of a snapshot read raw rows and rollups alike.
    const all = store.probeCountsAll({ since: start, until: NOW });
    expect(all.get('api')).toEqual({ count: 25_920, failed: 4_320 });
    const recent = store.probeCountsAll({ since: NOW - HOUR, until: NOW });
    expect(recent.get('api')).toEqual(store.probeCounts('api', { since: NOW - HOUR, until: NOW }));
    expect(recent.has('ghost')).toBe(false);

    // Rollups go at 4x the retention; the run survives everything.
    expect(store.prune(NOW + 3 * DAY, DAY / 4).deleted).toBe(8640 + 1 + 3 * 24 * 60);
    expect(store.healthSeries('api', { since: start, until: NOW, points: 1 })[0]!.count).toBe(0);
    expect(store.runs()).toHaveLength(1);
  });

  it('prunes on its own timer with the configured retention', () => {
    const clock = new FakeClock(NOW);
    const store = openStore(tempDir(), { clock, retentionMs: DAY, pruneIntervalMs: HOUR });
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: NOW });
    store.record(run, probeEvent('api', NOW - 2 * DAY));
    store.record(run, probeEvent('api', NOW));
    store.flush();
    clock.advance(MIN); // first prune a minute after open
    expect(store.probes('api').map((p) => p.ts)).toEqual([NOW]);
    store.setRetention(30 * MIN);
    clock.advance(HOUR); // now NOW + 61 min: the NOW row is older than 30 min
    expect(store.probes('api')).toEqual([]);
  });
});

describe('HistoryStore: damage and failures', () => {
  function garbage(file: string, bytes: Buffer): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
  }

  it('moves a file of garbage aside and starts a fresh database', () => {
    const dir = tempDir();
    const db = path.join(dir, 'vigil.db');
    garbage(db, Buffer.from('this is not a database at all, just text '.repeat(200)));
    const logger = captureLogger();
    const store = openStore(dir, { logger });
    expect(store.degraded).toBeNull();
    const aside = fs.readdirSync(dir).filter((f) => f.startsWith('vigil.db.corrupt-'));
    expect(aside.some((f) => /^vigil\.db\.corrupt-[\dT-]+Z$/.test(f))).toBe(true);
    expect(logger.lines.some((l) => l.level === 'error' && /corrupt/.test(l.msg))).toBe(true);
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    store.record(run, probeEvent('api', T0));
    expect(store.probes('api')).toHaveLength(1);
  });

  it('moves a truncated database aside and starts a fresh one', () => {
    const dir = tempDir();
    const first = openStore(dir);
    const run = first.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    for (let i = 0; i < 20_000; i++)
      first.record(run, probeEvent('api', T0 + i, { detail: `d${i}` }));
    first.close();
    const size = fs.statSync(first.file).size;
    fs.truncateSync(first.file, Math.floor(size / 2));

    const logger = captureLogger();
    const store = openStore(dir, { logger });
    expect(store.degraded).toBeNull();
    expect(fs.readdirSync(dir).some((f) => f.startsWith('vigil.db.corrupt-'))).toBe(true);
    expect(store.runs()).toEqual([]);
    expect(logger.lines.some((l) => l.level === 'error' && /corrupt/.test(l.msg))).toBe(true);

    const tiny = tempDir();
    garbage(path.join(tiny, 'vigil.db'), fs.readFileSync(store.file).subarray(0, 50));
    expect(openStore(tiny).degraded).toBeNull();
    expect(fs.readdirSync(tiny).some((f) => f.startsWith('vigil.db.corrupt-'))).toBe(true);
  });

  it('recovers from corruption found while writing, keeping the batch and the live run', () => {
    const dir = tempDir();
    let corrupt = false;
    const clock = new FakeClock();
    const store = openStore(dir, {
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
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    corrupt = true;
    store.record(run, probeEvent('api', T0 + 1));
    store.flush();
    clock.advance(0);
    expect(store.degraded).toBeNull();
    expect(fs.readdirSync(dir).some((f) => f.startsWith('vigil.db.corrupt-'))).toBe(true);
    expect(store.probes('api')).toHaveLength(1);
    expect(store.runs().map((r) => r.id)).toEqual([run]);
  });

  it('keeps working in memory when the data directory cannot be created', () => {
    const base = tempDir();
    fs.writeFileSync(path.join(base, 'file'), 'x');
    const dir = path.join(base, 'file', 'data'); // parent is a regular file
    const logger = captureLogger();
    const store = openStore(dir, { logger });
    expect(store.degraded).toMatch(/history is not being saved/);
    expect(store.degraded).toContain(dir);
    expect(logger.lines.some((l) => l.level === 'error')).toBe(true);
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    store.record(run, probeEvent('api', T0));
    expect(store.probes('api')).toHaveLength(1);
    expect(store.runs()).toHaveLength(1);
  });

  it('keeps working in memory when the database file cannot be opened', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'vigil.db')); // a directory where the file should be
    const store = openStore(dir);
    expect(store.degraded).toMatch(/history is not being saved.*cannot open .*vigil\.db/);
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    store.record(run, healingEvent('api', T0, 'restart'));
    expect(store.healing()).toHaveLength(1);
  });

  it('keeps working in memory when the data directory is read-only', (ctx) => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o500);
    try {
      let writable = false;
      try {
        fs.writeFileSync(path.join(dir, 'probe'), 'x');
        writable = true;
      } catch {
        // expected for a normal user
      }
      if (writable) {
        ctx.skip(
          'running as root: chmod does not stop writes (the not-a-directory case covers this)',
        );
        return;
      }
      const store = openStore(dir);
      expect(store.degraded).toMatch(/history is not being saved.*cannot open/);
      const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
      store.record(run, probeEvent('api', T0));
      expect(store.probes('api')).toHaveLength(1);
    } finally {
      fs.chmodSync(dir, 0o700);
    }
  });

  it('on a full disk keeps the newest records up to a bound, says so, and catches up when space returns', () => {
    let full = false;
    const clock = new FakeClock();
    const logger = captureLogger();
    const store = openStore(tempDir(), {
      clock,
      logger,
      flushIntervalMs: 100,
      maxBatch: 10,
      maxQueue: 50,
      faults: {
        beforeFlush: () => {
          if (full)
            throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        },
      },
    });
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    store.record(run, probeEvent('api', T0));
    store.flush();
    full = true;
    for (let i = 1; i <= 80; i++) store.record(run, probeEvent('api', T0 + i));
    clock.advance(100);
    expect(store.degraded).toMatch(/disk is full \(SQLITE_FULL\)/);
    expect(store.degraded).toMatch(/keeping the newest 50 records.*\(30 dropped so far\)/);
    expect(store.droppedRecords).toBe(30);
    expect(store.pendingRecords).toBe(50);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    clock.advance(10_000); // retries keep failing, quietly
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);

    full = false;
    clock.advance(5_000);
    expect(store.degraded).toBeNull();
    const kept = store.probes('api', { limit: 1000 }).map((p) => p.ts - T0);
    // the first one, then the newest 50 of the 80 written while full
    expect(kept).toEqual([...Array.from({ length: 50 }, (_, i) => 80 - i), 0]);
  });

  it('drops only the records that cannot be written, not their whole batch', () => {
    const logger = captureLogger();
    const store = openStore(tempDir(), { logger });
    const run = store.beginRun({ stackName: 's', stackFile: '/f', startedAt: T0 });
    store.record(run, probeEvent('api', T0));
    const broken = { ...probeEvent('api', T0 + 1), service: null } as unknown as HealthEvent;
    store.record(run, broken);
    store.record(run, probeEvent('api', T0 + 2));
    expect(store.probes('api').map((p) => p.ts)).toEqual([T0 + 2, T0]);
    expect(store.droppedRecords).toBe(1);
    expect(store.degraded).toBeNull();
    expect(logger.lines.some((l) => l.level === 'error' && /1 of 3 records/.test(l.msg))).toBe(
      true,
    );
  });

  it('ignores records after close and refuses queries', () => {
    const store = openStore(tempDir());
    store.close();
    store.record(1, probeEvent('api', T0));
    expect(() => store.probes('api')).toThrow(/closed/);
  });
});
