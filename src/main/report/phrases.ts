/**
 * The words of the report's timeline: what a failure, a probe result or a healing step is
 * called, and how the steps of one incident are said (a long crash loop summed up). Pure.
 */
import type { HealingAction, HealingEvent, HealthEvent } from '../../shared/events.js';
import type { Actor, ProbeType, Reason } from '../../shared/model.js';
import { humanDuration } from './format.js';
import type { IncidentKind } from './types.js';

const MAX_DETAIL = 160;

/** One line, trimmed, at most MAX_DETAIL characters. */
export function clean(text: string | undefined | null): string {
  const t = (text ?? '').replace(/\s+/g, ' ').trim();
  return t.length > MAX_DETAIL ? `${t.slice(0, MAX_DETAIL - 1)}…` : t;
}

/** "gave up after 7 restart attempts; last failure: exited with code 1" -> "exited with code 1". */
export function lastFailureOf(message: string): string {
  const i = message.indexOf('last failure: ');
  return clean(i >= 0 ? message.slice(i + 'last failure: '.length) : message);
}

export function attemptsOf(e: HealingEvent): number {
  if (e.attempt > 0) return e.attempt;
  const m = /after (\d+) restart attempt/.exec(e.reason.message);
  return m ? Number(m[1]) : 0;
}

export function actorName(by: Actor | undefined): string {
  switch (by) {
    case 'ui':
      return 'the UI';
    case 'cli':
      return 'the CLI';
    case 'api':
      return 'the API';
    case 'vigil':
    case undefined:
      return 'Vigil';
  }
}

/** "from the UI", "by hand". */
export function fromWhom(r: Reason): string {
  if (r.by === undefined) return 'by hand';
  if (r.by === 'vigil') return 'by Vigil';
  return `from ${actorName(r.by)}`;
}

