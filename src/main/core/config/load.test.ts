/**
 * The stack-file loader: every key, every default, every error with its file:line:col and hint.
 *
 * Over 500 lines: one case per key and per error message, sharing the fixture directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF_MS, DEFAULT_SETTINGS } from '../../../shared/model.js';
import { formatIssue } from './format.js';
import { loadStack, parseStack } from './load.js';
import type { ConfigIssue, StackLoadResult } from './types.js';

let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-config-'));
  file = path.join(dir, 'vigil.yaml');
  fs.mkdirSync(path.join(dir, 'services', 'db'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'not-a-dir.txt'), 'x');
  fs.writeFileSync(
    path.join(dir, '.env'),
    'SHARED=from-stack\nOVERRIDE=stack\nHOST_VAR=from-file\n',
  );
  fs.writeFileSync(path.join(dir, 'services', 'db', '.env'), 'OVERRIDE=service-file\nDB_ONLY=1\n');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function parse(text: string, env: Record<string, string | undefined> = {}): StackLoadResult {
  return parseStack(text, file, { env });
}

function ok(text: string, env: Record<string, string | undefined> = {}) {
  const r = parse(text, env);
  if (!r.ok) throw new Error(r.errors.map((e) => formatIssue(e, { source: text })).join('\n'));
  return { config: r.config, warnings: r.warnings };
}

function errors(text: string, env: Record<string, string | undefined> = {}): ConfigIssue[] {
  const r = parse(text, env);
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.errors;
}

/** The one error of a file, as `code line:col path`. */
function oneError(text: string): string {
  const errs = errors(text);
  expect(errs.map((e) => `${e.code} ${e.line}:${e.col} ${e.path} ${e.message}`)).toHaveLength(1);
  const e = errs[0]!;
  return `${e.code} ${e.line}:${e.col} ${e.path}`;
}

const svc = (body: string) => `version: 1\nservices:\n  api:\n    command: node api.js\n${body}`;

