/**
 * The lifecycle of one instance (a service's process, or one replica's) as a pure machine:
 * `step(state, event, now)` answers the next state and the effects the runner carries out. No
 * I/O, no clock, no randomness: time comes in as `now`, outcomes of the world (a process spawned,
 * exited, was stopped; a probe passed; the healing engine decided) come in as events.
 *
 * What it owns: the lifecycle, whether the instance is wanted up, which generation is current and
 * what its process is doing, the startup deadline, the pending restart (backoff), and what happens
 * once a process being stopped is gone. What it does not: health counters, the healing engine's
 * state (it receives the engine's decisions), logs, metrics.
 *
 * Guarantees by construction (tested over random event sequences in machine.test.ts):
 * - At most one process: `spawn` is only answered when the current generation has none.
 * - An event that makes no sense in the current state changes nothing and says why (`ignored`);
 *   there is no transition table to consult, every move is in this file.
 * - Timers follow the state: the startup timer runs exactly while `starting` with a live process,
 *   the backoff timer exactly while `backoff` waits for its attempt; leaving either cancels it.
 * - `backoff` always has its next attempt time; `quarantined` is never wanted up and never spawns.
 * - Events of an older generation (a late exit, a late probe) are ignored.
 */
import type { HealingAction } from '../../../shared/events.js';
import type { Lifecycle, Reason } from '../../../shared/model.js';
import { formatDuration } from '../../../shared/duration.js';
import type { Decision, Failure } from '../healing/engine.js';

/** What the current generation's process is doing. */
export type ProcessPhase =
  /** None, or none that matters any more (its end was expected). */
  | 'none'
  /** Asked for; `spawned` or `start_failed` follows at once. */
  | 'spawning'
  | 'live'
  /** Exited on its own: its leftovers are being reaped, then the exit is judged. */
  | 'exited'
  /** Vigil is stopping it; `stopped` follows. */
  | 'stopping';

export type TimerName = 'startup' | 'backoff';

export type RestartDecision = Extract<Decision, { do: 'restart' }>;
export type StackRestartDecision = Extract<Decision, { do: 'stack_restart' }>;

/** The attempt a backoff waits for. */
export interface PendingRetry {
  readonly decision: RestartDecision | StackRestartDecision;
  /** The failure that led to it. */
  readonly reason: Reason;
}

export interface Backoff {
  /** Monotonic time of the next attempt. */
  readonly at: number;
  readonly retry: PendingRetry;
  /** The timer has fired (or the attempt was brought forward): the attempt is under way. */
  readonly due: boolean;
}

/** What happens once the process being stopped is gone. */
export type AfterStop =
  | { readonly then: 'backoff'; readonly retry: PendingRetry }
  | {
      readonly then: 'hold';
      readonly action: 'quarantine' | 'give_up';
      readonly reason: Reason;
    };

export interface StopParams {
  readonly signal: NodeJS.Signals;
  readonly timeoutMs: number;
}

export interface InstanceState {
  readonly lifecycle: Lifecycle;
  /** Wanted up (launch, a person) or down (stopped, quarantined, given up). */
  readonly desired: 'up' | 'down';
  /** Stopped on purpose by a person or a shutdown: not a failure. */
  readonly stoppedByUser: boolean;
  /** While `waiting`: the dependencies it waits for. */
  readonly blocked: readonly string[];
  /** The last generation spawned (0: none yet). */
  readonly generation: number;
  readonly process: ProcessPhase;
  /** A start was asked (`start` effect) and its outcome not reported yet. */
  readonly launching: boolean;
  /** Numbers the starts: an outcome names its start, so a superseded one's is ignored. */
  readonly launch: number;
  /** The failure handed to the healing engine (`fail` effect) whose decision is not back yet. */
  readonly judging: Failure | null;
  /** While `starting` with a live process. */
  readonly startup: { readonly deadline: number; readonly timeoutMs: number } | null;
  /** Set exactly while `backoff`. */
  readonly backoff: Backoff | null;
  readonly afterStop: AfterStop | null;
  /**
   * A stop (`stop`) or a restart's stop (`restart`) asked by an operation, until it reports
   * `stop_finished` or `relaunch`.
   */
  readonly halting: 'stop' | 'restart' | null;
}

