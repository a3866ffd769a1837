/** Whole-stack timeline entries from the status updates: critical spells and milestones. Pure. */
import type { StatusEvent } from '../../shared/events.js';
import { humanDuration } from './format.js';
import type { IncidentDraft, TimelineContext } from './incidents.js';
import { clean } from './phrases.js';
import type { IncidentKind, IncidentOutcome } from './types.js';

function afterPrefix(message: string, prefix: string): string {
  const m = clean(message);
  return m.toLowerCase().startsWith(prefix) ? m.slice(prefix.length) : m;
}

function stackPoint(
  kind: IncidentKind,
  ts: number,
  sentence: string,
  cause: string,
): IncidentDraft {
  return {
    ts,
    end: null,
    service: null,
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

/** Whole-stack entries from the status updates (oldest first): critical spells and milestones. */
export function stackIncidents(
  events: readonly StatusEvent[],
  ctx: TimelineContext,
): IncidentDraft[] {
  const out: IncidentDraft[] = [];
  let critical: { start: number; what: string } | null = null;
  const closeCritical = (ts: number | null, closer: string, outcome: IncidentOutcome): void => {
    if (!critical) return;
    const c = critical;
    critical = null;
    out.push({
      ts: c.start,
      end: ts,
      service: null,
      kind: 'system',
      failure: false,
      outcome,
      duration_ms: (ts ?? ctx.until) - c.start,
      started_before_range: false,
      cause: c.what,
      restarts: 0,
      sentence: `The stack became critical at ${ctx.at(c.start)}${c.what ? ` (${c.what})` : ''}; ${closer}.`,
    });
  };
  for (const e of events) {
    const msg = clean(e.message);
    if (e.system === 'critical' && !critical && e.event !== 'stack-stopped') {
      critical = { start: e.ts, what: afterPrefix(e.message, 'system critical: ') };
    } else if (e.system !== 'critical' && critical) {
      const c: { start: number } = critical;
      const took = humanDuration(e.ts - c.start);
      closeCritical(
        e.ts,
        e.system === 'healthy'
          ? `healthy again at ${ctx.at(e.ts)} (critical for ${took})`
          : `no longer critical at ${ctx.at(e.ts)}, still degraded (critical for ${took})`,
        'resolved',
      );
    }
    switch (e.event) {
      case 'emergency-shutdown':
        out.push(
          stackPoint(
            'system',
            e.ts,
            `Emergency shutdown at ${ctx.at(e.ts)}: ${afterPrefix(e.message, 'emergency shutdown: ')}.`,
            msg,
          ),
        );
        break;
      case 'launch-failed':
        out.push(
          stackPoint('system', e.ts, `The stack failed to start at ${ctx.at(e.ts)}: ${msg}.`, msg),
        );
        break;
      case 'stack-starting':
        out.push(stackPoint('stack', e.ts, `The stack started at ${ctx.at(e.ts)}.`, msg));
        break;
      case 'system-ready':
        if (e.readyInMs !== undefined) {
          out.push(
            stackPoint(
              'stack',
              e.ts,
              `The stack was ready at ${ctx.at(e.ts)} (in ${humanDuration(e.readyInMs)}).`,
              msg,
            ),
          );
        }
        break;
      case 'stack-stopped':
        if (critical) {
          const c: { start: number } = critical;
          closeCritical(
            e.ts,
            `until the stack stopped at ${ctx.at(e.ts)} (critical for ${humanDuration(e.ts - c.start)})`,
            'resolved',
          );
        }
        out.push(stackPoint('stack', e.ts, `The stack stopped at ${ctx.at(e.ts)}.`, msg));
        break;
      case 'config-reloaded':
        out.push(
          stackPoint(
            'stack',
            e.ts,
            `The stack file was reloaded at ${ctx.at(e.ts)}${msg ? `: ${msg}` : ''}.`,
            msg,
          ),
        );
        break;
      case 'config-rolled-back':
        out.push(
          stackPoint(
            'system',
            e.ts,
            `A change to the stack file was rolled back at ${ctx.at(e.ts)}${msg ? `: ${msg}` : ''}.`,
            msg,
          ),
        );
        break;
      case 'config-rejected':
        out.push(
          stackPoint(
            'stack',
            e.ts,
            `A change to the stack file was rejected at ${ctx.at(e.ts)}${msg ? `: ${msg}` : ''}.`,
            msg,
          ),
        );
        break;
      default:
        break;
    }
  }
  if (critical) {
    const c: { start: number } = critical;
    closeCritical(
      null,
      `still critical at the end of the report (critical for ${humanDuration(ctx.until - c.start)} so far)`,
      'ongoing',
    );
  }
  return out.sort((a, b) => a.ts - b.ts);
}
