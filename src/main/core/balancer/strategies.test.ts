import { describe, expect, it } from 'vitest';
import {
  BALANCE_STRATEGIES,
  INITIAL_PICKER_STATE,
  pick,
  type BalanceStrategy,
  type PickContext,
  type PickerState,
  type PoolMember,
} from './strategies.js';

const member = (id: string, extra: Partial<PoolMember> = {}): PoolMember => ({
  id,
  weight: 1,
  ready: true,
  draining: false,
  active: 0,
  ...extra,
});

/** A deterministic rng (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function run(
  strategy: BalanceStrategy,
  pool: readonly PoolMember[],
  n: number,
  ctx: (i: number) => PickContext = () => ({}),
): Map<string | null, number> {
  let state: PickerState = INITIAL_PICKER_STATE;
  const counts = new Map<string | null, number>();
  for (let i = 0; i < n; i++) {
    const p = pick(strategy, state, pool, ctx(i));
    state = p.state;
    counts.set(p.id, (counts.get(p.id) ?? 0) + 1);
  }
  return counts;
}

describe('every strategy', () => {
  const pool = [
    member('api#0'),
    member('api#1', { ready: false }),
    member('api#2', { draining: true }),
    member('api#3'),
  ];
  for (const s of BALANCE_STRATEGIES) {
    it(`${s} picks only ready instances that are not draining`, () => {
      const rng = seeded(7);
      const counts = run(s, pool, 400, (i) => ({ clientIp: `10.0.0.${i % 50}`, rng }));
      expect([...counts.keys()].sort()).toEqual(['api#0', 'api#3']);
      expect(counts.has('api#1')).toBe(false);
      expect(counts.has('api#2')).toBe(false);
      expect(counts.has(null)).toBe(false);
    });

    it(`${s} gives null when nothing is eligible, and honours exclusions`, () => {
      expect(pick(s, INITIAL_PICKER_STATE, [member('a', { ready: false })]).id).toBeNull();
      expect(pick(s, INITIAL_PICKER_STATE, []).id).toBeNull();
      const p = pick(s, INITIAL_PICKER_STATE, [member('a'), member('b')], {
        exclude: new Set(['a']),
        clientIp: '1.2.3.4',
        rng: () => 0,
      });
      expect(p.id).toBe('b');
    });
  }
});

describe('round_robin', () => {
  it('takes each instance in turn', () => {
    let state = INITIAL_PICKER_STATE;
    const seq: (string | null)[] = [];
    const pool = [member('a'), member('b'), member('c')];
    for (let i = 0; i < 6; i++) {
      const p = pick('round_robin', state, pool);
      state = p.state;
      seq.push(p.id);
    }
    expect(seq).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('spreads evenly', () => {
    const counts = run('round_robin', [member('a'), member('b'), member('c')], 3000);
    expect([...counts.values()]).toEqual([1000, 1000, 1000]);
  });
});

describe('least_connections', () => {
  it('picks the instance with the fewest active requests', () => {
    const pool = [
      member('a', { active: 4 }),
      member('b', { active: 1 }),
      member('c', { active: 2 }),
    ];
    expect(pick('least_connections', INITIAL_PICKER_STATE, pool).id).toBe('b');
  });

  it('rotates among ties instead of always taking the first', () => {
    const counts = run('least_connections', [member('a'), member('b'), member('c')], 300);
    expect([...counts.values()]).toEqual([100, 100, 100]);
  });
});

describe('random', () => {
  it('uses the injected rng', () => {
    const pool = [member('a'), member('b'), member('c')];
    expect(pick('random', INITIAL_PICKER_STATE, pool, { rng: () => 0 }).id).toBe('a');
    expect(pick('random', INITIAL_PICKER_STATE, pool, { rng: () => 0.5 }).id).toBe('b');
    expect(pick('random', INITIAL_PICKER_STATE, pool, { rng: () => 0.9999 }).id).toBe('c');
  });

  it('is close to uniform over many picks', () => {
    const rng = seeded(42);
    const counts = run('random', [member('a'), member('b'), member('c')], 30_000, () => ({ rng }));
    for (const n of counts.values()) expect(Math.abs(n - 10_000)).toBeLessThan(500);
  });
});

describe('ip_hash', () => {
  const pool = ['api#0', 'api#1', 'api#2', 'api#3'].map((id) => member(id));
  const ips = Array.from({ length: 2000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.7`);
  const assign = (p: readonly PoolMember[]): Map<string, string | null> =>
    new Map(ips.map((ip) => [ip, pick('ip_hash', INITIAL_PICKER_STATE, p, { clientIp: ip }).id]));

  it('sends one client to the same instance every time', () => {
    for (const ip of ips.slice(0, 50)) {
      const first = pick('ip_hash', INITIAL_PICKER_STATE, pool, { clientIp: ip }).id;
      for (let i = 0; i < 5; i++)
        expect(pick('ip_hash', INITIAL_PICKER_STATE, pool, { clientIp: ip }).id).toBe(first);
    }
  });

  it('spreads clients over the instances', () => {
    const counts = new Map<string | null, number>();
    for (const id of assign(pool).values()) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(counts.size).toBe(4);
    for (const n of counts.values()) expect(Math.abs(n - 500)).toBeLessThan(120);
  });

  it('moves only the clients of an instance that leaves, and no others', () => {
    const before = assign(pool);
    const after = assign(pool.filter((m) => m.id !== 'api#2'));
    for (const ip of ips) {
      if (before.get(ip) !== 'api#2') expect(after.get(ip)).toBe(before.get(ip));
      else expect(after.get(ip)).not.toBe('api#2');
    }
  });

  it('moves only about a fifth of the clients when a fifth instance joins', () => {
    const before = assign(pool);
    const after = assign([...pool, member('api#4')]);
    let moved = 0;
    for (const ip of ips) {
      if (before.get(ip) !== after.get(ip)) {
        moved++;
        expect(after.get(ip)).toBe('api#4');
      }
    }
    expect(moved).toBeGreaterThan(250);
    expect(moved).toBeLessThan(550);
  });

  it('treats a not-ready instance as gone and gets its clients back when it returns', () => {
    const before = assign(pool);
    const during = assign(pool.map((m) => (m.id === 'api#1' ? { ...m, ready: false } : m)));
    const back = assign(pool);
    for (const ip of ips) {
      if (before.get(ip) !== 'api#1') expect(during.get(ip)).toBe(before.get(ip));
      expect(back.get(ip)).toBe(before.get(ip));
    }
  });
});

describe('weighted (smooth weighted round robin)', () => {
  it('interleaves rather than bursting', () => {
    let state = INITIAL_PICKER_STATE;
    const seq: (string | null)[] = [];
    const pool = [member('a', { weight: 5 }), member('b'), member('c')];
    for (let i = 0; i < 7; i++) {
      const p = pick('weighted', state, pool);
      state = p.state;
      seq.push(p.id);
    }
    expect(seq).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('splits traffic in proportion to the weights', () => {
    const pool = [
      member('a', { weight: 3 }),
      member('b', { weight: 1 }),
      member('c', { weight: 1 }),
    ];
    const counts = run('weighted', pool, 5000);
    expect(counts.get('a')).toBe(3000);
    expect(counts.get('b')).toBe(1000);
    expect(counts.get('c')).toBe(1000);
  });

  it('redistributes over the rest when an instance is not ready', () => {
    const pool = [
      member('a', { weight: 3 }),
      member('b', { weight: 1, ready: false }),
      member('c', { weight: 1 }),
    ];
    const counts = run('weighted', pool, 4000);
    expect(counts.get('a')).toBe(3000);
    expect(counts.get('c')).toBe(1000);
    expect(counts.has('b')).toBe(false);
  });
});
