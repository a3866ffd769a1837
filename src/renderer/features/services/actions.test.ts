import { describe, expect, it } from 'vitest';
import { view } from '../../test-support.js';
import { SERVICE_ACTIONS, actionStates, visibleActions } from './actions.js';

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