export function times(n: number): string {
  return n === 1 ? 'once' : n === 2 ? 'twice' : `${n} times`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const PROBE_NAMES: Readonly<Record<ProbeType, string>> = {
  http: 'http',
  tcp: 'tcp',
  exec: 'exec',
  log: 'log',
  process: 'process',
  default: 'health',
};

export interface FailureText {
  readonly kind: IncidentKind;
  /** A verb phrase without subject or time: "crashed with exit code 1". */
  readonly text: string;
  /** What was recorded: "exited with code 1". */
  readonly cause: string;
}

export function withDetail(verb: string, detail: string): string {
  return detail ? `${verb} (${detail})` : verb;
}

export function describeFailure(r: Reason): FailureText {
  const msg = lastFailureOf(r.message);
  switch (r.kind) {
    case 'exit':
      return {
        kind: 'crash',
        text:
          r.exitCode === 0
            ? 'exited with code 0'
            : typeof r.exitCode === 'number'
              ? `crashed with exit code ${r.exitCode}`
              : withDetail('crashed', msg),
        cause: msg,
      };
    case 'signal':
      return {
        kind: 'crash',
        text: r.signal ? `was killed by ${clean(r.signal)}` : withDetail('crashed', msg),
        cause: msg,
      };
    case 'spawn_error':
      return {
        kind: 'start_failure',
        text: withDetail('could not start', clean(r.detail) || msg),
        cause: msg,
      };
    case 'port_in_use':
      return { kind: 'start_failure', text: withDetail('could not start', msg), cause: msg };
    case 'startup_timeout':
      return { kind: 'start_failure', text: withDetail('was not ready in time', msg), cause: msg };
    case 'probe':
      return { kind: 'unhealthy', text: withDetail('became unhealthy', msg), cause: msg };
    case 'memory_limit':
      return { kind: 'memory_limit', text: withDetail('went over its limit', msg), cause: msg };
    default:
      return { kind: 'down', text: withDetail('went down', msg), cause: msg };
  }
}

export function describeHealth(e: HealthEvent): FailureText {
  const probe = PROBE_NAMES[e.result.probe] ?? clean(e.result.probe);
  const n = Math.max(1, e.consecutiveFailures);
  const detail = clean(e.result.detail);
  const verb =
    e.to === 'timeout'
      ? `timed out on its ${probe} probe ${times(n)}`
      : `failed its ${probe} probe ${times(n)}`;
  const cause = `${probe} probe ${e.to === 'timeout' ? 'timed out' : 'failed'}${detail ? `: ${detail}` : ''}`;
  return { kind: 'unhealthy', text: withDetail(verb, detail), cause };
}

// ─── steps of an incident ───────────────────────────────────────────────────────────────────

export type Step =
  | {
      readonly t: 'auto';
      readonly ts: number;
      readonly action: HealingAction;
      readonly attempt: number;
      readonly delayMs: number;
      readonly trial: boolean;
    }
  | { readonly t: 'fail'; readonly ts: number; readonly text: string; readonly cause: string }
  | { readonly t: 'breaker'; readonly ts: number }
  /** Said as is; `loop` steps may be left out when a long crash loop is summed up. */
  | { readonly t: 'text'; readonly ts: number; readonly text: string; readonly loop: boolean };

export function modeOf(action: HealingAction): string {
  return action === 'graceful_restart'
    ? 'graceful'
    : action === 'dependency_restart'
      ? 'with dependencies'
      : 'immediate';
}

function stepText(s: Step, at: (ts: number) => string): string {
  switch (s.t) {
    case 'auto': {
      const parts = [
        ...(s.attempt > 0 ? [`attempt ${s.attempt}`] : []),
        modeOf(s.action),
        ...(s.trial ? ['circuit breaker trial'] : []),
      ];
      return `restarted after ${humanDuration(s.delayMs)} (${parts.join(', ')})`;
    }
    case 'fail':
      return `${s.text} again at ${at(s.ts)}`;
    case 'breaker':
      return `the circuit breaker opened at ${at(s.ts)}`;
    case 'text':
      return s.text;
  }
}

/** A crash loop of more than this many automatic restarts is summed up. */
const LIST_RESTARTS_UP_TO = 3;

function summarise(seg: readonly Step[], at: (ts: number) => string): string[] {
  const autos = seg.filter((s): s is Extract<Step, { t: 'auto' }> => s.t === 'auto');
  const fails = seg.filter((s): s is Extract<Step, { t: 'fail' }> => s.t === 'fail');
  const breakers = seg.filter((s) => s.t === 'breaker');
  const first = autos[0]!;
  const last = autos[autos.length - 1]!;
  const modes = new Map<string, number>();
  for (const a of autos) modes.set(modeOf(a.action), (modes.get(modeOf(a.action)) ?? 0) + 1);
  const attempts = autos.map((a) => a.attempt).filter((n) => n > 0);
  const span =
    attempts.length > 0 ? `attempts ${Math.min(...attempts)}–${Math.max(...attempts)}: ` : '';
  const mix = [...modes].map(([mode, n]) => `${n} ${mode}`).join(', ');
  let text = `restarted ${autos.length} times between ${at(first.ts)} and ${at(last.ts)} (${span}${mix})`;
  const lastFail = fails[fails.length - 1];
  if (lastFail) {
    text +=
      fails.length >= autos.length
        ? `, failing again each time (last: ${lastFail.cause})`
        : `, failing again ${times(fails.length)} (last: ${lastFail.cause})`;
  }
  const out = [text];
  if (breakers.length === 1) out.push(`the circuit breaker opened at ${at(breakers[0]!.ts)}`);
  else if (breakers.length > 1) out.push(`the circuit breaker opened ${times(breakers.length)}`);
  return out;
}

function isLoopStep(s: Step): boolean {
  return s.t === 'auto' || s.t === 'fail' || s.t === 'breaker' || (s.t === 'text' && s.loop);
}

export function renderSteps(steps: readonly Step[], at: (ts: number) => string): string[] {
  if (steps.filter((s) => s.t === 'auto').length <= LIST_RESTARTS_UP_TO) {
    return steps.map((s) => stepText(s, at));
  }
  const out: string[] = [];
  let seg: Step[] = [];
  const flush = (): void => {
    const autos = seg.filter((s) => s.t === 'auto').length;
    if (autos > LIST_RESTARTS_UP_TO) out.push(...summarise(seg, at));
    else out.push(...seg.map((s) => stepText(s, at)));
    seg = [];
  };
  for (const s of steps) {
    if (isLoopStep(s)) seg.push(s);
    else {
      flush();
      out.push(stepText(s, at));
    }
  }
  flush();
  return out;
}

/** "src/a.ts", "src/a.ts and src/b.ts", "src/a.ts, src/b.ts and 12 more files". */
export function filesText(paths: readonly string[], count: number): string {
  const shown = paths.slice(0, 3).map(clean);
  const more = count - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${plural(more, 'more file')}`;
  if (shown.length <= 1) return shown[0] ?? 'a file';
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

export function directedText(r: Reason, at: string): string {
  switch (r.kind) {
    case 'manual':
      return `restarted ${fromWhom(r)} at ${at}`;
    case 'config_change':
      return `restarted at ${at} after a change to the stack file`;
    case 'dependency_recovery':
      return `restarted at ${at} for ${r.dependency ? clean(r.dependency) : 'a dependent'}, which kept failing`;
    case 'stack_restart':
      return `restarted with the whole stack at ${at}`;
    case 'file_change':
      return r.files
        ? `restarted at ${at} after ${filesText(r.files.paths, r.files.count)} changed`
        : `restarted at ${at} after its files changed`;
    default:
      return `restarted at ${at} (${clean(r.message)})`;
  }
}