describe('defaults', () => {
  it('fills every default of a minimal stack', () => {
    const { config, warnings } = ok('services:\n  api:\n    command: node api.js\n');
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      file,
      dir,
      version: 1,
      name: path.basename(dir),
      settings: DEFAULT_SETTINGS,
    });
    expect(config.services).toHaveLength(1);
    const s = config.services[0]!;
    expect(s).toEqual({
      name: 'api',
      command: { kind: 'shell', script: 'node api.js' },
      cwd: dir,
      env: {},
      secretEnv: [],
      priority: 'medium',
      required: true,
      launch: 'parallel',
      capabilities: [],
      dependsOn: [],
      health: {
        probe: { type: 'process' },
        intervalMs: 5000,
        timeoutMs: 2000,
        failureThreshold: 3,
        recoveryThreshold: 2,
        startPeriodMs: 0,
        startIntervalMs: 200,
      },
      restart: { policy: 'always', backoffMs: DEFAULT_BACKOFF_MS, jitter: 0 },
      recovery: 'restart',
      stop: { signal: 'SIGTERM', timeoutMs: 30000 },
      oneshot: false,
      limits: {},
      maxRestartAttempts: 7,
      startupTimeoutMs: 60000,
      source: { file, line: 2, col: 3 },
    });
    expect('port' in s || 'phase' in s || 'reset' in s || 'version' in s).toBe(false);
  });

  it('probes a declared port with the default probe on 127.0.0.1', () => {
    const { config } = ok(svc('    port: 8080\n'));
    expect(config.services[0]!.health.probe).toEqual({
      type: 'default',
      host: '127.0.0.1',
      port: 8080,
    });
  });

  it('uses on-failure as the restart policy of a oneshot job', () => {
    const { config } = ok(svc('    oneshot: true\n'));
    expect(config.services[0]!.restart.policy).toBe('on-failure');
    expect(config.services[0]!.oneshot).toBe(true);
  });

  it('gives a service its own circuit breaker, the keys it leaves out from settings', () => {
    const stack = (restart: string) =>
      `settings:\n  circuit_breaker: { threshold: 5, reset_after: 30s }\nservices:\n  api:\n    command: node api.js\n    restart:\n${restart}`;
    const restartOf = (restart: string) => ok(stack(restart)).config.services[0]!.restart;
    expect(restartOf('      circuit_breaker: { reset_after: 2s }\n').circuitBreaker).toEqual({
      threshold: 5,
      resetAfterMs: 2000,
    });
    expect(restartOf('      circuit_breaker: { threshold: 0 }\n').circuitBreaker).toEqual({
      threshold: 0,
      resetAfterMs: 30000,
    });
    expect('circuitBreaker' in restartOf('      max_attempts: 2\n')).toBe(false);
    expect(oneError(svc('    restart:\n      circuit_breaker: { threshold: -1 }\n'))).toMatch(
      /^\S+ 6:37 services\.api\.restart\.circuit_breaker\.threshold$/,
    );
    expect(oneError(svc('    restart:\n      circuit_breaker: { treshold: 2 }\n'))).toMatch(
      /^\S+ 6:26 services\.api\.restart\.circuit_breaker\.treshold$/,
    );
  });

  it('takes service defaults from settings', () => {
    const { config } = ok(`
settings:
  health_check_interval: 10s
  health_check_timeout: 3s
  startup_timeout: 2m
  shutdown_timeout: 5s
  max_restart_attempts: 2
  circuit_breaker: { threshold: 5, reset_after: 30s }
  parallel_launch_limit: 4
  stable_after: 90s
  retention: 1d
  on_critical: shutdown
  log_level: debug
  reload_rollback: false
services:
  api:
    command: node api.js
`);
    expect(config.settings).toEqual({
      healthCheckIntervalMs: 10000,
      healthCheckTimeoutMs: 3000,
      startupTimeoutMs: 120000,
      shutdownTimeoutMs: 5000,
      maxRestartAttempts: 2,
      circuitBreaker: { threshold: 5, resetAfterMs: 30000 },
      parallelLaunchLimit: 4,
      stableAfterMs: 90000,
      retentionMs: 86400000,
      onCritical: 'shutdown',
      logLevel: 'debug',
      reloadRollback: false,
    });
    const s = config.services[0]!;
    expect([
      s.health.intervalMs,
      s.health.timeoutMs,
      s.startupTimeoutMs,
      s.stop.timeoutMs,
      s.maxRestartAttempts,
    ]).toEqual([10000, 3000, 120000, 5000, 2]);
  });

  it('reads every key of the full example stack', () => {
    const { config } = ok(`
version: 1
name: shop
services:
  cache:
    command: redis-server
  metrics:
    command: node metrics.js
  db:
    command: node server.js
    cwd: ./services/db
    env: { PORT: "5433" }
    env_file: ./services/db/.env
    port: 5433
    priority: critical
    required: true
    phase: 3
    launch: serial
    version: "1.4.0"
    capabilities: [sql]
    depends_on:
      cache: healthy
      metrics: { condition: started, optional: true }
    health:
      http: { path: /health, port: 5433, expect_status: 200 }
      interval: 5s
      timeout: 2s
      failure_threshold: 3
      recovery_threshold: 2
      start_period: 10s
      start_interval: 200ms
    restart:
      policy: always
      backoff: [1s, 5s, 15s, 30s, 60s, 60s, 60s]
      jitter: 0.2
      max_attempts: 4
    recovery: restart_with_reset
    reset: node scripts/reset.js
    stop: { signal: SIGINT, timeout: 30s }
    oneshot: false
    limits: { memory: 512MB, cpu: 90%, processes: 64 }
    startup_timeout: 20s
`);
    expect(config.name).toBe('shop');
    const db = config.services.find((s) => s.name === 'db')!;
    expect(db).toMatchObject({
      command: { kind: 'shell', script: 'node server.js' },
      cwd: path.join(dir, 'services', 'db'),
      env: { OVERRIDE: 'service-file', DB_ONLY: '1', PORT: '5433' },
      port: 5433,
      priority: 'critical',
      required: true,
      phase: 3,
      launch: 'serial',
      version: '1.4.0',
      capabilities: ['sql'],
      dependsOn: [
        { name: 'cache', condition: 'healthy', optional: false },
        { name: 'metrics', condition: 'started', optional: true },
      ],
      health: {
        probe: {
          type: 'http',
          host: '127.0.0.1',
          port: 5433,
          path: '/health',
          expectStatus: 200,
          headers: {},
        },
        intervalMs: 5000,
        timeoutMs: 2000,
        failureThreshold: 3,
        recoveryThreshold: 2,
        startPeriodMs: 10000,
        startIntervalMs: 200,
      },
      restart: {
        policy: 'always',
        backoffMs: [1000, 5000, 15000, 30000, 60000, 60000, 60000],
        jitter: 0.2,
      },
      maxRestartAttempts: 4,
      recovery: 'restart_with_reset',
      reset: { kind: 'shell', script: 'node scripts/reset.js' },
      stop: { signal: 'SIGINT', timeoutMs: 30000 },
      oneshot: false,
      limits: { memoryBytes: 512 * 1024 * 1024, cpuPercent: 90, processes: 64 },
      startupTimeoutMs: 20000,
      source: { file, line: 9, col: 3 },
    });
  });
});

