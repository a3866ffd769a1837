/**
 * One service prints as fast as it can for a while. Vigil's memory stays bounded, the service's log
 * file rotates (10 MB × 5), another service's probes keep their schedule, the API answers, and
 * stopping the flooding service (and then Vigil) works. Run twice: as `vigil up` plainly, and with
 * `--json`, where every log line is also an event on Vigil's stdout (read here, slower than Vigil
 * can write it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../src/main/core/testing/fixtures.js';
import {
  LINUX,
  Tracker,
  buildCli,
  makeStack,
  rssBytes,
  runVigil,
  serviceDetail,
  sleep,
  stopVigil,
  until,
} from './harness.js';
import { FLOOD, HTTP_SERVICE } from './services.js';

const t = new Tracker();
beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

const FLOOD_SECONDS = 15;

describe.skipIf(!LINUX)('a service printing as fast as it can', () => {
  for (const json of [false, true]) {
    it(`bounded memory, rotated logs, punctual probes and a working stop${json ? ' (with --json)' : ''}`, async () => {
      const [port] = await freePorts(1);
      const stack = makeStack(
        t,
        `version: 1
services:
  flood:
    command: [node, flood.mjs]
    stop: { timeout: 2s }
  steady:
    command: [node, svc.mjs]
    port: ${port}
    health: { http: /health, interval: 200ms }
`,
        { 'flood.mjs': FLOOD, 'svc.mjs': HTTP_SERVICE },
      );
      const run = runVigil(
        t,
        json
          ? { stack }
          : {
              stack,
              rawArgs: ['up', '-f', stack.file, '--port', '0', '--data-dir', stack.dataDir],
            },
      );
      const api = await run.api(30_000);
      expect(
        await until(
          async () => (await serviceDetail(api, 'steady')).lifecycle === 'running',
          30_000,
          100,
        ),
      ).toBe(true);
      const rss0 = rssBytes(run.pid)!;
      let rssMax = rss0;
      const checks0 = (await serviceDetail(api, 'steady')).health_history as unknown[];
      const probesAt = async (): Promise<number> => {
        const stats = (await api.get('/orchestrator/services/steady/history?since=10m&points=1000'))
          .json as { health?: { count: number }[] };
        return (stats.health ?? []).reduce((n, b) => n + b.count, 0);
      };
      const probes0 = await probesAt();
      const answers: number[] = [];
      const t0 = performance.now();
      while (performance.now() - t0 < FLOOD_SECONDS * 1_000) {
        await sleep(500);
        rssMax = Math.max(rssMax, rssBytes(run.pid) ?? 0);
        const a0 = performance.now();
        const r = await api.call('GET', '/orchestrator/status', { timeoutMs: 10_000 });
        expect(r.status).toBe(200);
        answers.push(performance.now() - a0);
      }
      const elapsed = performance.now() - t0;
      const probes = (await probesAt()) - probes0;
      // The other service was probed on schedule (every 200 ms, from the end of the last probe).
      expect(probes, `probes of steady in ${Math.round(elapsed)} ms`).toBeGreaterThan(
        elapsed / 200 / 2,
      );
      expect((await serviceDetail(api, 'steady')).health).toBe('healthy');
      expect(checks0.length).toBeGreaterThan(0);

      // The flood's log rotated and stays within 5 files of about 10 MB.
      const logDir = path.join(stack.dataDir, 'logs', 'services');
      const files = fs.readdirSync(logDir).filter((f) => f.startsWith('flood.log'));
      const sizes = files.map((f) => fs.statSync(path.join(logDir, f)).size);
      const written = sizes.reduce((a, b) => a + b, 0);
      expect(files.length, files.join(', ')).toBeGreaterThan(1);
      expect(files.length).toBeLessThanOrEqual(5);
      for (const s of sizes) expect(s).toBeLessThanOrEqual(11 * 1024 * 1024);

      // Stop still works while it floods.
      const s0 = performance.now();
      const stop = await api.call('POST', '/orchestrator/stop/flood', {
        body: '{}',
        timeoutMs: 30_000,
      });
      expect(stop.status).toBe(200);
      const stopMs = Math.round(performance.now() - s0);
      expect((await serviceDetail(api, 'flood')).lifecycle).toBe('stopped');
      expect((await stopVigil(run, 60_000)).code).toBe(0);
      expect(await until(() => t.tagged().length === 0, 10_000)).toBe(true);
      const growth = rssMax - rss0;
      expect(growth).toBeLessThan(200 * 1024 * 1024);
      answers.sort((a, b) => a - b);
      process.stdout.write(
        `figures: flood${json ? ' --json' : ''}: ${run.logLines || 'n/a'} lines seen on stdout, ` +
          `log files ${files.length} (${Math.round(written / 1048576)} MB kept), Vigil RSS ${Math.round(rss0 / 1048576)} MB -> max ${Math.round(rssMax / 1048576)} MB, ` +
          `steady probed ${probes} times in ${Math.round(elapsed / 1000)} s, GET /status p50 ${Math.round(answers[answers.length >> 1]!)} ms max ${Math.round(answers[answers.length - 1]!)} ms, stop ${stopMs} ms\n`,
      );
    }, 180_000);
  }
});
