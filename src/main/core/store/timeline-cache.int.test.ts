/**
 * The uptime figures of a snapshot come from the timeline cache: the same numbers as the full
 * query at every step, no query for a repeated read, and a fresh answer after each thing that can
 * change them (a change of the service, a run ending, a prune).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { HistoryStore } from './history-store.js';
import { lifecycleEvent, probeEvent } from './testing/support.js';

const stores: HistoryStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

const SEC = 1_000;

function setup() {
  const clock = new FakeClock();
  const store = HistoryStore.memory({ clock });
  stores.push(store);
  const t0 = clock.wallNow();
  const at = (s: number): number => t0 + s * SEC;
  const run = store.beginRun({ stackName: 's', stackFile: '/s.yaml', startedAt: at(0) });
  return { clock, store, at, run };
}

/** Both ways of asking, which must agree. */
function both(store: HistoryStore, service: string, since: number, until: number) {
  return {
    cached: store.uptimePct(service, { since, until }),
    queried: store.serviceStats(service, { since, until }).uptimePct,
  };
}

describe('timeline cache', () => {
  it('answers like the query, and a repeated read runs no query', () => {
    const { clock, store, at, run } = setup();
    store.record(run, lifecycleEvent('api', at(1), 'starting', 'running', { kind: 'manual' }));
    store.record(run, probeEvent('api', at(2), { from: 'unknown', to: 'healthy' }));
    store.record(run, probeEvent('api', at(10), { ok: false, from: 'healthy', to: 'unhealthy' }));
    clock.advance(20 * SEC);
    const first = both(store, 'api', at(0), at(20));
    expect(first.cached).toBe(first.queried);
    expect(first.cached).toBeCloseTo((8 / 18) * 100, 6);

    const before = store.timelineCacheStats;
    expect(store.uptimePct('api', { since: at(0), until: at(20) })).toBe(first.cached);
    expect(store.timelineCacheStats.hits).toBe(before.hits + 1);
    expect(store.timelineCacheStats.misses).toBe(before.misses);
  });

  it('reads a change of the service written after the cache was filled', () => {
    const { clock, store, at, run } = setup();
    store.record(run, lifecycleEvent('api', at(1), 'starting', 'running', { kind: 'manual' }));
    store.record(run, probeEvent('api', at(2), { from: 'unknown', to: 'healthy' }));
    clock.advance(10 * SEC);
    expect(store.uptimePct('api', { since: at(0), until: at(10) })).toBe(100);
    store.record(run, probeEvent('api', at(10), { ok: false, from: 'healthy', to: 'unhealthy' }));
    clock.advance(10 * SEC);
    const after = both(store, 'api', at(0), at(20));
    expect(after.cached).toBeCloseTo((8 / 18) * 100, 6);
    expect(after.cached).toBe(after.queried);
  });

  it('another service’s changes leave the cached timeline in place', () => {
    const { clock, store, at, run } = setup();
    store.record(run, lifecycleEvent('api', at(1), 'starting', 'running', { kind: 'manual' }));
    store.record(run, probeEvent('api', at(2), { from: 'unknown', to: 'healthy' }));
    clock.advance(10 * SEC);
    store.uptimePct('api', { since: at(0), until: at(10) });
    const misses = store.timelineCacheStats.misses;
    store.record(run, lifecycleEvent('db', at(10), 'starting', 'running', { kind: 'manual' }));
    store.uptimePct('api', { since: at(0), until: at(10) });
    expect(store.timelineCacheStats.misses).toBe(misses);
  });

  it('a run that ends, and a prune, are seen', () => {
    const { clock, store, at, run } = setup();
    store.record(run, lifecycleEvent('api', at(1), 'starting', 'running', { kind: 'manual' }));
    store.record(run, probeEvent('api', at(2), { from: 'unknown', to: 'healthy' }));
    store.record(run, probeEvent('api', at(6), { ok: false, from: 'healthy', to: 'unhealthy' }));
    clock.advance(10 * SEC);
    expect(store.uptimePct('api', { since: at(0), until: at(10) })).toBeCloseTo(50, 6);
    // The run ends at 8 s: the last 2 s are no longer down.
    store.endRun(run, { endedAt: at(8), how: 'stopped' });
    const ended = both(store, 'api', at(0), at(10));
    expect(ended.cached).toBeCloseTo((4 / 6) * 100, 6);
    expect(ended.cached).toBe(ended.queried);

    // Everything older than the retention goes: nothing left to measure.
    clock.advance(3_600 * SEC);
    store.prune(clock.wallNow(), 60 * SEC);
    const pruned = both(store, 'api', at(0), at(10));
    expect(pruned.cached).toBe(pruned.queried);
    expect(pruned.cached).toBeNull();
  });

  it('a window inside a later run starts at that run, as the query does', () => {
    const { clock, store, at, run } = setup();
    store.record(run, lifecycleEvent('api', at(1), 'starting', 'running', { kind: 'manual' }));
    store.record(run, probeEvent('api', at(2), { from: 'unknown', to: 'healthy' }));
    store.endRun(run, { endedAt: at(5), how: 'stopped' });
    const second = store.beginRun({ stackName: 's', stackFile: '/s.yaml', startedAt: at(6) });
    store.record(second, lifecycleEvent('api', at(7), 'starting', 'running', { kind: 'manual' }));
    store.record(second, probeEvent('api', at(8), { from: 'unknown', to: 'healthy' }));
    store.record(
      second,
      probeEvent('api', at(12), { ok: false, from: 'healthy', to: 'unhealthy' }),
    );
    clock.advance(16 * SEC);
    for (const [since, until] of [
      [at(0), at(16)],
      [at(3), at(16)],
      [at(9), at(16)],
      [at(9), at(11)],
    ] as const) {
      const r = both(store, 'api', since, until);
      expect(r.cached, `${since}..${until}`).toBe(r.queried);
    }
  });
});