export const initialInstanceState: InstanceState = {
  lifecycle: 'pending',
  desired: 'down',
  stoppedByUser: false,
  blocked: [],
  generation: 0,
  process: 'none',
  launching: false,
  launch: 0,
  judging: null,
  startup: null,
  backoff: null,
  afterStop: null,
  halting: null,
};

export type InstanceEvent =
  /** The launch (or a dependency's recovery) wants it up. */
  | { readonly type: 'up_requested'; readonly reason: Reason }
  /** A person starts it (a stopped, failed or completed instance; one in backoff goes now). */
  | { readonly type: 'start_requested'; readonly reason: Reason }
  /** A dependency changed: a waiting instance may go now. */
  | { readonly type: 'deps_changed' }
  // Outcomes of the start procedure (dependencies, a launch slot, the port) begun by `start`:
  | {
      readonly type: 'deps_blocked';
      readonly launch: number;
      readonly blockedBy: readonly string[];
      readonly reason: Reason;
    }
  | { readonly type: 'launch_cleared'; readonly launch: number; readonly reason: Reason }
  | { readonly type: 'start_abandoned'; readonly launch: number; readonly why: string }
  /** The start could not happen (port held, spawn threw). */
  | { readonly type: 'start_failed'; readonly launch: number; readonly reason: Reason }
  | {
      readonly type: 'spawned';
      readonly generation: number;
      readonly reason: Reason;
      readonly startupTimeoutMs: number;
    }
  | { readonly type: 'probe_ready'; readonly generation: number; readonly reason: Reason }
  /** Health turned unhealthy or timed out while running. */
  | { readonly type: 'probe_failed'; readonly generation: number; readonly reason: Reason }
  /** Over its memory limit while running. */
  | { readonly type: 'limit_exceeded'; readonly generation: number; readonly reason: Reason }
  | { readonly type: 'startup_timeout'; readonly generation: number }
  | { readonly type: 'exited'; readonly generation: number }
  /** An exited process's group is empty: its exit can be judged. */
  | {
      readonly type: 'reaped';
      readonly generation: number;
      readonly failure: Failure;
      readonly lastError: string | null;
    }
  /** The healing engine's answer to a `fail` effect. */
  | {
      readonly type: 'decided';
      readonly generation: number;
      readonly decision: Decision;
      readonly stop: StopParams;
    }
  | { readonly type: 'backoff_elapsed'; readonly at: number }
  /** A dependent's recovery (rung 3) brings a pending attempt forward. */
  | { readonly type: 'retry_now'; readonly reason: Reason }
  /** Stop on purpose: wanted down until asked up again. */
  | {
      readonly type: 'stop_requested';
      readonly reason: Reason;
      readonly byUser: boolean;
      readonly stop: StopParams;
    }
  /** The first half of a restart: stop, still wanted as before. */
  | { readonly type: 'restart_requested'; readonly reason: Reason; readonly stop: StopParams }
  | { readonly type: 'quarantine_requested'; readonly reason: Reason; readonly stop: StopParams }
  /** The process being stopped is gone. */
  | { readonly type: 'stopped'; readonly generation: number }
  /** A stop's leftovers are swept: the instance is stopped (unless held or completed). */
  | { readonly type: 'stop_finished'; readonly reason: Reason }
  /** The second half of a restart, and a release (from at rest): through `stopped`, up again. */
  | { readonly type: 'relaunch'; readonly reason: Reason };

