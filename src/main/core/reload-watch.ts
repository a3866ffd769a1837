/**
 * Reload rollback, the shell: watches the services a reload changed until each is ready, and
 * reports the first failure (the decision is `judgeReload` in lifecycle/rollback.ts). Every change
 * of a watched service re-judges; a timer per startup deadline catches those that never get ready.
 */
import type { TimerHandle } from './clock.js';
import { judgeReload, type ReloadVerdict, type WatchedService } from './lifecycle/rollback.js';
import type { Supervisor } from './supervisor.js';

export interface ReloadWatch {
  /** Stops watching (a newer reload replaces it); the verdict callback is not called after this. */
  cancel(): void;
}

export function watchReload(
  sup: Supervisor,
  services: readonly string[],
  onVerdict: (v: Exclude<ReloadVerdict, { kind: 'pending' }>) => void,
): ReloadWatch {
  const names = new Set(services);
  const startedAt = sup.clock.now();
  const timeoutOf = (name: string): number => sup.runners.get(name)?.spec.startupTimeoutMs ?? 0;
  let done = false;
  let queued = false;
  const timers: TimerHandle[] = [];
  const finish = (): void => {
    done = true;
    unsubscribe();
    for (const t of timers) t.cancel();
  };
  const judge = (): void => {
    queued = false;
    if (done) return;
    const now = sup.clock.now();
    const watched: WatchedService[] = services.map((name) => {
      const r = sup.runners.get(name);
      const timeout = timeoutOf(name);
      return {
        name,
        facts: r?.facts(),
        startupTimeoutMs: timeout,
        deadlinePassed: now - startedAt >= timeout,
        checksPassed: r?.counters.consecutiveSuccesses ?? 0,
      };
    });
    const verdict = judgeReload(watched);
    if (verdict.kind === 'pending') return;
    finish();
    onVerdict(verdict);
  };
  const soon = (): void => {
    if (queued || done) return;
    queued = true;
    queueMicrotask(judge);
  };
  const unsubscribe = sup.subscribe((ev) => {
    if ((ev.type === 'service_event' || ev.type === 'health_update') && names.has(ev.service))
      soon();
  });
  for (const t of new Set(services.map(timeoutOf))) timers.push(sup.clock.setTimeout(soon, t));
  soon();
  return {
    cancel: () => {
      if (!done) finish();
    },
  };
}
