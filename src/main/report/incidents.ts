/**
 * Over 500 lines: the incident builder and the sentences it writes are one state machine over the
 * event stream; its phrases are already apart (phrases.ts).
 *
 * Groups recorded events into the report's timeline entries and writes each one as plain
 * sentences. Pure.
 *
 * A service incident runs from the first failure (a lifecycle change to `backoff`, `failed` or
 * `quarantined`; a health change to `unhealthy` or `timeout`; a failing instance being stopped;
 * a limit exceeded; a healing decision about a failure; a manual quarantine; a fall back to
 * `waiting` of a service that was up) through the healing actions that follow, to the next time
 * the service is healthy (a health change to `healthy`, or a lifecycle change to `running` or
 * `completed`), a deliberate stop, the end of Vigil's run, or the end of the range (ongoing).
 * Repeated signals of one failure (the health change, the stop of the failing instance, the
 * scheduled restart, the lifecycle change) count once; a failure after a restart is "failed again".
 *
 * Manual restarts and starts, and restarts for a stack file change or a dependent, are entries of
 * their own when the service was not down: they run until the service is healthy. If the service
 * fails before that, the entry becomes an outage from that failure on.
 *
 * Events that share a timestamp are taken health first, then healing, then lifecycle, then the end
 * of a run: the order in which the supervisor records them (it records a healing decision, then
 * the lifecycle change that carries it out).
 */
import type {
  HealingAction,
  HealingEvent,
  HealthEvent,
  ServiceEvent,
} from '../../shared/events.js';
import type { Reason, ReasonKind } from '../../shared/model.js';
import type { ServiceStats } from '../core/store/types.js';
import { humanDuration } from './format.js';
import {
  attemptsOf,
  clean,
  describeFailure,
  describeHealth,
  directedText,
  fromWhom,
  lastFailureOf,
  plural,
  renderSteps,
  withDetail,
  type FailureText,
  type Step,
} from './phrases.js';
import type { IncidentKind, IncidentOutcome, ReportIncident } from './types.js';
import {
  DOWN_LIFECYCLES,
  STOP_LIFECYCLES,
  RESTART_ACTIONS as RESTART_ACTION_LIST,
} from '../../shared/lifecycle.js';

export type IncidentDraft = Omit<ReportIncident, 'id'>;

/** The restart actions, as a set (from the shared lifecycle facts). */
export const RESTART_ACTIONS: ReadonlySet<HealingAction> = new Set<HealingAction>(
  RESTART_ACTION_LIST,
);

export const FAILURE_KINDS: ReadonlySet<IncidentKind> = new Set<IncidentKind>([
  'crash',
  'start_failure',
  'unhealthy',
  'memory_limit',
  'dependency',
  'quarantine',
  'down',
]);

export interface TimelineContext {
  readonly since: number;
  readonly until: number;
  /** Writes a time for a sentence. */
  readonly at: (ts: number) => string;
}

/** Everything recorded about one service in the range, each list oldest first. */
export interface ServiceHistory {
  readonly service: string;
  readonly life: readonly ServiceEvent[];
  readonly health: readonly HealthEvent[];
  readonly healing: readonly HealingEvent[];
  /** Ends of Vigil's runs inside the range. */
  readonly runEnds: readonly number[];
}

const FAILURE_REASONS: ReadonlySet<ReasonKind> = new Set<ReasonKind>([
  'exit',
  'signal',
  'probe',
  'memory_limit',
  'startup_timeout',
  'spawn_error',
  'port_in_use',
]);

/** Restarts that the healing ladder did not decide: a person, a stack file change, a dependent. */
const DIRECTED: ReadonlySet<ReasonKind> = new Set<ReasonKind>([
  'manual',
  'config_change',
  'dependency_recovery',
  'stack_restart',
  'file_change',
]);

function isFailureReason(r: Reason): boolean {
  return FAILURE_REASONS.has(r.kind) && !(r.kind === 'exit' && r.exitCode === 0);
}