export type Effect =
  /** Announce a lifecycle change (`service_event`). */
  | {
      readonly do: 'lifecycle';
      readonly from: Lifecycle;
      readonly to: Lifecycle;
      readonly reason: Reason;
      readonly blockedBy?: readonly string[];
      readonly nextAttemptAt?: number;
    }
  /**
   * Begin start number `launch` (dependencies, a launch slot, the port); it answers
   * `deps_blocked`, `launch_cleared`, `start_abandoned` or `start_failed` with that number.
   */
  | { readonly do: 'start'; readonly launch: number; readonly reason: Reason }
  /** Spawn generation `generation`; answer `spawned` (or `start_failed`). */
  | { readonly do: 'spawn'; readonly generation: number; readonly reason: Reason }
  /**
   * Stop the generation's process (signal, then SIGKILL after the timeout); answer `stopped`.
   * `recovery`: stopped for failing, not asked (behind a balancer it is drained first).
   */
  | {
      readonly do: 'stop';
      readonly generation: number;
      readonly signal: NodeJS.Signals;
      readonly timeoutMs: number;
      readonly recovery: boolean;
    }
  /** Kill what is left of an exited process's group; answer `reaped`. */
  | { readonly do: 'reap'; readonly generation: number }
  /** Ask the healing engine about a failure; answer `decided`. */
  | {
      readonly do: 'fail';
      readonly generation: number;
      readonly failure: Failure;
      readonly lastError: string | null;
    }
  /** A restart attempt begins (count it, announce it); a `start` follows. */
  | { readonly do: 'restart'; readonly reason: Reason; readonly decision: RestartDecision | null }
  /** Recovery `stack_restart`: the whole stack restarts. */
  | {
      readonly do: 'stack_restart';
      readonly reason: Reason;
      readonly decision: StackRestartDecision;
    }
  /** Announce a healing action (`healing_event`). */
  | {
      readonly do: 'healing';
      readonly action: HealingAction;
      readonly reason: Reason;
      readonly attempt?: number;
      readonly rung?: number;
      readonly delayMs?: number;
    }
  | {
      readonly do: 'schedule';
      readonly timer: TimerName;
      readonly at: number;
      readonly generation: number;
    }
  | { readonly do: 'cancel'; readonly timer: TimerName };

export interface Step {
  readonly state: InstanceState;
  readonly effects: readonly Effect[];
  /** Set when the event changed nothing: why. */
  readonly ignored?: string;
}

/** Lifecycles an instance rests in: nothing happens to it until asked. */
const AT_REST: ReadonlySet<Lifecycle> = new Set<Lifecycle>([
  'pending',
  'stopped',
  'failed',
  'quarantined',
  'completed',
]);

const ignore = (state: InstanceState, why: string): Step => ({ state, effects: [], ignored: why });

/** Moves to `to`, with its announcement (none when nothing visible changes). */
function enter(
  s: InstanceState,
  to: Lifecycle,
  reason: Reason,
  effects: Effect[],
  extra: { blockedBy?: readonly string[]; backoff?: Backoff | null } = {},
): InstanceState {
  const from = s.lifecycle;
  const blocked = to === 'waiting' ? (extra.blockedBy ?? []) : [];
  const backoff = to === 'backoff' ? (extra.backoff ?? s.backoff) : null;
  const next: InstanceState = { ...s, lifecycle: to, blocked, backoff };
  if (from === to && (to !== 'waiting' || blocked.join(',') === s.blocked.join(','))) return next;
  effects.push({
    do: 'lifecycle',
    from,
    to,
    reason,
    ...(to === 'waiting' ? { blockedBy: blocked } : {}),
    ...(to === 'backoff' && backoff ? { nextAttemptAt: backoff.at } : {}),
  });
  return next;
}

/** Asks for a start unless one is under way. */
function start(s: InstanceState, reason: Reason, effects: Effect[]): InstanceState {
  if (s.launching) return s;
  const launch = s.launch + 1;
  effects.push({ do: 'start', launch, reason });
  return { ...s, launching: true, launch };
}

/** Waits for the decided attempt: announce it, go to backoff, set its timer. */
function enterBackoff(
  s: InstanceState,
  retry: PendingRetry,
  now: number,
  effects: Effect[],
): InstanceState {
  const d = retry.decision;
  const at = now + d.delayMs;
  effects.push({
    do: 'healing',
    action: 'restart_scheduled',
    reason: retry.reason,
    attempt: d.attempt,
    ...(d.do === 'restart' ? { rung: d.rung } : {}),
    delayMs: d.delayMs,
  });
  const next = enter(s, 'backoff', retry.reason, effects, {
    backoff: { at, retry, due: false },
  });
  effects.push({ do: 'schedule', timer: 'backoff', at, generation: s.generation });
  return next;
}

