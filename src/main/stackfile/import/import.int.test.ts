/**
 * Import with real processes: JavaScript ecosystem files are evaluated in a child node process,
 * and small imported stacks of each format start under the supervisor and become ready.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../core/testing/temp.js';
import type { ServiceSpec, StackConfig } from '../../../shared/model.js';
import { loadStack } from '../../core/config/index.js';
import { Supervisor } from '../../core/supervisor.js';
import {
  EventLog,
  freePorts,
  HTTP_SERVICE,
  ONESHOT,
  pidAlive,
} from '../../core/testing/fixtures.js';
import { evaluateModule, evaluateModuleSync } from './evaluate.js';
import { importStack, importStackAsync, type ImportResult } from './index.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
let sups: Supervisor[] = [];

afterEach(async () => {
  for (const s of sups) await s.shutdown('stopped', 'SIGKILL').catch(() => undefined);
  sups = [];
});

afterAll(() => {
  removeTempDirs();
});

function copyFixture(name: string): string {
  const dir = tempDir(`vigil-import-int-${name}-`);
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

function load(r: ImportResult, env: Record<string, string | undefined> = process.env): StackConfig {
  expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  fs.writeFileSync(r.outFile, r.yaml);
  const loaded = loadStack(r.outFile, { env });
  if (!loaded.ok)
    throw new Error(loaded.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
  return loaded.config;
}

function svc(config: StackConfig, name: string): ServiceSpec {
  const s = config.services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return s;
}

describe('PM2 ecosystem.config.js', () => {
  const env = { ...process.env, DATABASE_URL: 'postgres://db.internal/shop' };

  it('is evaluated in a child process; printed output, functions and deploy do not get in the way', () => {
    const dir = copyFixture('pm2');
    const r = importStack(path.join(dir, 'ecosystem.config.js'), { env, cpus: 3 });
    const config = load(r, env);
    expect(r.format).toBe('pm2');
    expect(config.services.map((s) => s.name)).toEqual([
      'api',
      'worker-queue',
      'scheduler',
      'echo-tick-at-date-sleep-60',
    ]);
    const api = svc(config, 'api');
    // __dirname and process.env worked inside the file.
    expect(api.cwd).toBe(path.join(dir, 'api'));
    expect(api.env.DATABASE_URL).toBe('postgres://db.internal/shop');
    expect(api.command).toEqual({
      kind: 'argv',
      argv: [
        'node',
        '--max-old-space-size=512',
        './dist/server.js',
        '--color',
        '--title',
        'Shop API',
      ],
    });
    // Literal ${...} and $$ in env values reach the service unchanged.
    expect(api.env.GREETING).toBe('cost: ${PRICE} or $$5');
    expect(api.env.PORT).toBe('3000');
    expect(api.port).toBe(3000);
    // instances: max in cluster mode: one instance per core, behind a balancer on PORT.
    expect(api.replicas).toBe(3);
    expect(api.balance).toEqual({ strategy: 'round_robin', mode: 'http' });
    expect(r.yaml).toContain(
      '# from instances: max (3 cores when imported) in cluster mode; each instance gets its own PORT behind the front port',
    );
    expect(api.limits.memoryBytes).toBe(300 * 1024 ** 2);
    expect(api.stop).toEqual({ signal: 'SIGINT', timeoutMs: 5000 });
    // exp_backoff_restart_delay: 100ms growing by 1.5 up to PM2's 15s cap.
    expect(api.restart.backoffMs.slice(0, 4)).toEqual([100, 150, 225, 337]);
    expect(api.restart.backoffMs.at(-1)).toBe(15_000);

    const worker = svc(config, 'worker-queue');
    expect(worker.command).toEqual({ kind: 'argv', argv: ['python3', '-u', 'worker.py'] });
    expect(worker.restart.backoffMs).toEqual([4000]);
    expect(worker.maxRestartAttempts).toBe(10);
    // watch / ignore_watch: restarts the worker when its files change.
    expect(worker.watch).toMatchObject({
      shown: ['src'],
      paths: [path.join(worker.cwd, 'src')],
      ignore: ['node_modules'],
      action: 'restart',
    });
    expect(api.watch).toBeUndefined();
    expect(svc(config, 'scheduler').restart.policy).toBe('never');
    // A script with spaces runs through bash -c, as PM2 runs it.
    expect(svc(config, 'echo-tick-at-date-sleep-60').command).toEqual({
      kind: 'argv',
      argv: ['bash', '-c', 'echo "tick at $(date)" && sleep 60'],
    });

    const messages = r.warnings.map((w) => `${w.path ?? ''}: ${w.message}`);
    for (const expected of [
      /apps\[3\]\.onReady \(function\): not imported/,
      /^deploy: deploy not imported/,
      /^apps\[0\]\.env_production: env_production not applied/,
      /^apps\[2\]\.cron_restart: /,
      /^apps\[0\]\.out_file: /,
    ])
      expect(
        messages.some((m) => expected.test(m)),
        String(expected),
      ).toBe(true);
    expect(messages.filter((m) => /^apps\[0\]\.(instances|exec_mode)/.test(m))).toEqual([]);
    // No lines in an evaluated file: warnings carry the key path instead.
    expect(r.warnings.every((w) => w.line === undefined)).toBe(true);
  });

  it('applies env_production with envName, without blocking when asked to', async () => {
    const dir = copyFixture('pm2');
    const r = await importStackAsync(path.join(dir, 'ecosystem.config.js'), {
      env,
      envName: 'production',
    });
    const api = svc(load(r, env), 'api');
    expect(api.env).toMatchObject({ NODE_ENV: 'production', PORT: '8080' });
    expect(api.port).toBe(8080);
  });

  it('reads ES modules, and CommonJS in a "type": "module" package', async () => {
    const dir = tempDir({
      'esm/ecosystem.config.mjs': `export default { apps: [{ name: 'esm', script: 'a.js' }] };\n`,
      'named/ecosystem.config.mjs': `export const apps = [{ name: 'named', script: 'b.js' }];\n`,
      'typed/package.json': '{ "type": "module" }\n',
      'typed/ecosystem.config.js': `module.exports = { apps: [{ name: 'cjs', script: 'c.js' }] };\n`,
    });
    expect((await evaluateModule(path.join(dir, 'esm/ecosystem.config.mjs'))).value).toEqual({
      apps: [{ name: 'esm', script: 'a.js' }],
    });
    expect(evaluateModuleSync(path.join(dir, 'named/ecosystem.config.mjs')).value).toEqual({
      apps: [{ name: 'named', script: 'b.js' }],
    });
    const typed = evaluateModuleSync(path.join(dir, 'typed/ecosystem.config.js'));
    expect(typed.value).toEqual({ apps: [{ name: 'cjs', script: 'c.js' }] });
    expect(typed.notes[0]).toContain('evaluated as CommonJS');
    const r = importStack(path.join(dir, 'typed/ecosystem.config.js'));
    expect(r.services).toEqual(['cjs']);
    expect(r.warnings[0]?.message).toContain('evaluated as CommonJS');
  });

  it('stops a file that never finishes, and reports one that throws', async () => {
    const dir = tempDir({
      'loop/ecosystem.config.js': 'while (true) {}\n',
      'throws/ecosystem.config.js': "throw new Error('missing SECRET_KEY');\n",
    });
    expect(() =>
      importStack(path.join(dir, 'loop/ecosystem.config.js'), { timeoutMs: 500 }),
    ).toThrow(/did not finish within 500 ms/);
    await expect(
      importStackAsync(path.join(dir, 'loop/ecosystem.config.js'), { timeoutMs: 500 }),
    ).rejects.toThrow(/did not finish within 500 ms/);
    expect(() => importStack(path.join(dir, 'throws/ecosystem.config.js'))).toThrow(
      /ecosystem\.config\.js:1: Error: missing SECRET_KEY/,
    );
  });
});

describe('imported stacks run under the supervisor', () => {
  async function runUntilReady(config: StackConfig): Promise<Supervisor> {
    const sup = new Supervisor({
      config,
      dataDir: path.join(config.dir, '.data'),
      sampleIntervalMs: 0,
    });
    sups.push(sup);
    const log = new EventLog();
    sup.subscribe(log.push);
    await sup.start();
    await log.waitFor(
      (e) => e.type === 'status_update' && e.event === 'system-ready',
      20_000,
      'system-ready',
    );
    return sup;
  }

  it('a Procfile with release, web and worker', async () => {
    const [port] = await freePorts(1);
    const dir = tempDir({
      Procfile: `release: node oneshot.mjs\nweb: node svc.mjs\nworker: node -e "setInterval(() => {}, 1000)"\n`,
      '.env': `PORT=${port}\n`,
      'svc.mjs': HTTP_SERVICE,
      'oneshot.mjs': ONESHOT,
    });
    const config = load(importStack(path.join(dir, 'Procfile')));
    const sup = await runUntilReady(config);
    expect(sup.runners.get('release')?.lifecycle).toBe('completed');
    expect(sup.runners.get('web')?.health).toBe('healthy');
    const workerPid = sup.runners.get('worker')?.pid;
    expect(workerPid && pidAlive(workerPid)).toBe(true);
    await sup.shutdown();
    expect(pidAlive(workerPid!)).toBe(false);
  }, 30_000);

  it('a process-compose file with a probe and a completed dependency', async () => {
    const [port] = await freePorts(1);
    const dir = tempDir({
      'process-compose.yml': `version: "0.5"
processes:
  setup:
    command: node oneshot.mjs
  web:
    command: node svc.mjs
    environment:
      - "PORT=${port}"
    depends_on:
      setup:
        condition: process_completed_successfully
    readiness_probe:
      http_get: { host: 127.0.0.1, port: ${port}, path: /health }
      period_seconds: 1
    availability:
      restart: always
`,
      'svc.mjs': HTTP_SERVICE,
      'oneshot.mjs': ONESHOT,
    });
    const config = load(importStack(path.join(dir, 'process-compose.yml')));
    const sup = await runUntilReady(config);
    expect(sup.runners.get('setup')?.lifecycle).toBe('completed');
    expect(sup.runners.get('web')?.health).toBe('healthy');
    expect(sup.runners.get('web')?.spec.health.probe.type).toBe('http');
  }, 30_000);

  it('a PM2 ecosystem.config.cjs', async () => {
    const [port] = await freePorts(1);
    const dir = tempDir({
      'ecosystem.config.cjs': `module.exports = {
  apps: [
    { name: 'web', script: 'svc.mjs', env: { PORT: ${port} }, kill_timeout: 2000 },
    { name: 'ticker', script: 'ticker.sh', autorestart: false },
  ],
};\n`,
      'svc.mjs': HTTP_SERVICE,
      'ticker.sh': 'while true; do sleep 1; done\n',
    });
    const config = load(importStack(path.join(dir, 'ecosystem.config.cjs')));
    expect(svc(config, 'ticker').command).toEqual({ kind: 'argv', argv: ['bash', 'ticker.sh'] });
    const sup = await runUntilReady(config);
    expect(sup.runners.get('web')?.health).toBe('healthy');
    expect(sup.runners.get('ticker')?.lifecycle).toBe('running');
  }, 30_000);

  it('a PM2 app in cluster mode: its instances answer behind the balancer on PORT', async () => {
    const [port] = await freePorts(1);
    const dir = tempDir({
      'ecosystem.config.cjs': `module.exports = {
  apps: [{ name: 'web', script: 'svc.mjs', instances: 2, exec_mode: 'cluster', env: { PORT: ${port} } }],
};\n`,
      'svc.mjs': HTTP_SERVICE,
    });
    const r = importStack(path.join(dir, 'ecosystem.config.cjs'));
    expect(r.warnings).toEqual([]);
    const config = load(r);
    expect(svc(config, 'web')).toMatchObject({
      port,
      replicas: 2,
      balance: { strategy: 'round_robin', mode: 'http' },
    });
    const sup = await runUntilReady(config);
    const answered = new Set<string>();
    for (let i = 0; i < 8 && answered.size < 2; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/health`, {
        signal: AbortSignal.timeout(5_000),
      });
      expect(res.status).toBe(200);
      answered.add(res.headers.get('x-vigil-instance') ?? '');
      await res.arrayBuffer();
    }
    expect([...answered].sort()).toEqual(['web#0', 'web#1']);
    expect(sup.replicaSet('web').instances()).toHaveLength(2);
  }, 30_000);
});
