/**
 * Failover decisions: which pool takes the traffic, the service's own (primary) or its backup's.
 * A pure function of the state, one input and the time; the balancer applies the result and sets a
 * timer for `wakeAt`.
 *
 * - Automatic failover: the primary has no ready instance and the backup has one.
 * - Automatic failback: the primary has been ready (at least one instance, without a gap) for
 *   `failbackAfterMs`.
 * - Failback at once when the backup has no ready instance left and the primary has one.
 * - Failback at once when the primary becomes ready for the first time: at launch the backup may
 *   be ready before any instance of the service, and takes the traffic meanwhile; a primary that
 *   was never ready cannot be flapping, so it does not wait `failbackAfterMs` to take it back.
 * - Manual failover pins the traffic to the backup (no automatic failback) until a manual
 *   failback; manual failback needs a ready primary instance.
 */

export type FailoverRoute = 'primary' | 'backup';

export interface FailoverState {
  readonly route: FailoverRoute;
  /** Set by a manual failover: stay on the backup until a manual failback. */
  readonly pinned: boolean;
  /** Since when (monotonic ms) the primary has had a ready instance without a gap; null if not. */
  readonly primaryReadySince: number | null;
  /** Whether the primary has had a ready instance at all since the balancer started. */
  readonly primaryEverReady: boolean;
}

export const INITIAL_FAILOVER_STATE: FailoverState = {
  route: 'primary',
  pinned: false,
  primaryReadySince: null,
  primaryEverReady: false,
};

export type FailoverInput =
  /** Readiness counts changed, or a timer fired. */
  | { readonly type: 'observe'; readonly primaryReady: number; readonly backupReady: number }
  | {
      readonly type: 'manual_failover';
      readonly primaryReady: number;
      readonly backupReady: number;
    }
  | {
      readonly type: 'manual_failback';
      readonly primaryReady: number;
      readonly backupReady: number;
    };

export type FailoverEvent =
  | { readonly type: 'failover_completed'; readonly manual: boolean; readonly reason: string }
  | { readonly type: 'failback_completed'; readonly manual: boolean; readonly reason: string };

export interface FailoverDecision {
  readonly state: FailoverState;
  readonly events: readonly FailoverEvent[];
  /** When to observe again (the failback deadline), or null. */
  readonly wakeAt: number | null;
  /** A manual request that was refused, with the reason. */
  readonly rejected: string | null;
}

export interface FailoverPolicy {
  /** Whether a backup is configured at all. */
  readonly hasBackup: boolean;
  readonly failbackAfterMs: number;
}

export function stepFailover(
  policy: FailoverPolicy,
  state: FailoverState,
  input: FailoverInput,
  now: number,
): FailoverDecision {
  const readySince = input.primaryReady > 0 ? (state.primaryReadySince ?? now) : null;
  const base: FailoverState = {
    ...state,
    primaryReadySince: readySince,
    primaryEverReady: state.primaryEverReady || readySince !== null,
  };
  const decision = (
    s: FailoverState,
    events: readonly FailoverEvent[] = [],
    rejected: string | null = null,
  ): FailoverDecision => ({ state: s, events, rejected, wakeAt: wakeAt(policy, s) });

  switch (input.type) {
    case 'manual_failover': {
      if (!policy.hasBackup) return decision(base, [], 'no failover backup is configured');
      if (input.backupReady === 0) return decision(base, [], 'no instance of the backup is ready');
      if (base.route === 'backup') return decision({ ...base, pinned: true });
      return decision({ ...base, route: 'backup', pinned: true }, [
        { type: 'failover_completed', manual: true, reason: 'manual failover' },
      ]);
    }
    case 'manual_failback': {
      if (base.route === 'primary') return decision({ ...base, pinned: false });
      if (input.primaryReady === 0)
        return decision(base, [], 'no instance of the service itself is ready');
      return decision({ ...base, route: 'primary', pinned: false }, [
        { type: 'failback_completed', manual: true, reason: 'manual failback' },
      ]);
    }
    case 'observe': {
      if (!policy.hasBackup) return decision({ ...base, route: 'primary', pinned: false });
      if (base.route === 'primary') {
        if (input.primaryReady === 0 && input.backupReady > 0)
          return decision({ ...base, route: 'backup' }, [
            { type: 'failover_completed', manual: false, reason: 'no instance is ready' },
          ]);
        return decision(base);
      }
      if (base.pinned || readySince === null) return decision(base);
      if (input.backupReady === 0)
        return decision({ ...base, route: 'primary' }, [
          { type: 'failback_completed', manual: false, reason: 'the backup has no ready instance' },
        ]);
      if (!state.primaryEverReady)
        return decision({ ...base, route: 'primary' }, [
          {
            type: 'failback_completed',
            manual: false,
            reason: 'the service is ready for the first time',
          },
        ]);
      const readyFor = now - readySince;
      if (readyFor >= policy.failbackAfterMs)
        return decision({ ...base, route: 'primary' }, [
          {
            type: 'failback_completed',
            manual: false,
            reason: `ready for ${Math.round(readyFor)} ms (failback after ${policy.failbackAfterMs} ms)`,
          },
        ]);
      return decision(base);
    }
    default: {
      const never: never = input;
      throw new Error(`unknown failover input ${JSON.stringify(never)}`);
    }
  }
}

function wakeAt(policy: FailoverPolicy, s: FailoverState): number | null {
  if (s.route !== 'backup' || s.pinned || s.primaryReadySince === null) return null;
  return s.primaryReadySince + policy.failbackAfterMs;
}
