/**
 * Short notes that say why a service is where it is, in the same words on every surface (`vigil
 * ps` NOTE, the service panel, the graph node). Pure functions of the wire views and the time.
 */
import { formatDuration } from './duration.js';
import type { MissingDependencyView } from './events.js';
import type { NotReadyView } from './views.js';

/**
 * Why a starting service is not ready yet:
 * `not ready: timed out after 200ms, 25 checks, startup timeout in 52s`, or
 * `not ready: waiting for the first health check, startup timeout in 52s`.
 */
export function notReadyText(
  v: NotReadyView,
  now: number,
  opts: { readonly deadline?: boolean } = {},
): string {
  const parts: string[] = [];
  if (v.failed_checks > 0 || v.last_failure !== null) {
    parts.push(v.last_failure ?? 'health check failed');
    parts.push(`${v.failed_checks} ${v.failed_checks === 1 ? 'check' : 'checks'}`);
  } else {
    parts.push('waiting for the first health check');
  }
  if (v.startup_deadline !== null && opts.deadline !== false) {
    const left = Date.parse(v.startup_deadline) - now;
    parts.push(
      left > 0
        ? `startup timeout in ${formatDuration(Math.ceil(left / 1000) * 1000)}`
        : 'startup timeout reached',
    );
  }
  return `not ready: ${parts.join(', ')}`;
}

/** `started without metrics: exited with code 3; cache: not ready yet`, or null when none. */
export function startedWithoutText(missing: readonly MissingDependencyView[]): string | null {
  if (missing.length === 0) return null;
  return `started without ${missing.map((m) => `${m.service}: ${m.reason}`).join('; ')}`;
}