// ─── one service ────────────────────────────────────────────────────────────────────────────

interface Open {
  kind: IncidentKind;
  failure: boolean;
  start: number;
  carried: boolean;
  opener: string;
  cause: string;
  /** First failure: "down X" is measured from here. */
  downSince: number | null;
  /** The opener came from stopping the failing instance: a better cause may follow. */
  weak: boolean;
  steps: Step[];
  restarts: number;
  /** A restart happened since the last failure: the next failure is "failed again". */
  awaitingFailure: boolean;
  lastFailureTs: number;
  lastCause: string;
  quarantined: boolean;
  gaveUp: boolean;
  nextAttemptAt: number | null;
}

type Item =
  | { readonly k: 'health'; readonly ts: number; readonly e: HealthEvent }
  | { readonly k: 'life'; readonly ts: number; readonly e: ServiceEvent }
  | { readonly k: 'heal'; readonly ts: number; readonly e: HealingEvent }
  | { readonly k: 'run_end'; readonly ts: number };

const RANK: Readonly<Record<Item['k'], number>> = { health: 0, heal: 1, life: 2, run_end: 3 };

function mergeItems(h: ServiceHistory): Item[] {
  const items: Item[] = [
    ...h.health.map((e): Item => ({ k: 'health', ts: e.ts, e })),
    ...h.life.map((e): Item => ({ k: 'life', ts: e.ts, e })),
    ...h.healing.map((e): Item => ({ k: 'heal', ts: e.ts, e })),
    ...h.runEnds.map((ts): Item => ({ k: 'run_end', ts })),
  ];
  // Stable: events of one kind keep their recorded order.
  return items.sort((a, b) => a.ts - b.ts || RANK[a.k] - RANK[b.k]);
}

/** The state a first event shows the service was already in, when that is a down state. */
function downBefore(
  item: Item,
): { word: string; quarantined: boolean; reason: Reason | null } | null {
  switch (item.k) {
    case 'life':
      if (item.e.from === 'quarantined')
        return { word: 'quarantined', quarantined: true, reason: null };
      if (item.e.from === 'failed') return { word: 'failed', quarantined: false, reason: null };
      if (item.e.from === 'backoff') {
        return {
          word: 'down (waiting to restart)',
          quarantined: false,
          reason: isFailureReason(item.e.reason) ? item.e.reason : null,
        };
      }
      return null;
    case 'health':
      return item.e.from === 'unhealthy' || item.e.from === 'timeout'
        ? { word: 'unhealthy', quarantined: false, reason: null }
        : null;
    case 'heal':
      if (item.e.action === 'release')
        return { word: 'quarantined', quarantined: true, reason: null };
      if (RESTART_ACTIONS.has(item.e.action) && !DIRECTED.has(item.e.reason.kind)) {
        return {
          word: 'down (waiting to restart)',
          quarantined: false,
          reason: isFailureReason(item.e.reason) ? item.e.reason : null,
        };
      }
      return null;
    case 'run_end':
      return null;
  }
}

class ServiceTimeline {
  private open: Open | null = null;
  private pendingStop: { ts: number; reason: Reason } | null = null;
  private pendingBreakers: number[] = [];
  private generation = 0;
  private up = false;
  /** Booting (lifecycle `starting`): failed checks then are the boot's, not an outage. */
  private booting = false;
  /**
   * After a release or a directed restart the service passes through `stopped` on its way back
   * up: not a stop.
   */
  private quietStops = false;
  readonly out: IncidentDraft[] = [];

  constructor(
    private readonly svc: string,
    private readonly ctx: TimelineContext,
  ) {}

  run(items: readonly Item[], stats: ServiceStats | null): void {
    const first = items[0];
    if (first) {
      const before = downBefore(first);
      if (before) this.openCarried(before.word, before.quarantined, before.reason);
    } else if (stats && stats.uptimePct === 0 && stats.outages > 0) {
      this.openCarried('down', false, null);
      this.open!.opener = `${this.svc} was down for the whole report`;
    }
    for (const item of items) {
      switch (item.k) {
        case 'health':
          this.onHealth(item.e);
          break;
        case 'life':
          this.onLife(item.e);
          break;
        case 'heal':
          this.onHealing(item.e);
          break;
        case 'run_end':
          this.onRunEnd(item.ts);
          break;
      }
    }
    this.flushStop();
    this.finishOngoing();
  }

