import { describe, expect, it } from 'vitest';

import { displayStatus, HEALTHS, LIFECYCLES } from './model.js';

describe('displayStatus', () => {
  it('shows a service waiting for its next restart attempt as down, whatever its health', () => {
    for (const h of HEALTHS) {
      expect(displayStatus('backoff', h)).toBe(h === 'timeout' ? 'timeout' : 'unhealthy');
    }
  });

  it('takes the health of a running service', () => {
    expect(displayStatus('running', 'healthy')).toBe('healthy');
    expect(displayStatus('running', 'unknown')).toBe('degraded');
    expect(displayStatus('running', 'degraded')).toBe('degraded');
    expect(displayStatus('running', 'unhealthy')).toBe('unhealthy');
    expect(displayStatus('running', 'timeout')).toBe('timeout');
  });

  it('maps the settled lifecycles without looking at health', () => {
    for (const h of HEALTHS) {
      expect(displayStatus('quarantined', h)).toBe('quarantined');
      expect(displayStatus('failed', h)).toBe('unhealthy');
      expect(displayStatus('completed', h)).toBe('healthy');
      expect(displayStatus('stopped', h)).toBe('stopped');
      expect(displayStatus('pending', h)).toBe('stopped');
    }
  });

  it('gives every lifecycle and health a status', () => {
    for (const l of LIFECYCLES) for (const h of HEALTHS) expect(displayStatus(l, h)).toBeTruthy();
  });
});