describe('values', () => {
  it('turns a command list into argv, numbers as written', () => {
    const { config } = ok(
      'services:\n  r:\n    command: [redis-server, --port, 6379, --ratio, 1.10]\n',
    );
    expect(config.services[0]!.command).toEqual({
      kind: 'argv',
      argv: ['redis-server', '--port', '6379', '--ratio', '1.10'],
    });
  });

  it('reads each probe kind in its long and short forms', () => {
    const probe = (health: string, extra = '') =>
      ok(svc(`${extra}    health:\n${health}`)).config.services[0]!.health.probe;
    expect(
      probe(
        '      http: { port: 9000, host: localhost, expect_status: 204, headers: { X-Check: 1 } }\n',
      ),
    ).toEqual({
      type: 'http',
      host: 'localhost',
      port: 9000,
      path: '/health',
      expectStatus: 204,
      headers: { 'X-Check': '1' },
    });
    expect(probe('      http: /ready\n', '    port: 8080\n')).toMatchObject({
      type: 'http',
      port: 8080,
      path: '/ready',
    });
    expect(probe('      tcp: { port: 6379 }\n')).toEqual({
      type: 'tcp',
      host: '127.0.0.1',
      port: 6379,
    });
    expect(probe('      tcp: 6380\n')).toEqual({ type: 'tcp', host: '127.0.0.1', port: 6380 });
    expect(probe('      tcp: {}\n', '    port: 7000\n')).toEqual({
      type: 'tcp',
      host: '127.0.0.1',
      port: 7000,
    });
    expect(probe('      exec: pg_isready -q\n')).toEqual({
      type: 'exec',
      command: { kind: 'shell', script: 'pg_isready -q' },
    });
    expect(probe('      exec: [pg_isready, -q]\n')).toEqual({
      type: 'exec',
      command: { kind: 'argv', argv: ['pg_isready', '-q'] },
    });
    expect(probe('      exec: { command: "true" }\n')).toEqual({
      type: 'exec',
      command: { kind: 'shell', script: 'true' },
    });
    expect(probe('      log: "listening on \\\\d+"\n')).toEqual({
      type: 'log',
      pattern: 'listening on \\d+',
    });
    expect(probe('      log: { pattern: ready }\n')).toEqual({ type: 'log', pattern: 'ready' });
    expect(probe('      process: true\n', '    port: 8080\n')).toEqual({ type: 'process' });
    expect(probe('      process: {}\n')).toEqual({ type: 'process' });
  });

  it('accepts depends_on as a list and a map entry without a value as healthy', () => {
    const { config } = ok(`services:
  db: { command: a }
  cache: { command: b }
  api:
    command: c
    depends_on: [db, cache]
  web:
    command: d
    depends_on:
      api:
`);
    expect(config.services[2]!.dependsOn).toEqual([
      { name: 'db', condition: 'healthy', optional: false },
      { name: 'cache', condition: 'healthy', optional: false },
    ]);
    expect(config.services[3]!.dependsOn).toEqual([
      { name: 'api', condition: 'healthy', optional: false },
    ]);
  });

  it('reads durations as milliseconds from numbers and units', () => {
    const { config } = ok(
      svc('    health:\n      interval: 1500\n      timeout: 1m\n      start_period: 0\n'),
    );
    expect(config.services[0]!.health).toMatchObject({
      intervalMs: 1500,
      timeoutMs: 60000,
      startPeriodMs: 0,
    });
  });

  it('reads cpu as a percentage or a number up to 100 per core', () => {
    const cores = os.availableParallelism();
    expect(
      ok(svc(`    limits: { cpu: ${100 * cores} }\n`)).config.services[0]!.limits.cpuPercent,
    ).toBe(100 * cores);
    expect(ok(svc('    limits: { cpu: 12.5% }\n')).config.services[0]!.limits.cpuPercent).toBe(
      12.5,
    );
    expect(oneError(svc(`    limits: { cpu: ${100 * cores + 1} }\n`))).toBe(
      'STACK_INVALID 5:20 services.api.limits.cpu',
    );
    expect(oneError(svc('    limits: { cpu: 0 }\n'))).toBe(
      'STACK_INVALID 5:20 services.api.limits.cpu',
    );
  });

  it('normalises signal names', () => {
    expect(ok(svc('    stop: { signal: term }\n')).config.services[0]!.stop.signal).toBe('SIGTERM');
    expect(ok(svc('    stop: { signal: SIGKILL }\n')).config.services[0]!.stop.signal).toBe(
      'SIGKILL',
    );
  });

  it('takes a version written as a number as the text written', () => {
    expect(ok(svc('    version: 1.10\n')).config.services[0]!.version).toBe('1.10');
  });

  it('reuses anchors from x- keys and merge keys, with explicit keys winning', () => {
    const { config } = ok(`version: 1
x-defaults: &defaults
  restart: { policy: never }
  priority: high
  env: { A: "1" }
services:
  api:
    <<: *defaults
    command: node api.js
    priority: low
`);
    expect(config.services[0]).toMatchObject({
      priority: 'low',
      restart: { policy: 'never' },
      env: { A: '1' },
    });
  });
});