  // ── inputs

  private onLife(e: ServiceEvent): void {
    this.generation = Math.max(this.generation, e.generation);
    const to = e.to;
    this.booting = to === 'starting';
    if (STOP_LIFECYCLES.has(to) && !isFailureReason(e.reason)) {
      this.up = false;
      if (this.quietStops) return;
      if (e.reason.kind === 'stack_restart') {
        // The stack restarts as a whole: the service comes back with it.
        if (this.open && this.pendingStop === null) {
          this.say(e.ts, `restarted with the whole stack at ${this.at(e.ts)}`);
          this.open.awaitingFailure = true;
        }
        return;
      }
      this.pendingStop ??= { ts: e.ts, reason: e.reason };
      return;
    }
    this.flushStop();
    this.quietStops = false;
    if (DOWN_LIFECYCLES.has(to)) {
      this.up = false;
      this.failure(e.ts, describeFailure(e.reason), false);
      if (to === 'failed' && e.reason.detail && this.open && !this.open.gaveUp) {
        this.say(e.ts, `not restarted (${clean(e.reason.detail)})`);
      }
      return;
    }
    if (to === 'stopping') {
      // Stopping the failing instance (the health change, if recorded, came first).
      this.up = false;
      this.failure(e.ts, describeFailure(e.reason), true);
      return;
    }
    if (to === 'waiting') {
      if (this.up) {
        this.up = false;
        const deps =
          e.blockedBy && e.blockedBy.length > 0
            ? e.blockedBy.join(', ')
            : (e.reason.dependency ?? 'a dependency');
        this.failure(
          e.ts,
          {
            kind: 'dependency',
            text: `was held waiting for ${clean(deps)}`,
            cause: clean(e.reason.message),
          },
          false,
        );
      }
      return;
    }
    if (to === 'running' || to === 'completed') {
      this.recover(e.ts, to === 'completed');
      return;
    }
    if (to === 'starting' && e.reason.kind === 'manual' && !this.open) {
      this.openEntry(
        'manual',
        e.ts,
        `${this.svc} was started ${fromWhom(e.reason)} at ${this.at(e.ts)}`,
        clean(e.reason.message),
      );
    }
  }

  private onHealth(e: HealthEvent): void {
    if (e.generation < this.generation) return; // an older instance
    this.generation = e.generation;
    if (e.to === 'unhealthy' || e.to === 'timeout') {
      // A boot's failed checks are not an outage (a boot that never gets ready is a failed start).
      if (this.booting) return;
      this.flushStop();
      this.up = false;
      this.failure(e.ts, describeHealth(e), false);
    } else if (e.to === 'healthy') {
      this.flushStop();
      this.recover(e.ts, false);
    }
  }

