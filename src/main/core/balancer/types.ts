/** The balancer's data: what the owner gives it, what it reports, what it tells. */
import type { BalanceStrategy } from './strategies.js';

export type BalanceMode = 'http' | 'tcp';

/** One instance as the owner describes it. */
export interface InstanceSpec {
  /** `service#replica`, for example `api#1`. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** For the `weighted` strategy; 1 when not given. */
  readonly weight?: number;
}

export type PoolName = 'primary' | 'backup';

export interface InstanceStats {
  readonly id: string;
  readonly pool: PoolName;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** Marked ready by the owner and not ejected. */
  readonly ready: boolean;
  /** Taken out after a refused connection, until the owner marks it ready again. */
  readonly ejected: boolean;
  readonly draining: boolean;
  /** Requests (http) or connections (tcp) in flight. */
  readonly active: number;
  /** Requests or connections completed since the instance joined. */
  readonly requests: number;
  /** Requests or connections that failed at this instance (refused, reset, 502). */
  readonly errors: number;
  /** Time to the response's headers (http) or to the connection (tcp) over the stats window. */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
}

export type BalancerEvent =
  | { readonly type: 'ejected'; readonly id: string; readonly reason: string }
  | { readonly type: 'restored'; readonly id: string }
  | {
      readonly type: 'retried';
      readonly from: string;
      readonly to: string;
      readonly reason: string;
    }
  | {
      readonly type: 'drained';
      readonly id: string;
      readonly timedOut: boolean;
      readonly left: number;
    }
  | {
      readonly type: 'failover_completed';
      readonly manual: boolean;
      readonly reason: string;
    }
  | {
      readonly type: 'failback_completed';
      readonly manual: boolean;
      readonly reason: string;
    }
  /** Traffic arrived and no instance was ready (answered 503, or the connection was closed). */
  | { readonly type: 'no_instance'; readonly pool: PoolName };

export interface BalancerOptions {
  /** The service's name, for messages and headers. */
  readonly service: string;
  readonly mode: BalanceMode;
  readonly strategy: BalanceStrategy;
  /** The front port; 0 picks a free one (see `address`). */
  readonly port: number;
  /** 127.0.0.1 unless the stack says otherwise. */
  readonly host?: string;
  /** For the `random` strategy; Math.random when not given. */
  readonly rng?: () => number;
  /** A failover backup: its instances are set with `setBackupInstances`. */
  readonly failover?: { readonly backup: string; readonly failbackAfterMs: number };
  /** Latency percentiles are over this window (default 30 s). */
  readonly statsWindowMs?: number;
  /** A connection to an instance that takes longer fails as refused (default 3 s). */
  readonly connectTimeoutMs?: number;
  readonly onEvent?: (ev: BalancerEvent) => void;
}