describe('errors point at the offending node', () => {
  it('reports YAML syntax errors: a key indented too deep', () => {
    const errs = errors(
      'version: 1\nservices:\n  api:\n    command: node api.js\n     port: 8080\n',
    );
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: 'STACK_YAML', line: 5, col: 6 });
    expect(errs[0]!.message).toMatch(/bad indentation/);
  });

  it('reports YAML syntax errors: a key not aligned with its siblings, tabs', () => {
    expect(errors('services:\n  api:\n    command: x\n   port: 1\n')[0]).toMatchObject({
      code: 'STACK_YAML',
      line: 4,
    });
    expect(errors('services:\n\tapi: 1\n')[0]).toMatchObject({
      code: 'STACK_YAML',
      line: 2,
      col: 1,
      hint: 'indent with spaces',
    });
    expect(errors('a: 1\n---\nb: 2\n')[0]).toMatchObject({ code: 'STACK_YAML' });
  });

  it('reports unknown keys at every level with the nearest known key', () => {
    const errs = errors(`version: 1
setings: {}
services:
  api:
    comand: node api.js
    health:
      htp: { path: / }
      intervl: 5s
    restart: { polcy: never }
`);
    expect(errs.map((e) => [e.line, e.col, e.path, e.hint])).toEqual([
      [2, 1, 'setings', 'did you mean "settings"?'],
      [4, 3, 'services.api.command', expect.stringContaining('add `command')],
      [5, 5, 'services.api.comand', 'did you mean "command"?'],
      [7, 7, 'services.api.health.htp', 'did you mean "http"?'],
      [8, 7, 'services.api.health.intervl', 'did you mean "interval"?'],
      [9, 16, 'services.api.restart.polcy', 'did you mean "policy"?'],
    ]);
  });

  it('reports wrong types', () => {
    expect(oneError(svc('    required: "yes"\n'))).toBe('STACK_INVALID 5:15 services.api.required');
    expect(oneError(svc('    port: http\n'))).toBe('STACK_INVALID 5:11 services.api.port');
    expect(oneError(svc('    port: 70000\n'))).toBe('STACK_INVALID 5:11 services.api.port');
    expect(oneError(svc('    env: [A=1, 2]\n'))).toBe('STACK_INVALID 5:16 services.api.env[1]');
    expect(oneError(svc('    env: { A: [1] }\n'))).toBe('STACK_INVALID 5:15 services.api.env.A');
    expect(oneError(svc('    capabilities: { a: 1 }\n'))).toBe(
      'STACK_INVALID 5:19 services.api.capabilities',
    );
    expect(oneError(svc('    priority: urgent\n'))).toBe(
      'STACK_INVALID 5:15 services.api.priority',
    );
    expect(oneError('services: [api]\n')).toBe('STACK_INVALID 1:11 services');
    expect(oneError('- a\n')).toBe('STACK_INVALID 1:1 ');
  });

  it('reports bad durations with a hint', () => {
    const errs = errors(svc('    health:\n      interval: 5x\n'));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({
      code: 'STACK_INVALID',
      line: 6,
      col: 17,
      path: 'services.api.health.interval',
    });
    expect(errs[0]!.message).toBe('"interval" must be a duration, not the string "5x"');
    expect(errs[0]!.hint).toMatch(/250ms, 5s/);
    expect(oneError(svc('    health:\n      interval: 0\n'))).toBe(
      'STACK_INVALID 6:17 services.api.health.interval',
    );
    expect(oneError(svc('    restart: { backoff: [1s, soon] }\n'))).toBe(
      'STACK_INVALID 5:30 services.api.restart.backoff[1]',
    );
  });

  it('reports bad sizes and cpu values', () => {
    expect(oneError(svc('    limits:\n      memory: 12 parsecs\n'))).toBe(
      'STACK_INVALID 6:15 services.api.limits.memory',
    );
    expect(oneError(svc('    limits:\n      cpu: lots\n'))).toBe(
      'STACK_INVALID 6:12 services.api.limits.cpu',
    );
  });

  it.each([
    ['../x', expect.stringMatching(/^did you mean "x"\? Names use lowercase/)],
    ['<b>', expect.stringMatching(/^did you mean "b"\?/)],
    ['API', expect.stringMatching(/^did you mean "api"\?/)],
    ['__proto__', expect.stringMatching(/^did you mean "proto"\?/)],
    ['constructor', '"constructor" is reserved; choose another name'],
    ['x'.repeat(65), expect.stringContaining('at most 64')],
  ])('rejects the service name %s', (name, hint) => {
    const errs = errors(`services:\n  api: { command: a }\n  "${name}":\n    command: b\n`);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({
      code: 'STACK_INVALID',
      line: 3,
      col: 3,
      path: `services.${name}`,
      hint,
    });
  });

  it('reports a duplicate service name at the second definition', () => {
    const errs = errors(
      'services:\n  api: { command: a }\n  db: { command: b }\n  api: { command: c }\n',
    );
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ line: 4, col: 3, path: 'services.api' });
    expect(errs[0]!.message).toBe('duplicate service name "api" (first defined at line 2)');
  });

  it('reports a port declared by two services', () => {
    const errs = errors(
      'services:\n  db: { command: a, port: 5433 }\n  api:\n    command: b\n    port: 5433\n',
    );
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({
      code: 'STACK_INVALID',
      line: 5,
      col: 11,
      path: 'services.api.port',
    });
    expect(errs[0]!.message).toContain('already declared by service "db"');
  });

  it('reports an unknown dependency with the closest name', () => {
    const errs = errors(
      'services:\n  cache: { command: a }\n  api:\n    command: b\n    depends_on:\n      cach: healthy\n',
    );
    expect(errs).toEqual([
      {
        code: 'STACK_UNKNOWN_DEPENDENCY',
        severity: 'error',
        message: 'service "api" depends on "cach", which is not defined in this stack',
        file,
        line: 6,
        col: 7,
        path: 'services.api.depends_on.cach',
        hint: 'did you mean "cache"?',
      },
    ]);
    const far = errors(
      'services:\n  cache: { command: a }\n  api: { command: b, depends_on: [postgres] }\n',
    );
    expect(far[0]).toMatchObject({
      line: 3,
      col: 35,
      path: 'services.api.depends_on[0]',
      hint: 'defined services: cache, api',
    });
  });

  it('reports a self-dependency as a cycle', () => {
    const errs = errors('services:\n  api:\n    command: a\n    depends_on: [api]\n');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({
      code: 'STACK_CYCLE',
      line: 4,
      col: 18,
      message: 'service "api" depends on itself',
    });
  });

  it('reports a cycle with its whole path and the location of each edge', () => {
    const errs = errors(`services:
  a:
    command: a
    depends_on: [b]
  b:
    command: b
    depends_on:
      c: started
  c:
    command: c
    depends_on:
      a: healthy
`);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({
      code: 'STACK_CYCLE',
      line: 4,
      col: 18,
      path: 'services.a.depends_on[0]',
    });
    expect(errs[0]!.message).toContain('a -> b -> c -> a');
    expect(errs[0]!.message).toContain(
      'a -> b at vigil.yaml:4:18, b -> c at vigil.yaml:8:7, c -> a at vigil.yaml:12:7',
    );
  });

  it('reports each separate cycle', () => {
    const errs = errors(
      'services:\n  a: { command: a, depends_on: [b] }\n  b: { command: b, depends_on: [a] }\n  c: { command: c, depends_on: [d] }\n  d: { command: d, depends_on: [c] }\n',
    );
    expect(errs.map((e) => e.message.split(' (')[0])).toEqual([
      'dependency cycle a -> b -> a',
      'dependency cycle c -> d -> c',
    ]);
  });

  it('skips graph checks when a reference is broken', () => {
    const errs = errors(
      'services:\n  a: { command: a, depends_on: [b, ghost] }\n  b: { command: b, depends_on: [a] }\n',
    );
    expect(errs.map((e) => e.code)).toEqual(['STACK_UNKNOWN_DEPENDENCY']);
  });

  it('reports an explicit phase earlier than a dependency phase, and accepts an equal one', () => {
    const errs = errors(`services:
  db: { command: a }
  cache: { command: b, depends_on: [db] }
  api:
    command: c
    depends_on: [cache]
    phase: 0
`);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({
      code: 'STACK_INVALID',
      line: 7,
      col: 12,
      path: 'services.api.phase',
    });
    expect(errs[0]!.message).toBe(
      'service "api" has phase 0, earlier than phase 1 of its dependency "cache"',
    );
    const equal = ok(
      'services:\n  db: { command: a }\n  cache: { command: b, depends_on: [db], phase: 0 }\n',
    );
    expect(equal.config.services[1]).toMatchObject({ phase: 0, dependsOn: [{ name: 'db' }] });
  });

  it('requires a oneshot dependency for the completed condition', () => {
    const errs = errors(
      'services:\n  db: { command: a }\n  api:\n    command: b\n    depends_on: { db: completed }\n',
    );
    expect(errs[0]).toMatchObject({ code: 'STACK_INVALID', line: 5, col: 19 });
  });

  it('requires reset for restart_with_reset', () => {
    expect(oneError(svc('    recovery: restart_with_reset\n'))).toBe(
      'STACK_INVALID 5:15 services.api.recovery',
    );
  });

  it('requires a non-empty command', () => {
    expect(oneError('services:\n  api:\n    port: 80\n')).toBe(
      'STACK_INVALID 2:3 services.api.command',
    );
    expect(oneError('services:\n  api:\n')).toBe('STACK_INVALID 2:3 services.api.command');
    expect(oneError('services:\n  api:\n    command: "  "\n')).toBe(
      'STACK_INVALID 3:14 services.api.command',
    );
    expect(oneError('services:\n  api:\n    command: []\n')).toBe(
      'STACK_INVALID 3:14 services.api.command',
    );
  });

  it('requires cwd to be an existing directory', () => {
    expect(oneError(svc('    cwd: ./nope\n'))).toBe('STACK_INVALID 5:10 services.api.cwd');
    expect(oneError(svc('    cwd: not-a-dir.txt\n'))).toBe('STACK_INVALID 5:10 services.api.cwd');
  });

  it('requires env files to exist', () => {
    expect(oneError(svc('    env_file: ./missing.env\n'))).toBe(
      'STACK_INVALID 5:15 services.api.env_file',
    );
    expect(oneError('env_file: [.env, other.env]\nservices:\n  api: { command: a }\n')).toBe(
      'STACK_INVALID 1:18 env_file[1]',
    );
  });

  it('requires version 1, services, and a valid stop signal and probe', () => {
    expect(oneError('version: 2\nservices:\n  api: { command: a }\n')).toBe(
      'STACK_INVALID 1:10 version',
    );
    expect(oneError('version: 1\n')).toBe('STACK_INVALID 1:1 services');
    expect(oneError('services: {}\n')).toBe('STACK_INVALID 1:11 services');
    expect(errors('')[0]).toMatchObject({
      code: 'STACK_INVALID',
      message: 'the stack file is empty',
    });
    const sig = errors(svc('    stop: { signal: SIGTREM }\n'));
    expect(sig[0]).toMatchObject({ line: 5, col: 21, hint: 'did you mean "SIGTERM"?' });
    expect(oneError(svc('    health:\n      http: { path: /h }\n'))).toBe(
      'STACK_INVALID 6:13 services.api.health.http',
    );
    expect(oneError(svc('    health:\n      log: "("\n'))).toBe(
      'STACK_INVALID 6:12 services.api.health.log',
    );
    expect(oneError(svc('    health:\n      tcp: 80\n      exec: "true"\n'))).toBe(
      'STACK_INVALID 7:7 services.api.health.exec',
    );
  });

  it('reports every error of a file, not only the first', () => {
    const errs = errors(`version: 1
services:
  api:
    command: node api.js
    port: 99999
    priority: urgent
    health:
      interval: 5x
  "../x":
    command: a
  web:
    command: b
    depends_on: [apii]
`);
    expect(errs.map((e) => `${e.line}:${e.col}`)).toEqual(['5:11', '6:15', '8:17', '9:3', '13:18']);
  });
});

