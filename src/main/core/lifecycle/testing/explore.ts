/**
 * Walks the lifecycle machine: from the initial state, every event that can happen in a state
 * (commands, the world's answers for the current generation, every kind of healing decision),
 * breadth first, up to a depth. What it finds is the machine's real transition table, which the
 * architecture document prints and its test compares.
 */
import type { Lifecycle, Reason } from '../../../../shared/model.js';
import type { Decision, Failure } from '../../healing/engine.js';
import {
  initialInstanceState,
  step,
  type InstanceEvent,
  type InstanceState,
  type StopParams,
} from '../machine.js';

const why = (message: string): Reason => ({ kind: 'manual', message });
const STOP: StopParams = { signal: 'SIGTERM', timeoutMs: 1_000 };
const crash: Failure = {
  kind: 'exit',
  code: 1,
  signal: null,
  reason: { kind: 'exit', message: 'exited with code 1', exitCode: 1 },
};
const clean: Failure = {
  kind: 'exit',
  code: 0,
  signal: null,
  reason: { kind: 'exit', message: 'exited with code 0', exitCode: 0 },
};

const restart = (mode: 'immediate' | 'graceful' | 'dependencies'): Decision => ({
  do: 'restart',
  attempt: 1,
  maxAttempts: 3,
  rung: mode === 'immediate' ? 1 : mode === 'graceful' ? 2 : 3,
  delayMs: 1_000,
  mode,
  runReset: false,
  breakerTrial: false,
});

/** Every decision kind the healing engine can answer. */
export const DECISIONS: readonly Decision[] = [
  { do: 'none', why: 'restart policy is never' },
  { do: 'complete' },
  restart('immediate'),
  restart('graceful'),
  { do: 'stack_restart', attempt: 1, maxAttempts: 3, delayMs: 1_000, breakerTrial: false },
  { do: 'quarantine', reason: 'gave up after 3 restart attempts' },
  { do: 'give_up', reason: 'gave up after 3 restart attempts' },
];

/**
 * The events that can reach an instance in state `s` (the world answers for its generation). A
 * spawn and a failure's judgment are answered at once by the runner: nothing comes in between.
 */
export function plausibleEvents(s: InstanceState): InstanceEvent[] {
  const gen = s.generation;
  if (s.process === 'spawning') {
    return [
      { type: 'spawned', generation: gen, reason: why('spawned'), startupTimeoutMs: 5_000 },
      {
        type: 'start_failed',
        launch: s.launch,
        reason: { kind: 'spawn_error', message: 'could not start' },
      },
    ];
  }
  if (s.judging) {
    return DECISIONS.map((decision) => ({
      type: 'decided',
      generation: gen,
      decision,
      stop: STOP,
    }));
  }
  const launch = s.launch;
  const events: InstanceEvent[] = [
    { type: 'up_requested', reason: why('launch') },
    { type: 'start_requested', reason: why('start') },
    { type: 'deps_changed' },
    { type: 'deps_blocked', launch, blockedBy: ['db'], reason: why('blocked by db') },
    { type: 'deps_blocked', launch, blockedBy: ['db', 'cache'], reason: why('blocked by both') },
    { type: 'launch_cleared', launch, reason: why('go') },
    { type: 'start_abandoned', launch, why: 'stopped meanwhile' },
    { type: 'start_failed', launch, reason: { kind: 'port_in_use', message: 'port in use' } },
    { type: 'spawned', generation: gen, reason: why('spawned'), startupTimeoutMs: 5_000 },
    { type: 'probe_ready', generation: gen, reason: why('ready') },
    { type: 'probe_failed', generation: gen, reason: why('503') },
    { type: 'limit_exceeded', generation: gen, reason: why('over its memory limit') },
    { type: 'startup_timeout', generation: gen },
    { type: 'exited', generation: gen },
    { type: 'reaped', generation: gen, failure: crash, lastError: 'exited with code 1' },
    { type: 'reaped', generation: gen, failure: clean, lastError: null },
    { type: 'stop_requested', reason: why('stop'), byUser: true, stop: STOP },
    { type: 'restart_requested', reason: why('restart'), stop: STOP },
    { type: 'quarantine_requested', reason: why('quarantine'), stop: STOP },
    { type: 'stopped', generation: gen },
    { type: 'stop_finished', reason: why('stop') },
    { type: 'relaunch', reason: why('release') },
    { type: 'retry_now', reason: why('dependency recovery') },
  ];
  if (s.backoff) events.push({ type: 'backoff_elapsed', at: s.backoff.at });
  return events;
}

/** A state with its generation and times left out: two states alike here behave alike. */
function key(s: InstanceState): string {
  return JSON.stringify({
    ...s,
    generation: 0,
    launch: 0,
    startup: s.startup !== null,
    backoff: s.backoff ? { kind: s.backoff.retry.decision.do, due: s.backoff.due } : null,
  });
}

export interface Exploration {
  /** `from -> to` for every lifecycle change seen. */
  readonly moves: ReadonlyMap<Lifecycle, ReadonlySet<Lifecycle>>;
  readonly lifecycles: ReadonlySet<Lifecycle>;
  readonly states: number;
}

/** Breadth-first walk of the machine, at most `depth` events deep. */
export function explore(depth = 14): Exploration {
  const moves = new Map<Lifecycle, Set<Lifecycle>>();
  const lifecycles = new Set<Lifecycle>([initialInstanceState.lifecycle]);
  const seen = new Set<string>([key(initialInstanceState)]);
  let frontier: InstanceState[] = [initialInstanceState];
  for (let d = 0; d < depth && frontier.length > 0; d++) {
    const next: InstanceState[] = [];
    for (const s of frontier) {
      for (const ev of plausibleEvents(s)) {
        const out = step(s, ev, 0);
        for (const e of out.effects) {
          if (e.do !== 'lifecycle') continue;
          let set = moves.get(e.from);
          if (!set) moves.set(e.from, (set = new Set()));
          set.add(e.to);
        }
        lifecycles.add(out.state.lifecycle);
        const k = key(out.state);
        if (seen.has(k)) continue;
        seen.add(k);
        next.push(out.state);
      }
    }
    frontier = next;
  }
  return { moves, lifecycles, states: seen.size };
}