  private onHealing(e: HealingEvent): void {
    const r = e.reason;
    if (RESTART_ACTIONS.has(e.action)) {
      if (DIRECTED.has(r.kind)) this.directedRestart(e);
      else this.autoRestart(e);
      return;
    }
    switch (e.action) {
      case 'restart_scheduled':
        this.flushStop();
        if (isFailureReason(r)) this.failure(e.ts, describeFailure(r), false);
        if (this.open) this.open.nextAttemptAt = e.ts + (e.delayMs ?? 0);
        return;
      case 'breaker_open':
        if (this.open) this.pushStep({ t: 'breaker', ts: e.ts });
        else this.pendingBreakers.push(e.ts);
        return;
      case 'quarantine':
        this.quarantine(e);
        return;
      case 'give_up': {
        this.flushStop();
        this.failure(e.ts, describeFailure(r), false);
        const n = attemptsOf(e);
        this.say(
          e.ts,
          `gave up at ${this.at(e.ts)}${n > 0 ? ` after ${plural(n, 'restart attempt')}` : ''}; the stack runs without it`,
        );
        if (this.open) this.open.gaveUp = true;
        return;
      }
      case 'release': {
        this.quietStops = true;
        if (!this.open) return; // nothing recorded to release from
        this.say(e.ts, `released ${fromWhom(r)} at ${this.at(e.ts)}`);
        this.open.quarantined = false;
        this.open.gaveUp = false;
        return;
      }
      case 'limit_exceeded':
        this.flushStop();
        this.failure(
          e.ts,
          {
            ...describeFailure(r),
            kind: 'memory_limit',
            text: withDetail('went over its limit', clean(r.message)),
          },
          false,
        );
        return;
      case 'reset':
        if (this.open) this.say(e.ts, `ran its reset command at ${this.at(e.ts)}`, true);
        return;
      case 'stack_restart':
        if (this.open) {
          this.say(e.ts, `asked for a restart of the whole stack at ${this.at(e.ts)}`);
        }
        return;
      case 'recommendation':
      case 'watch_paused':
      case 'watch_run_failed':
      case 'instance_added': // replicas: what the set did with its instances and traffic
      case 'instance_lost':
      case 'scaling_executed':
      case 'failover_completed':
      case 'failback_completed':
      case 'topology_updated':
        this.out.push(
          this.point(
            'notice',
            e.ts,
            `${this.svc} at ${this.at(e.ts)}: ${clean(r.message)}.`,
            clean(r.message),
          ),
        );
        return;
      case 'breaker_half_open':
      case 'breaker_closed':
      case 'counter_reset':
        return;
      default:
        return;
    }
  }

  private onRunEnd(ts: number): void {
    this.flushStop();
    this.up = false;
    const o = this.open;
    if (!o) return;
    const closer =
      o.downSince !== null
        ? `still down when Vigil stopped at ${this.at(ts)} (${this.downFor(o, ts)})`
        : `Vigil stopped at ${this.at(ts)} before it was healthy`;
    this.close('run_ended', ts, closer);
  }

  // ── healing actions

  private autoRestart(e: HealingEvent): void {
    this.flushStop();
    if (!this.open) this.failure(e.ts, describeFailure(e.reason), false);
    const o = this.open!;
    o.steps.push({
      t: 'auto',
      ts: e.ts,
      action: e.action,
      attempt: e.attempt,
      delayMs: e.delayMs ?? Math.max(0, e.ts - o.lastFailureTs),
      trial: e.reason.kind === 'breaker_trial',
    });
    o.restarts += 1;
    o.awaitingFailure = true;
    o.nextAttemptAt = null;
  }

  private directedRestart(e: HealingEvent): void {
    const r = e.reason;
    const startTs = this.pendingStop?.ts ?? e.ts;
    this.pendingStop = null;
    this.quietStops = true;
    const o = this.open;
    if (o) {
      const prev = o.steps[o.steps.length - 1];
      const merged =
        r.kind === 'manual' &&
        prev?.t === 'text' &&
        prev.text.startsWith(`released ${fromWhom(r)} at`) &&
        e.ts - prev.ts <= 1_000;
      if (merged) {
        o.steps[o.steps.length - 1] = {
          t: 'text',
          ts: prev.ts,
          text: `released and restarted ${fromWhom(r)} at ${this.at(prev.ts)}`,
          loop: false,
        };
      } else {
        this.say(e.ts, directedText(r, this.at(startTs)));
      }
      o.restarts += 1;
      o.awaitingFailure = true;
      o.nextAttemptAt = null;
      return;
    }
    this.openEntry(
      r.kind === 'manual' ? 'manual' : 'restart',
      startTs,
      `${this.svc} was ${directedText(r, this.at(startTs))}`,
      clean(r.message),
    );
    this.open!.restarts = 1;
  }