describe('caps', () => {
  it('rejects a file over 1 MB before reading it', () => {
    const big = path.join(dir, 'big.yaml');
    const fd = fs.openSync(big, 'w');
    fs.ftruncateSync(fd, 50 * 1024 * 1024);
    fs.closeSync(fd);
    const r = loadStack(big);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]!.code).toBe('STACK_TOO_LARGE');
    expect(!r.ok && r.errors[0]!.message).toContain('50.0 MB');
    fs.rmSync(big);
  });

  it('rejects text over 1 MB', () => {
    const r = parse('# ' + 'x'.repeat(1024 * 1024) + '\n');
    expect(!r.ok && r.errors.map((e) => e.code)).toEqual(['STACK_TOO_LARGE']);
  });

  it('rejects a billion-laughs file with few aliases', () => {
    let text =
      'version: 1\nx-0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i < 10; i++)
      text += `x-${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    text += 'services:\n  api:\n    command: *a9\n';
    const r = parse(text);
    expect(!r.ok && r.errors.map((e) => e.code)).toEqual(['STACK_TOO_LARGE']);
    expect(!r.ok && r.errors[0]!.message).toMatch(/aliases expand/);
  });

  it('rejects more than 100 aliases', () => {
    const text = `x-a: &a "1"\nx-list: [${Array(101).fill('*a').join(', ')}]\nservices:\n  api: { command: a }\n`;
    const r = parse(text);
    expect(!r.ok && r.errors[0]).toMatchObject({ code: 'STACK_TOO_LARGE', line: 2 });
    expect(!r.ok && r.errors[0]!.message).toContain('more than 100 YAML aliases');
  });

  it('rejects deeply nested flow collections before parsing', () => {
    const r = parse('services: ' + '['.repeat(200_000) + ']'.repeat(200_000) + '\n');
    expect(!r.ok && r.errors[0]).toMatchObject({ code: 'STACK_YAML', line: 1, col: 75 });
  });

  it('reports unknown and recursive anchors', () => {
    expect(errors('services:\n  api: { command: *nope }\n')[0]).toMatchObject({
      code: 'STACK_YAML',
      line: 2,
      col: 19,
    });
    expect(errors('x-a: &a [1, *a]\nservices:\n  api: { command: a }\n')[0]).toMatchObject({
      code: 'STACK_YAML',
    });
  });
});

describe('prototype safety', () => {
  it('reports __proto__ and constructor keys without touching prototypes', () => {
    const text = `__proto__: { polluted: true }
services:
  api:
    command: a
    __proto__: { polluted: true }
    env:
      __proto__: x
      constructor: y
    health:
      http: { port: 80, headers: { __proto__: z } }
  constructor:
    command: b
`;
    const errs = errors(text);
    expect(errs.map((e) => `${e.line}:${e.col} ${e.path}`)).toEqual([
      '1:1 __proto__',
      '5:5 services.api.__proto__',
      '7:7 services.api.env.__proto__',
      '8:7 services.api.env.constructor',
      '10:36 services.api.health.http.headers.__proto__',
      '11:3 services.constructor',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});

describe('environment', () => {
  it('merges stack env_file, then service env_file, then env', () => {
    const { config } = ok(`env_file: .env
services:
  db:
    command: a
    env_file: ./services/db/.env
    env: { OVERRIDE: inline, N: 5, B: true, F: 1.50, EMPTY: }
`);
    expect(config.services[0]!.env).toEqual({
      SHARED: 'from-stack',
      OVERRIDE: 'inline',
      HOST_VAR: 'from-file',
      DB_ONLY: '1',
      N: '5',
      B: 'true',
      F: '1.50',
      EMPTY: '',
    });
  });

  it('accepts env as a list of KEY=value', () => {
    const { config } = ok(svc('    env: ["A=1", "B=x=y", C]\n'), { C: 'from-host' });
    expect(config.services[0]!.env).toEqual({ A: '1', B: 'x=y', C: 'from-host' });
  });

  it('keeps shell metacharacters and % verbatim', () => {
    const { config } = ok(svc(`    env:\n      Q: 'a && b | c; $(rm -rf /) \`x\` %PATH% 100%'\n`));
    expect(config.services[0]!.env.Q).toBe('a && b | c; $(rm -rf /) `x` %PATH% 100%');
  });

  it('marks secret keys', () => {
    const { config } = ok(
      svc(
        '    env: { API_KEY: a, DB_PASSWORD: b, GITHUB_TOKEN: c, MY_SECRET: d, PRIVATE_PEM: e, PASSWD: f, PORT: "1" }\n',
      ),
    );
    expect(config.services[0]!.secretEnv).toEqual([
      'API_KEY',
      'DB_PASSWORD',
      'GITHUB_TOKEN',
      'MY_SECRET',
      'PRIVATE_PEM',
      'PASSWD',
    ]);
  });

  it('interpolates ${VAR}, ${VAR:-default} and $$ in every string', () => {
    const { config, warnings } = ok(
      `name: \${STACK:-shop}
services:
  api:
    command: node api.js --port \${PORT} --price $$5 --shell-var $HOME
    port: \${PORT}
    cwd: \${DIR}
    env:
      URL: "http://\${HOST:-localhost}:\${PORT}"
`,
      { PORT: '8080', DIR: 'services' },
    );
    expect(warnings).toEqual([]);
    expect(config.name).toBe('shop');
    const s = config.services[0]!;
    expect(s.command).toEqual({
      kind: 'shell',
      script: 'node api.js --port 8080 --price $5 --shell-var $HOME',
    });
    expect(s.port).toBe(8080);
    expect(s.cwd).toBe(path.join(dir, 'services'));
    expect(s.env.URL).toBe('http://localhost:8080');
  });

  it('interpolates from the stack env_file, with the process environment winning', () => {
    const text = 'env_file: .env\nservices:\n  api:\n    command: echo ${SHARED} ${HOST_VAR}\n';
    expect(ok(text).config.services[0]!.command).toEqual({
      kind: 'shell',
      script: 'echo from-stack from-file',
    });
    expect(ok(text, { HOST_VAR: 'from-host' }).config.services[0]!.command).toEqual({
      kind: 'shell',
      script: 'echo from-stack from-host',
    });
  });

  it('turns an unset variable into "" with a warning at its location', () => {
    const { config, warnings } = ok('services:\n  api:\n    command: "node api.js ${MISSING}"\n');
    expect(config.services[0]!.command).toEqual({ kind: 'shell', script: 'node api.js ' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      code: 'STACK_INVALID',
      severity: 'warning',
      line: 3,
      col: 27,
      path: 'services.api.command',
      message: 'variable MISSING is not set; using an empty string',
    });
  });

  it('reports ${VAR:?message} for an unset variable and a broken ${', () => {
    const errs = errors(
      'services:\n  api:\n    command: run ${TOKEN:?set TOKEN first}\n    env: { A: "${oops" }\n',
    );
    expect(errs.map((e) => [e.line, e.col, e.message])).toEqual([
      [3, 18, 'TOKEN is not set: set TOKEN first'],
      [4, 16, 'unterminated "${": add the closing "}" or write "$$" for a literal "$"'],
    ]);
  });
});

describe('scale', () => {
  it('loads 500 services with a dependency chain and a shared port-free fan-in', () => {
    let text = 'version: 1\nservices:\n';
    for (let i = 0; i < 500; i++) {
      text += `  s${i}:\n    command: node s${i}.js\n    port: ${10000 + i}\n`;
      if (i > 0) text += `    depends_on: [s${i - 1}${i > 1 ? `, s${i - 2}` : ''}]\n`;
    }
    const { config } = ok(text);
    expect(config.services).toHaveLength(500);
    expect(config.services[499]!.dependsOn.map((d) => d.name)).toEqual(['s498', 's497']);
    const broken = errors(text.replace('depends_on: [s498, s497]', 'depends_on: [s498, sx497]'));
    expect(broken.map((e) => [e.code, e.hint])).toEqual([
      ['STACK_UNKNOWN_DEPENDENCY', 'did you mean "s497"?'],
    ]);
  });
});

describe('loadStack', () => {
  it('reports a missing file', () => {
    const r = loadStack(path.join(dir, 'nope.yaml'));
    expect(!r.ok && r.errors[0]).toMatchObject({ code: 'STACK_NOT_FOUND', line: 1, col: 1 });
  });

  it('loads the vigil.yaml inside a directory', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'stack-'));
    fs.writeFileSync(path.join(sub, 'vigil.yml'), 'services:\n  api: { command: a }\n');
    const r = loadStack(sub, { env: {} });
    expect(r.ok && r.config.file).toBe(path.join(sub, 'vigil.yml'));
    expect(r.ok && r.config.name).toBe(path.basename(sub));
  });

  it('reads the file and resolves relative paths from its directory', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'stack-'));
    fs.mkdirSync(path.join(sub, 'svc'));
    fs.writeFileSync(path.join(sub, 'vigil.yaml'), 'services:\n  api: { command: a, cwd: svc }\n');
    const r = loadStack(path.join(sub, 'vigil.yaml'), { env: {} });
    expect(r.ok && r.config.services[0]!.cwd).toBe(path.join(sub, 'svc'));
  });
});
