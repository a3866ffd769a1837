/**
 * Events the supervisor emits. The same objects go to `vigil up --json` (one per line), to the
 * history store, and (wrapped as `{seq, ts, type, payload}`) to the WebSocket stream and IPC.
 */
import type {
  Health,
  Lifecycle,
  ProbeResult,
  Reason,
  SystemState,
  BreakerState,
  DisplayStatus,
} from './model.js';

export type SystemEventName =
  | 'system-ready'
  | 'system-degraded'
  | 'system-critical'
  | 'emergency-shutdown'
  | 'stack-starting'
  | 'stack-stopping'
  | 'stack-stopped'
  | 'launch-failed'
  | 'config-reloaded'
  | 'config-rejected'
  | 'config-rolled-back';

export interface CriticalChainStep {
  readonly service: string;
  /** Milliseconds from the stack's start to this service meeting its condition. */
  readonly atMs: number;
  /** Milliseconds this step itself took (start to ready). */
  readonly tookMs: number;
}

/** A lifecycle change of one service. */
export interface ServiceEvent {
  readonly type: 'service_event';
  readonly ts: number;
  readonly service: string;
  readonly from: Lifecycle;
  readonly to: Lifecycle;
  readonly status: DisplayStatus;
  readonly generation: number;
  readonly pid: number | null;
  readonly reason: Reason;
  /** For `waiting`: the dependencies it is blocked on. */
  readonly blockedBy?: readonly string[];
  /** For `backoff`: wall-clock time of the next attempt. */
  readonly nextAttemptAt?: number;
  /** For `starting`: wall-clock time its startup timeout runs out (not ready by then = failed start). */
  readonly startupDeadline?: number;
  /** For `starting`: optional dependencies it starts without, and why each is not there. */
  readonly startedWithout?: readonly MissingDependencyView[];
}

/** An optional dependency a service started without: "started without metrics: exited with code 3". */
export interface MissingDependencyView {
  readonly service: string;
  readonly reason: string;
}

/** A probe result, and the health it leads to. */
export interface HealthEvent {
  readonly type: 'health_update';
  readonly ts: number;
  readonly service: string;
  readonly generation: number;
  readonly result: ProbeResult;
  readonly from: Health;
  readonly to: Health;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  /** While starting (before the first success): failed checks of this boot so far. */
  readonly startFailures?: number;
}

export type HealingAction =
  | 'restart_scheduled'
  | 'restart'
  | 'graceful_restart'
  | 'dependency_restart'
  | 'reset'
  | 'quarantine'
  | 'release'
  | 'breaker_open'
  | 'breaker_half_open'
  | 'breaker_closed'
  | 'give_up'
  | 'stack_restart'
  | 'counter_reset'
  | 'limit_exceeded'
  | 'recommendation'
  /** File watching: a restart loop was detected and the watch paused for that service. */
  | 'watch_paused'
  /** File watching: the `run` command failed; the running instance was kept. */
  | 'watch_run_failed'
  /** Replicas (SPEC §11): an instance joined the service (scale up, rolling replacement). */
  | 'instance_added'
  /** An instance left: stopped by a scale down or a rolling restart, or lost (crashed, failing). */
  | 'instance_lost'
  /** A scale decision carried out (manual or automatic), with the metric and the reason. */
  | 'scaling_executed'
  /** No instance was ready (or a person asked): traffic went to `failover.backup`. */
  | 'failover_completed'
  /** The primary was ready for `failback_after` (or a person asked): traffic came back. */
  | 'failback_completed'
  /** The set of instances taking traffic changed (joined, left, ejected, drained, restored). */
  | 'topology_updated';

/** What a replica event (instance_*, scaling_executed, failover, topology_updated) adds. */
export interface ReplicaEventFields {
  /** The instance concerned (`api#1`). */
  readonly instance?: string;
  /** Instances wanted before and after (scaling), or in the pool (topology). */
  readonly from?: number;
  readonly to?: number;
  /** For `scaling_executed`: the metric, its value over the window and the target (automatic). */
  readonly metric?: {
    readonly name: string;
    readonly value: number | null;
    readonly target: number;
  } | null;
  /** For `topology_updated`: the instances taking traffic now. */
  readonly pool?: readonly string[];
}

/** Something the healing engine decided or did. */
export interface HealingEvent {
  readonly type: 'healing_event';
  readonly ts: number;
  readonly service: string;
  readonly action: HealingAction;
  readonly reason: Reason;
  readonly attempt: number;
  /** 1 immediate, 2 graceful, 3 dependency, 4 quarantine. */
  readonly rung?: number;
  readonly delayMs?: number;
  readonly breaker?: BreakerState;
  readonly generation: number;
  /** Replica events only (see ReplicaEventFields). */
  readonly replica?: ReplicaEventFields;
}

/** Whole-system changes and milestones (system-ready with its critical chain, etc). */
export interface StatusEvent {
  readonly type: 'status_update';
  readonly ts: number;
  readonly system: SystemState;
  readonly event?: SystemEventName;
  readonly message: string;
  readonly readyInMs?: number;
  readonly criticalChain?: readonly CriticalChainStep[];
  readonly failing?: readonly string[];
}

export interface LogEvent {
  readonly type: 'log';
  readonly ts: number;
  readonly service: string;
  /** The instance that wrote the line (`api#1`), for a replicated service. */
  readonly instance?: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
  readonly seq: number;
}

export type VigilEvent = ServiceEvent | HealthEvent | HealingEvent | StatusEvent | LogEvent;
export type VigilEventType = VigilEvent['type'];
export const EVENT_TYPES: readonly VigilEventType[] = [
  'status_update',
  'health_update',
  'healing_event',
  'service_event',
  'log',
];

/** What a stream subscriber receives. */
export interface StreamMessage<T = unknown> {
  readonly seq: number;
  readonly ts: number;
  readonly type: VigilEventType | 'snapshot';
  readonly payload: T;
}