/** Held down for good: quarantined, or given up (recovery `degraded`). */
function hold(
  s: InstanceState,
  action: 'quarantine' | 'give_up',
  reason: Reason,
  effects: Effect[],
): InstanceState {
  effects.push({ do: 'healing', action, reason });
  return enter(
    { ...s, desired: 'down' },
    action === 'quarantine' ? 'quarantined' : 'failed',
    reason,
    effects,
  );
}

/**
 * Stops the current generation's process if there is one (`stopping`); an exited one's judgment
 * is dropped (its end is now expected), and so is a failure being judged. An instance that was up
 * or on its way (starting, running, backoff) goes through `stopping` even with no process left to
 * stop, unless `quietly` (a quarantine held at once): a backoff's attempt will not come.
 * `recovery`: the instance is stopped for failing (the healing engine's decision), not asked.
 */
function halt(
  s: InstanceState,
  reason: Reason,
  stop: StopParams,
  afterStop: AfterStop | null,
  effects: Effect[],
  opts: { quietly?: boolean; recovery?: boolean } = {},
): InstanceState {
  // A start under way and a failure being judged are superseded.
  const base: InstanceState = { ...s, judging: null, launching: false };
  switch (s.process) {
    case 'live':
    case 'stopping': {
      const next = enter({ ...base, process: 'stopping', afterStop }, 'stopping', reason, effects);
      effects.push({
        do: 'stop',
        generation: s.generation,
        ...stop,
        recovery: opts.recovery === true,
      });
      return next;
    }
    case 'exited':
    case 'none':
    case 'spawning': {
      const next: InstanceState = {
        ...base,
        process: s.process === 'exited' ? 'none' : s.process,
        afterStop: null,
      };
      const wasUp =
        s.lifecycle === 'starting' || s.lifecycle === 'running' || s.lifecycle === 'backoff';
      return wasUp && opts.quietly !== true ? enter(next, 'stopping', reason, effects) : next;
    }
  }
}

/** What the process's absence leads to, once a stop is over. */
function afterStopped(s: InstanceState, now: number, effects: Effect[]): InstanceState {
  const after = s.afterStop;
  const next: InstanceState = { ...s, process: 'none', afterStop: null };
  if (!after) return next;
  if (after.then === 'hold') return hold(next, after.action, after.reason, effects);
  return enterBackoff(next, after.retry, now, effects);
}

/** A failure of the current generation's process, for the healing engine. */
function failure(s: InstanceState, f: Failure, lastError: string | null): Step {
  return {
    state: { ...s, judging: f },
    effects: [{ do: 'fail', generation: s.generation, failure: f, lastError }],
  };
}

function isCleanExit(f: Failure): boolean {
  return f.kind === 'exit' && f.code === 0 && !f.signal;
}

/** The breaker-trial wording of a restart's reason. */
export function restartReason(decision: RestartDecision, reason: Reason): Reason {
  return decision.breakerTrial
    ? { ...reason, kind: 'breaker_trial', message: `breaker trial after: ${reason.message}` }
    : reason;
}