  private quarantine(e: HealingEvent): void {
    const r = e.reason;
    if (r.kind === 'manual') {
      const startTs = this.pendingStop?.ts ?? e.ts;
      this.pendingStop = null;
      this.up = false;
      if (this.open && this.open.failure) {
        this.say(e.ts, `quarantined ${fromWhom(r)} at ${this.at(e.ts)}`);
      } else {
        if (this.open)
          this.close('stopped', startTs, `quarantined ${fromWhom(r)} at ${this.at(startTs)}`);
        this.openIncident(
          'quarantine',
          startTs,
          `${this.svc} was quarantined ${fromWhom(r)} at ${this.at(startTs)}`,
          clean(r.message),
          false,
        );
      }
      this.open!.quarantined = true;
      return;
    }
    this.flushStop();
    this.failure(e.ts, describeFailure(r), false);
    const o = this.open!;
    const n = attemptsOf(e);
    const last = lastFailureOf(r.message) || o.lastCause;
    const after = n > 0 ? ` after ${plural(n, 'restart attempt')}` : '';
    this.say(e.ts, `quarantined at ${this.at(e.ts)}${after}${last ? ` (last: ${last})` : ''}`);
    o.quarantined = true;
    this.up = false;
  }

  // ── incidents

  private failure(ts: number, f: FailureText, weak: boolean): void {
    const o = this.open;
    if (!o) {
      this.openIncident(f.kind, ts, `${this.svc} ${f.text} at ${this.at(ts)}`, f.cause, weak);
      return;
    }
    if (!o.failure) {
      // A manual restart or start that failed: an outage from here on.
      o.failure = true;
      o.kind = f.kind;
      o.downSince = ts;
      o.cause = f.cause;
      o.lastCause = f.cause;
      o.lastFailureTs = ts;
      o.awaitingFailure = false;
      o.steps.push({ t: 'text', ts, text: `${f.text} at ${this.at(ts)}`, loop: false });
      return;
    }
    if (o.weak && !weak && !o.steps.some((s) => s.t === 'auto')) {
      o.opener = `${this.svc} ${f.text} at ${this.at(o.start)}`;
      o.kind = f.kind;
      o.cause = f.cause;
      o.lastCause = f.cause;
      o.weak = false;
      return;
    }
    if (o.awaitingFailure) {
      o.steps.push({ t: 'fail', ts, text: f.text, cause: f.cause });
      o.awaitingFailure = false;
      o.lastFailureTs = ts;
      o.lastCause = f.cause;
    }
  }

  private openIncident(
    kind: IncidentKind,
    ts: number,
    opener: string,
    cause: string,
    weak: boolean,
  ): void {
    this.open = {
      kind,
      failure: true,
      start: ts,
      carried: false,
      opener,
      cause,
      downSince: ts,
      weak,
      steps: this.pendingBreakers.map((b): Step => ({ t: 'breaker', ts: b })),
      restarts: 0,
      awaitingFailure: false,
      lastFailureTs: ts,
      lastCause: cause,
      quarantined: false,
      gaveUp: false,
      nextAttemptAt: null,
    };
    this.pendingBreakers = [];
  }

  private openCarried(word: string, quarantined: boolean, reason: Reason | null): void {
    const since = this.ctx.since;
    const cause = reason ? describeFailure(reason).cause : '';
    this.openIncident(
      quarantined ? 'quarantine' : 'down',
      since,
      `${this.svc} was already ${word} when the report began${cause ? ` (last failure: ${cause})` : ''}`,
      cause,
      false,
    );
    const o = this.open!;
    o.carried = true;
    o.quarantined = quarantined;
  }

  private openEntry(kind: IncidentKind, ts: number, opener: string, cause: string): void {
    this.openIncident(kind, ts, opener, cause, false);
    const o = this.open!;
    o.failure = false;
    o.downSince = null;
  }

  private pushStep(s: Step): void {
    this.open?.steps.push(s);
  }

  /** A step said as is; `loop` steps may be left out of a summed-up crash loop. */
  private say(ts: number, text: string, loop = false): void {
    this.pushStep({ t: 'text', ts, text, loop });
  }

