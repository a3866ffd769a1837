// The configurations the suite gives each system: valid for the system, and its fastest
// equivalent settings (checked here so an edit cannot quietly slow a peer down).
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseStack } from '../../src/main/core/config/index.ts';
import { makeServices, SERVICE_SCRIPT } from '../lib/workload.mjs';
import { redact } from '../lib/machine.mjs';
import { floorConfig } from './floor.mjs';
import { pm2Config } from './pm2.mjs';
import { supervisordConfig } from './supervisord.mjs';
import { vigilConfig } from './vigil.mjs';

const services = makeServices(3, 61000, 'vb-test', { BOOT_MS: '0' });

describe('Vigil stack file', () => {
  it("loads with Vigil's own loader: every service launched at once, zero backoff, /health", () => {
    const r = parseStack(
      vigilConfig(services, { healthIntervalMs: 5000, startIntervalMs: 100 }),
      '/tmp/bench/vigil.yaml',
    );
    expect(r.errors ?? []).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.config.settings.parallelLaunchLimit).toBe(3);
    expect(r.config.settings.healthCheckIntervalMs).toBe(5000);
    expect(r.config.services).toHaveLength(3);
    const s = r.config.services[1];
    expect(s.port).toBe(61001);
    expect(s.env).toMatchObject({ PORT: '61001', BENCH_TAG: 'vb-test' });
    expect(s.restart.backoffMs).toEqual([0]);
    expect(s.health.startIntervalMs).toBe(100);
    expect(JSON.stringify(s.health)).toContain('/health');
    expect(s.command).toMatchObject({ kind: 'argv', argv: [process.execPath, SERVICE_SCRIPT] });
  });
});

describe('PM2 ecosystem file', () => {
  it('evaluates to fork-mode apps restarted at once, with each service environment', () => {
    const mod = { exports: {} };
    vm.runInNewContext(pm2Config(services), { module: mod });
    const apps = mod.exports.apps;
    expect(apps).toHaveLength(3);
    expect(apps[2]).toMatchObject({
      name: 's2',
      script: SERVICE_SCRIPT,
      exec_mode: 'fork',
      autorestart: true,
      restart_delay: 0,
      env: { PORT: '61002', BENCH_TAG: 'vb-test' },
    });
  });
});

describe('supervisord config', () => {
  it('keeps socket, pid file and logs in the run dir and restarts at once', () => {
    const text = supervisordConfig(services, '/tmp/run dir');
    expect(text).toContain('file=/tmp/run dir/supervisor.sock');
    expect(text).toContain('pidfile=/tmp/run dir/supervisord.pid');
    expect(text).toContain('nodaemon=false');
    const programs = text.split('[program:').slice(1);
    expect(programs).toHaveLength(3);
    for (const p of programs) {
      expect(p).toMatch(/^autorestart=true$/m);
      expect(p).toMatch(/^startsecs=0$/m);
    }
    expect(programs[0]).toMatch(/^environment=PORT="61000",BENCH_TAG="vb-test",BOOT_MS="0"$/m);
  });

  it('quotes values a shell-like parser would split or expand', () => {
    const [s] = makeServices(1, 61000, 'a "b" 100%');
    expect(supervisordConfig([s], '/r')).toContain('BENCH_TAG="a \\"b\\" 100%%"');
  });
});

describe('floor and reports', () => {
  it('the floor gets every service environment', () => {
    expect(JSON.parse(floorConfig(services)).services.map((s) => s.env.PORT)).toEqual([
      '61000',
      '61001',
      '61002',
    ]);
  });

  it('configs shown in reports carry no paths of the machine', () => {
    const text = redact(vigilConfig(services), '/tmp/run');
    expect(text).not.toContain(process.execPath);
    expect(text).not.toContain(SERVICE_SCRIPT);
    expect(text).toContain('"node"');
    expect(text).toContain('<repo>/bench/workload/service.mjs');
  });
});
