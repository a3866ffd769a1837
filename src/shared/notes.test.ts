import { describe, expect, it } from 'vitest';
import { notReadyText, startedWithoutText } from './notes.js';

const NOW = Date.UTC(2026, 0, 1, 10, 0, 0);

describe('notReadyText', () => {
  it('says what the probes saw, how many checks failed and when the startup timeout runs out', () => {
    expect(
      notReadyText(
        {
          failed_checks: 25,
          last_failure: 'timed out after 200ms',
          startup_deadline: new Date(NOW + 51_400).toISOString(),
        },
        NOW,
      ),
    ).toBe('not ready: timed out after 200ms, 25 checks, startup timeout in 52s');
  });
  it('before the first result, and without the deadline', () => {
    const v = {
      failed_checks: 0,
      last_failure: null,
      startup_deadline: new Date(NOW + 3_000).toISOString(),
    };
    expect(notReadyText(v, NOW)).toBe(
      'not ready: waiting for the first health check, startup timeout in 3s',
    );
    expect(notReadyText(v, NOW, { deadline: false })).toBe(
      'not ready: waiting for the first health check',
    );
    expect(notReadyText(v, NOW + 4_000)).toContain('startup timeout reached');
  });
});

describe('startedWithoutText', () => {
  it('names each optional dependency left out and why', () => {
    expect(startedWithoutText([])).toBeNull();
    expect(startedWithoutText([{ service: 'metrics', reason: 'exited with code 3' }])).toBe(
      'started without metrics: exited with code 3',
    );
  });
});