  private recover(ts: number, completed: boolean): void {
    this.up = true;
    const o = this.open;
    if (!o) return;
    const closer =
      o.downSince !== null
        ? `${completed ? 'completed' : 'healthy again'} at ${this.at(ts)} (${this.downFor(o, ts)})`
        : `${completed ? 'completed' : 'healthy again'} at ${this.at(ts)} (took ${humanDuration(ts - o.start)})`;
    this.close('recovered', ts, closer);
  }

  /** A deliberate stop that no restart followed: it ends an open incident. */
  private flushStop(): void {
    const stop = this.pendingStop;
    if (!stop) return;
    this.pendingStop = null;
    const r = stop.reason;
    const o = this.open;
    if (!o) {
      if (r.kind === 'manual') {
        this.out.push(
          this.point(
            'manual',
            stop.ts,
            `${this.svc} was stopped ${fromWhom(r)} at ${this.at(stop.ts)}.`,
            clean(r.message),
          ),
        );
      }
      return;
    }
    const how =
      r.kind === 'manual'
        ? `stopped ${fromWhom(r)} at ${this.at(stop.ts)}`
        : r.kind === 'shutdown'
          ? `stopped at ${this.at(stop.ts)} when the stack shut down`
          : r.kind === 'config_change'
            ? `stopped at ${this.at(stop.ts)} by a change to the stack file`
            : `stopped at ${this.at(stop.ts)} (${clean(r.message)})`;
    this.close(
      'stopped',
      stop.ts,
      o.downSince !== null ? `${how} (${this.downFor(o, stop.ts)})` : how,
    );
  }

  private finishOngoing(): void {
    const o = this.open;
    if (!o) return;
    const until = this.ctx.until;
    let closer: string;
    if (o.downSince === null) closer = 'not yet healthy at the end of the report';
    else if (o.quarantined)
      closer = `still quarantined at the end of the report (${this.downFor(o, until)} so far)`;
    else if (o.nextAttemptAt !== null && o.nextAttemptAt > until && !o.gaveUp) {
      closer = `still down at the end of the report, next restart due at ${this.at(o.nextAttemptAt)} (${this.downFor(o, until)} so far)`;
    } else closer = `still down at the end of the report (${this.downFor(o, until)} so far)`;
    this.close('ongoing', null, closer);
  }

  private downFor(o: Open, ts: number): string {
    const d = humanDuration(ts - (o.downSince ?? o.start));
    return o.carried && o.downSince === this.ctx.since ? `down at least ${d}` : `down ${d}`;
  }

  private close(outcome: IncidentOutcome, end: number | null, closer: string): void {
    const o = this.open;
    if (!o) return;
    this.open = null;
    const parts = [o.opener, ...renderSteps(o.steps, this.ctx.at), closer];
    this.out.push({
      ts: o.start,
      end,
      service: this.svc,
      kind: o.kind,
      failure: o.failure,
      outcome,
      duration_ms: (end ?? this.ctx.until) - o.start,
      started_before_range: o.carried,
      cause: o.cause,
      restarts: o.restarts,
      sentence: `${parts.join('; ')}.`,
    });
  }

  private point(kind: IncidentKind, ts: number, sentence: string, cause: string): IncidentDraft {
    return {
      ts,
      end: null,
      service: this.svc,
      kind,
      failure: false,
      outcome: 'point',
      duration_ms: null,
      started_before_range: false,
      cause,
      restarts: 0,
      sentence,
    };
  }

  private at(ts: number): string {
    return this.ctx.at(ts);
  }
}

/** The timeline entries of one service, oldest first. */
export function serviceIncidents(
  h: ServiceHistory,
  ctx: TimelineContext,
  stats: ServiceStats | null = null,
): IncidentDraft[] {
  const t = new ServiceTimeline(h.service, ctx);
  t.run(mergeItems(h), stats);
  return t.out.sort((a, b) => a.ts - b.ts);
}
