import { describe, expect, it } from 'vitest';
import { view } from '../../testing/support.js';
import { SERVICE_ACTIONS, actionStates, visibleActions } from './actions.js';
import { refusesRelease, refusesStart } from '../../../shared/lifecycle.js';

const enabled = (s: ReturnType<typeof view>, busy = false) =>
  SERVICE_ACTIONS.filter((a) => actionStates(s, busy)[a].enabled);

describe('actionStates', () => {
  it('a running service can be stopped, restarted and quarantined, not started or released', () => {
    expect(enabled(view('api'))).toEqual(['stop', 'restart', 'quarantine']);
  });

  it('a stopped service can be started or restarted', () => {
    expect(enabled(view('api', { lifecycle: 'stopped' }))).toEqual([
      'start',
      'restart',
      'quarantine',
    ]);
  });

  it('release only when quarantined; force restart overrides the quarantine', () => {
    const q = { ...view('api', { lifecycle: 'quarantined' }), quarantine_reason: 'crash loop' };
    expect(enabled(q)).toEqual(['force_restart', 'release']);
    expect(actionStates(q, false).start.why).toMatch(/release/);
    expect(actionStates(view('api'), false).release.why).toMatch(/quarantined/);
  });

  it('force restart is offered in backoff and with an open breaker', () => {
    expect(enabled(view('api', { lifecycle: 'backoff', health: 'unhealthy' }))).toContain(
      'force_restart',
    );
    const open = { ...view('api'), breaker: { ...view('api').breaker, state: 'open' as const } };
    expect(enabled(open)).toContain('force_restart');
  });

  it('nothing but quarantine while stopping, nothing at all while an action runs', () => {
    expect(enabled(view('api', { lifecycle: 'stopping' }))).toEqual(['quarantine']);
    expect(enabled(view('api'), true)).toEqual([]);
    expect(actionStates(view('api'), true).stop.why).toMatch(/in progress/);
  });

  it('a registered service shows no actions: the API refuses them all', () => {
    const r = { ...view('hook'), registered: true };
    expect(visibleActions(r)).toEqual([]);
    expect(enabled(r)).toEqual([]);
    expect(actionStates(r, false).restart.why).toMatch(/registered/);
    expect(visibleActions(view('api'))).toEqual(SERVICE_ACTIONS);
  });
});

describe('the panel and the runner decide from the same facts', () => {
  const LIFECYCLES = [
    'pending',
    'waiting',
    'starting',
    'running',
    'backoff',
    'stopping',
    'stopped',
    'failed',
    'quarantined',
    'completed',
  ] as const;

  it('start is off wherever the runner would refuse it', () => {
    for (const lifecycle of LIFECYCLES) {
      if (refusesStart(lifecycle))
        expect(actionStates(view('api', { lifecycle }), false).start.enabled).toBe(false);
    }
    expect(refusesStart('quarantined')).toBe(true);
    expect(refusesStart('stopped')).toBe(false);
  });

  it('release is on exactly where the runner would accept it', () => {
    for (const lifecycle of LIFECYCLES) {
      for (const quarantine_reason of [null, 'manual']) {
        const s = { ...view('api', { lifecycle }), quarantine_reason };
        const runnerAccepts = !refusesRelease({
          lifecycle,
          quarantineHeld: quarantine_reason !== null,
          gaveUp: false,
        });
        expect(actionStates(s, false).release.enabled).toBe(runnerAccepts);
      }
    }
  });
});
