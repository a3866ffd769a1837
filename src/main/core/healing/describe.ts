/** Sentences for healing decisions, for logs, events and the UI. Pure. */
import { formatDuration } from '../../../shared/duration.js';
import type { Decision } from './engine.js';

/** "restart attempt 2 of 7 in 5s (immediate)". */
export function describeDecision(d: Decision): string {
  switch (d.do) {
    case 'none':
      return `no restart: ${d.why}`;
    case 'complete':
      return 'completed: exited with code 0';
    case 'restart': {
      const extra: string[] = [d.mode];
      if (d.runReset) extra.push('reset first');
      if (d.breakerTrial) extra.push('circuit breaker trial');
      return `restart attempt ${d.attempt} of ${d.maxAttempts} in ${formatDuration(d.delayMs)} (${extra.join(', ')})`;
    }
    case 'stack_restart':
      return `stack restart attempt ${d.attempt} of ${d.maxAttempts} in ${formatDuration(d.delayMs)}${d.breakerTrial ? ' (circuit breaker trial)' : ''}`;
    case 'quarantine':
      return `quarantined: ${d.reason}`;
    case 'give_up':
      return `stays down, the stack runs degraded: ${d.reason}`;
  }
}
