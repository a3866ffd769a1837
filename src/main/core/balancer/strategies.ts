/**
 * Strategy pickers: which instance gets the next request or connection. Pure functions of the pool,
 * the picker's own small state and the request's context; the balancer keeps the state between
 * calls. Only eligible instances are ever picked: ready, not draining, not excluded (an instance
 * that already failed this request).
 */

export type BalanceStrategy =
  'round_robin' | 'least_connections' | 'random' | 'ip_hash' | 'weighted';

export const BALANCE_STRATEGIES: readonly BalanceStrategy[] = [
  'round_robin',
  'least_connections',
  'random',
  'ip_hash',
  'weighted',
];

/** One instance as a picker sees it. `id` is `service#replica`, for example `api#1`. */
export interface PoolMember {
  readonly id: string;
  readonly weight: number;
  readonly ready: boolean;
  readonly draining: boolean;
  /** Requests (http) or connections (tcp) in flight. */
  readonly active: number;
}

export interface PickContext {
  /** The client's address, for `ip_hash`. */
  readonly clientIp?: string;
  /** Instances not to pick (already failed this request). */
  readonly exclude?: ReadonlySet<string>;
  /** Uniform in [0, 1), for `random`. */
  readonly rng?: () => number;
}

export interface PickerState {
  /** Round robin position (round_robin, and ties of least_connections). */
  readonly cursor: number;
  /** Current weights of the smooth weighted round robin, by instance id. */
  readonly current: ReadonlyMap<string, number>;
}

export const INITIAL_PICKER_STATE: PickerState = { cursor: 0, current: new Map() };

export interface Pick {
  readonly id: string | null;
  readonly state: PickerState;
}

export function isEligible(m: PoolMember, exclude?: ReadonlySet<string>): boolean {
  return m.ready && !m.draining && !(exclude?.has(m.id) ?? false);
}

/** Picks an instance with `strategy`; `id` is null when no instance is eligible. */
export function pick(
  strategy: BalanceStrategy,
  state: PickerState,
  pool: readonly PoolMember[],
  ctx: PickContext = {},
): Pick {
  const eligible = pool.filter((m) => isEligible(m, ctx.exclude));
  if (eligible.length === 0) return { id: null, state };
  switch (strategy) {
    case 'round_robin': {
      const m = eligible[state.cursor % eligible.length]!;
      return { id: m.id, state: { ...state, cursor: (state.cursor + 1) % 1_000_000_007 } };
    }
    case 'least_connections': {
      const least = Math.min(...eligible.map((m) => m.active));
      const ties = eligible.filter((m) => m.active === least);
      const m = ties[state.cursor % ties.length]!;
      return { id: m.id, state: { ...state, cursor: (state.cursor + 1) % 1_000_000_007 } };
    }
    case 'random': {
      const r = (ctx.rng ?? Math.random)();
      const i = Math.min(eligible.length - 1, Math.max(0, Math.floor(r * eligible.length)));
      return { id: eligible[i]!.id, state };
    }
    case 'ip_hash':
      return { id: rendezvous(ctx.clientIp ?? '', eligible), state };
    case 'weighted':
      return smoothWeighted(state, eligible);
    default: {
      const never: never = strategy;
      throw new Error(`unknown strategy ${String(never)}`);
    }
  }
}

/** 32-bit FNV-1a, then a final avalanche (murmur3's fmix32) so that close keys spread. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Rendezvous (highest random weight) hashing: each client goes to the instance with the highest
 * hash of (client, instance). Adding or removing an instance moves only the clients that go to,
 * or went to, that instance; every other client keeps its instance.
 */
function rendezvous(clientIp: string, eligible: readonly PoolMember[]): string {
  let best = eligible[0]!;
  let bestScore = -1;
  for (const m of eligible) {
    const score = hash32(`${clientIp}|${m.id}`);
    if (score > bestScore || (score === bestScore && m.id < best.id)) {
      best = m;
      bestScore = score;
    }
  }
  return best.id;
}

/**
 * Smooth weighted round robin: every instance's current weight grows by its weight, the largest is
 * picked and loses the total. Weights 5, 1, 1 give a a b a c a a rather than a a a a a b c.
 * Instances that left the pool lose their current weight; a weight below 1 counts as 1.
 */
function smoothWeighted(state: PickerState, eligible: readonly PoolMember[]): Pick {
  const current = new Map<string, number>();
  let total = 0;
  let best: PoolMember | null = null;
  let bestWeight = -Infinity;
  for (const m of eligible) {
    const w = Math.max(1, Math.floor(m.weight));
    const cw = (state.current.get(m.id) ?? 0) + w;
    current.set(m.id, cw);
    total += w;
    if (cw > bestWeight) {
      best = m;
      bestWeight = cw;
    }
  }
  const chosen = best!;
  current.set(chosen.id, bestWeight - total);
  return { id: chosen.id, state: { ...state, current } };
}
