import { describe, expect, it } from 'vitest';
import type { ProbeSpec } from '../../../shared/model.js';
import { createProbeRunner, runProbe, type ProbeEnv } from './probes.js';

function env(over: Partial<ProbeEnv> = {}): ProbeEnv {
  return {
    cwd: '.',
    env: {},
    isAlive: () => true,
    logMatched: () => false,
    ...over,
  };
}

describe('process probe', () => {
  it('is ok while the process is alive', async () => {
    const r = await runProbe({ type: 'process' }, 1_000, env({ isAlive: () => true }));
    expect(r).toMatchObject({
      ok: true,
      timedOut: false,
      probe: 'process',
      detail: 'process alive',
    });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.ts).toBeGreaterThan(0);
  });

  it('fails when the process is gone', async () => {
    const r = await runProbe({ type: 'process' }, 1_000, env({ isAlive: () => false }));
    expect(r).toMatchObject({ ok: false, timedOut: false, detail: 'process not running' });
  });
});

describe('log probe', () => {
  const spec: ProbeSpec = { type: 'log', pattern: 'listening' };

  it('fails until the pattern matched, then is ok', async () => {
    let matched = false;
    const e = env({ logMatched: () => matched });
    expect(await runProbe(spec, 1_000, e)).toMatchObject({
      ok: false,
      probe: 'log',
      detail: 'log has not matched /listening/ yet',
    });
    matched = true;
    expect(await runProbe(spec, 1_000, e)).toMatchObject({
      ok: true,
      detail: 'log matched /listening/',
    });
  });
});

describe('runProbe never throws', () => {
  it('turns a throwing callback into a failed result', async () => {
    const r = await runProbe(
      { type: 'process' },
      1_000,
      env({
        isAlive: () => {
          throw new Error('no such pid table');
        },
      }),
    );
    expect(r).toMatchObject({
      ok: false,
      timedOut: false,
      detail: 'probe error: no such pid table',
    });
  });

  it('answers an already aborted signal without probing', async () => {
    let asked = false;
    const ctl = new AbortController();
    ctl.abort();
    const r = await runProbe(
      { type: 'process' },
      1_000,
      env({
        isAlive: () => {
          asked = true;
          return true;
        },
      }),
      { signal: ctl.signal },
    );
    expect(r).toMatchObject({ ok: false, timedOut: false, detail: 'probe aborted' });
    expect(asked).toBe(false);
  });

  it('fails an exec probe with an empty command instead of throwing', async () => {
    const r = await createProbeRunner({
      type: 'exec',
      command: { kind: 'argv', argv: [] },
    }).run(1_000, env());
    expect(r).toMatchObject({ ok: false, probe: 'exec' });
    expect(r.detail).toMatch(/^cannot run/);
  });

  it('fails an http probe with an invalid header value instead of throwing', async () => {
    const r = await runProbe(
      {
        type: 'http',
        host: '127.0.0.1',
        port: 1,
        path: '/health',
        expectStatus: 200,
        headers: { 'x-bad': 'line\nbreak' },
      },
      1_000,
      env(),
    );
    expect(r).toMatchObject({ ok: false, timedOut: false, probe: 'http' });
    expect(r.detail).toMatch(/ERR_INVALID_CHAR/);
  });
});
