/**
 * What a service unit (a runner, a registered service's runner, a replicated set) looks like at
 * one moment: every field the views show, read once into a frozen object. The API's views are
 * built from snapshots, never from a unit's live fields, so one view never mixes two moments of
 * a unit that changes between two reads (an await, a callback) and the views cannot change it.
 */
import type {
  BreakerView,
  Health,
  Lifecycle,
  ProbeResult,
  Reason,
  ServiceSpec,
} from '../../../shared/model.js';
import { monoToWall, type Clock } from '../clock.js';
import type { MissingDependency } from '../lifecycle/rules.js';

/** The fields of a unit a snapshot reads (every unit kind has them). */
export interface SnapshotSource {
  readonly name: string;
  readonly spec: ServiceSpec;
  readonly phase: number;
  readonly lifecycle: Lifecycle;
  readonly health: Health;
  readonly pid: number | null;
  readonly generation: number;
  readonly restartCount: number;
  readonly healing: {
    readonly attempts: number;
    readonly quarantine: { readonly reason: string } | null;
  };
  readonly lastRestart: { readonly ts: number; readonly reason: Reason } | null;
  readonly lastError: string | null;
  readonly blocked: readonly string[];
  readonly nextAttemptAtMono: number | null;
  readonly sinceWall: number;
  readonly startedAtWall: number | null;
  readonly counters: { readonly consecutiveFailures: number; readonly startFailures: number };
  readonly lastProbe: ProbeResult | null;
  readonly external: unknown;
  readonly metrics: {
    readonly cpuPercent: number | null;
    readonly rssBytes: number | null;
    readonly processes: number | null;
  };
  readonly startedWithout: readonly MissingDependency[];
  readonly logs: { readonly file: string };
  breaker(): BreakerView;
  startupDeadlineWall(): number | null;
}

export interface UnitSnapshot {
  readonly name: string;
  readonly spec: ServiceSpec;
  readonly phase: number;
  readonly lifecycle: Lifecycle;
  readonly health: Health;
  readonly pid: number | null;
  readonly generation: number;
  readonly registered: boolean;
  readonly restartCount: number;
  readonly restartAttempts: number;
  readonly quarantineReason: string | null;
  readonly lastRestart: { readonly ts: number; readonly reason: Reason } | null;
  readonly lastError: string | null;
  readonly blocked: readonly string[];
  /** Wall-clock time of the next attempt (backoff), or null. */
  readonly nextAttemptAt: number | null;
  readonly since: number;
  readonly startedAt: number | null;
  readonly consecutiveFailures: number;
  readonly startFailures: number;
  readonly lastProbe: ProbeResult | null;
  readonly breaker: BreakerView;
  readonly metrics: {
    readonly cpuPercent: number | null;
    readonly rssBytes: number | null;
    readonly processes: number | null;
  };
  readonly startedWithout: readonly MissingDependency[];
  /** Wall-clock time the current boot's startup timeout runs out, or null. */
  readonly startupDeadline: number | null;
  readonly logFile: string;
}

export function snapshotOf(u: SnapshotSource, clock: Clock): UnitSnapshot {
  return Object.freeze({
    name: u.name,
    spec: u.spec,
    phase: u.phase,
    lifecycle: u.lifecycle,
    health: u.health,
    pid: u.pid,
    generation: u.generation,
    registered: u.external !== null,
    restartCount: u.restartCount,
    restartAttempts: u.healing.attempts,
    quarantineReason: u.healing.quarantine?.reason ?? null,
    lastRestart: u.lastRestart,
    lastError: u.lastError,
    blocked: Object.freeze([...u.blocked]),
    nextAttemptAt: u.nextAttemptAtMono === null ? null : monoToWall(clock, u.nextAttemptAtMono),
    since: u.sinceWall,
    startedAt: u.startedAtWall,
    consecutiveFailures: u.counters.consecutiveFailures,
    startFailures: u.counters.startFailures,
    lastProbe: u.lastProbe,
    breaker: Object.freeze({ ...u.breaker() }),
    metrics: Object.freeze({ ...u.metrics }),
    startedWithout: Object.freeze([...u.startedWithout]),
    startupDeadline: u.startupDeadlineWall(),
    logFile: u.logs.file,
  });
}