function decide(
  prev: InstanceState,
  ev: Extract<InstanceEvent, { type: 'decided' }>,
  now: number,
): Step {
  if (ev.generation !== prev.generation) {
    return ignore(prev, 'a decision about an older generation');
  }
  const judged = prev.judging;
  if (!judged) return ignore(prev, 'no failure is being judged');
  const s: InstanceState = { ...prev, judging: null };
  const moot = (why: string): Step => ({ state: s, effects: [], ignored: why });
  if (s.desired === 'down') return moot('not wanted up: failures are not acted on');
  if (s.process !== 'none' && s.process !== 'live') {
    return moot(`its process is ${s.process}: the decision is moot`);
  }
  const d = ev.decision;
  const reason = judged.reason;
  const live = s.process === 'live';
  const effects: Effect[] = [];
  // Not restarted: an unhealthy one keeps running, a clean exit is a stop, anything else is
  // down for good (a process left running after a failed start stays).
  const notRestarted = (detail: string): Step => {
    if (judged.kind === 'unhealthy' && live) return { state: s, effects };
    if (isCleanExit(judged) && !live)
      return { state: enter(s, 'stopped', reason, effects), effects };
    return { state: enter(s, 'failed', { ...reason, detail }, effects), effects };
  };
  switch (d.do) {
    case 'complete':
      if (!isCleanExit(judged) || live) return notRestarted('nothing completed');
      return { state: enter(s, 'completed', reason, effects), effects };
    case 'none':
      return notRestarted(d.why);
    case 'quarantine':
    case 'give_up': {
      const why: Reason = { ...reason, message: d.reason };
      if (!live) return { state: hold(s, d.do, why, effects), effects };
      const state = halt(
        s,
        stoppingReason(reason),
        ev.stop,
        { then: 'hold', action: d.do, reason: why },
        effects,
        { recovery: true },
      );
      return { state, effects };
    }
    case 'restart':
    case 'stack_restart': {
      const retry: PendingRetry = { decision: d, reason };
      if (!live) return { state: enterBackoff(s, retry, now, effects), effects };
      const stop: StopParams =
        d.do === 'restart' && d.mode === 'immediate'
          ? { signal: 'SIGKILL', timeoutMs: 0 }
          : ev.stop;
      const state = halt(s, stoppingReason(reason), stop, { then: 'backoff', retry }, effects, {
        recovery: true,
      });
      return { state, effects };
    }
  }
}

function stoppingReason(why: Reason): Reason {
  return { ...why, message: `stopping the failing instance: ${why.message}` };
}

function transition(s: InstanceState, ev: InstanceEvent, now: number): Step {
  const effects: Effect[] = [];
  const done = (state: InstanceState): Step => ({ state, effects });
  switch (ev.type) {
    case 'up_requested': {
      if (s.lifecycle === 'quarantined') return ignore(s, 'quarantined: release it first');
      // A stop asked on purpose wins (a shutdown must not bring it back).
      if (s.halting === 'stop') return ignore(s, 'a stop is under way');
      const wanted: InstanceState = { ...s, desired: 'up', stoppedByUser: false };
      // Busy (a process, an attempt pending, a stop under way): it comes up when that is over.
      const busy =
        s.process !== 'none' ||
        s.halting !== null ||
        s.lifecycle === 'backoff' ||
        s.lifecycle === 'stopping';
      if (busy) return done(wanted);
      return done(start(wanted, ev.reason, effects));
    }

    case 'start_requested': {
      if (s.lifecycle === 'quarantined') return ignore(s, 'quarantined: release it first');
      if (s.process !== 'none') return ignore(s, `its process is ${s.process}`);
      if (s.halting !== null) return ignore(s, 'a stop is under way');
      if (s.lifecycle === 'starting' || s.lifecycle === 'running') {
        return ignore(s, `already ${s.lifecycle}`);
      }
      let next: InstanceState = { ...s, desired: 'up', stoppedByUser: false };
      if (next.backoff && !next.backoff.due) {
        next = { ...next, backoff: { ...next.backoff, at: now, due: true } };
      }
      return done(start(next, ev.reason, effects));
    }

    case 'deps_changed':
      if (
        s.lifecycle !== 'waiting' ||
        s.desired !== 'up' ||
        s.process !== 'none' ||
        s.halting !== null
      ) {
        return ignore(s, 'not waiting for dependencies');
      }
      if (s.launching) return ignore(s, 'a start is already under way');
      return done(start(s, { kind: 'dependency', message: 'dependencies ready' }, effects));

    case 'deps_blocked': {
      if (!s.launching || ev.launch !== s.launch) return ignore(s, 'not the start under way');
      const next: InstanceState = { ...s, launching: false };
      if (s.desired !== 'up' || s.process !== 'none' || s.lifecycle === 'quarantined') {
        return { state: next, effects, ignored: 'no longer starting' };
      }
      return done(enter(next, 'waiting', ev.reason, effects, { blockedBy: ev.blockedBy }));
    }

    case 'launch_cleared': {
      if (!s.launching || ev.launch !== s.launch) return ignore(s, 'not the start under way');
      const next: InstanceState = { ...s, launching: false };
      if (s.desired !== 'up' || s.process !== 'none' || s.lifecycle === 'quarantined') {
        return { state: next, effects, ignored: 'no longer starting' };
      }
      const generation = s.generation + 1;
      effects.push({ do: 'spawn', generation, reason: ev.reason });
      return done({ ...next, generation, process: 'spawning' });
    }

    case 'start_abandoned':
      if (!s.launching || ev.launch !== s.launch) return ignore(s, 'not the start under way');
      return done({ ...s, launching: false });

    case 'start_failed': {
      const ours = s.launching && ev.launch === s.launch;
      if (!ours && s.process !== 'spawning') return ignore(s, 'not the start under way');
      const next: InstanceState = {
        ...s,
        launching: ours ? false : s.launching,
        process: s.process === 'spawning' ? 'none' : s.process,
      };
      if (next.process !== 'none') return { state: next, effects, ignored: 'a process is there' };
      if (s.desired !== 'up' || s.lifecycle === 'quarantined') {
        return { state: next, effects, ignored: 'no longer starting' };
      }
      return done(enter(next, 'failed', ev.reason, effects));
    }

    case 'spawned': {
      if (s.process !== 'spawning' || ev.generation !== s.generation) {
        return ignore(s, 'no spawn of this generation was asked');
      }
      const deadline = now + ev.startupTimeoutMs;
      const next = enter(
        { ...s, process: 'live', startup: { deadline, timeoutMs: ev.startupTimeoutMs } },
        'starting',
        ev.reason,
        effects,
      );
      effects.push({ do: 'schedule', timer: 'startup', at: deadline, generation: s.generation });
      return done(next);
    }

    case 'probe_ready':
      if (ev.generation !== s.generation) return ignore(s, 'a probe of an older generation');
      if (s.process !== 'live' || s.lifecycle !== 'starting') {
        return ignore(s, 'not starting with a live process');
      }
      return done(enter(s, 'running', ev.reason, effects));

    case 'probe_failed':
    case 'limit_exceeded':
      if (ev.generation !== s.generation) return ignore(s, 'about an older generation');
      if (s.process !== 'live' || s.lifecycle !== 'running' || s.desired !== 'up') {
        return ignore(s, 'not running and wanted');
      }
      return failure(s, { kind: 'unhealthy', reason: ev.reason }, ev.reason.message);

    case 'startup_timeout': {
      if (ev.generation !== s.generation || s.startup === null) {
        return ignore(s, 'no startup deadline of this generation');
      }
      const message = `not ready within the startup timeout of ${formatDuration(s.startup.timeoutMs)}`;
      const next: InstanceState = { ...s, startup: null };
      if (s.desired !== 'up') return { state: next, effects, ignored: 'not wanted up' };
      return failure(
        next,
        { kind: 'start_failed', reason: { kind: 'startup_timeout', message } },
        message,
      );
    }

    case 'exited':
      if (ev.generation !== s.generation) return ignore(s, 'an older generation exited');
      if (s.process === 'stopping') return done(s); // the stop reports its end
      if (s.process !== 'live') return ignore(s, `its process is ${s.process}`);
      effects.push({ do: 'reap', generation: s.generation });
      return done({ ...s, process: 'exited' });

    case 'reaped':
      if (ev.generation !== s.generation || s.process !== 'exited') {
        return ignore(s, 'no exit of this generation waits to be judged');
      }
      // Not wanted up, or failed for good already (its process outlived a failed start): the
      // exit changes nothing.
      if (s.desired !== 'up' || s.lifecycle === 'failed') return done({ ...s, process: 'none' });
      return failure({ ...s, process: 'none' }, ev.failure, ev.lastError);

    case 'decided':
      return decide(s, ev, now);

    case 'backoff_elapsed': {
      const b = s.backoff;
      if (!b || b.due || b.at !== ev.at) return ignore(s, 'no attempt is due at that time');
      const next: InstanceState = { ...s, backoff: { ...b, due: true } };
      const d = b.retry.decision;
      if (d.do === 'stack_restart') {
        effects.push({ do: 'stack_restart', reason: b.retry.reason, decision: d });
        return done(next);
      }
      const why = restartReason(d, b.retry.reason);
      effects.push({ do: 'restart', reason: why, decision: d });
      return done(start(next, why, effects));
    }

    case 'retry_now': {
      const b = s.backoff;
      if (!b || b.due) return ignore(s, 'no attempt is waiting');
      effects.push({ do: 'restart', reason: ev.reason, decision: null });
      return done(start({ ...s, backoff: { ...b, at: now, due: true } }, ev.reason, effects));
    }

    case 'stop_requested': {
      const down: InstanceState = {
        ...s,
        desired: 'down',
        stoppedByUser: s.stoppedByUser || ev.byUser,
        halting: 'stop',
      };
      return done(halt(down, ev.reason, ev.stop, null, effects));
    }

    case 'restart_requested':
      return done(halt({ ...s, halting: 'restart' }, ev.reason, ev.stop, null, effects));

    case 'quarantine_requested': {
      const down: InstanceState = { ...s, desired: 'down', halting: null };
      const after: AfterStop = { then: 'hold', action: 'quarantine', reason: ev.reason };
      const next = halt(down, ev.reason, ev.stop, after, effects, { quietly: true });
      // Nothing to stop: held at once.
      if (next.process === 'stopping') return done(next);
      return done(hold(next, 'quarantine', ev.reason, effects));
    }

    case 'stopped':
      if (ev.generation !== s.generation || s.process !== 'stopping') {
        return ignore(s, 'no stop of this generation is under way');
      }
      return done(afterStopped(s, now, effects));

    case 'stop_finished': {
      if (s.halting !== 'stop') return ignore(s, 'no stop under way');
      if (s.process !== 'none' && s.process !== 'exited') {
        return ignore(s, `its process is ${s.process}`);
      }
      const next: InstanceState = { ...s, halting: null };
      if (s.lifecycle === 'quarantined' || s.lifecycle === 'completed') return done(next);
      return done(enter(next, 'stopped', ev.reason, effects));
    }

    case 'relaunch': {
      if (s.process !== 'none' && s.process !== 'exited') {
        return ignore(s, `its process is ${s.process}`);
      }
      if (s.halting !== 'restart' && !AT_REST.has(s.lifecycle)) {
        return ignore(s, `${s.lifecycle}: neither restarting nor at rest`);
      }
      const stopped = enter(
        { ...s, process: 'none', afterStop: null, halting: null },
        'stopped',
        ev.reason,
        effects,
      );
      return done(start({ ...stopped, desired: 'up', stoppedByUser: false }, ev.reason, effects));
    }
  }
}

/**
 * One step of the machine. Timers follow the state: a step that leaves `starting` with a live
 * process cancels the startup timer, one that ends a waiting backoff cancels its timer (a timer
 * that fired needs no cancel).
 */
export function step(state: InstanceState, event: InstanceEvent, now: number): Step {
  const out = transition(state, event, now);
  if (out.state === state) return out;
  let next = out.state;
  if (!(next.lifecycle === 'starting' && next.process === 'live') && next.startup !== null) {
    next = { ...next, startup: null };
  }
  const cancels: Effect[] = [];
  if (state.startup !== null && next.startup === null && event.type !== 'startup_timeout') {
    cancels.push({ do: 'cancel', timer: 'startup' });
  }
  const waited = state.backoff !== null && !state.backoff.due;
  const waits = next.backoff !== null && !next.backoff.due && next.backoff === state.backoff;
  if (waited && !waits && event.type !== 'backoff_elapsed') {
    cancels.push({ do: 'cancel', timer: 'backoff' });
  }
  if (cancels.length === 0 && next === out.state) return out;
  return { ...out, state: next, effects: [...cancels, ...out.effects] };
}
