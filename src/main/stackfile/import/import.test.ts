/**
 * Import of process-compose files, Procfiles and PM2 ecosystem files (YAML/JSON) from real files
 * modelled on what projects ship. Each generated stack is written beside a copy of the fixture and
 * loaded with the stack loader, and assertions are on the loaded services: what Vigil will run.
 *
 * Over 500 lines: one case per format and per mapped key (replicas, instances, watch included),
 * sharing the fixtures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../core/testing/temp.js';
import { VigilError } from '../../../shared/errors.js';
import type { ServiceSpec, StackConfig } from '../../../shared/model.js';
import { interpolate, loadStack } from '../../core/config/index.js';
import { escapeInterpolation, splitArgs } from './escape.js';
import { importStack, isImportableName, type ImportResult } from './index.js';
import { NameRegistry, normaliseName } from './names.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

afterAll(() => {
  removeTempDirs();
});

/** A private copy of a fixture directory (the import writes beside its input). */
function copyFixture(name: string): string {
  const dir = tempDir(`vigil-import-${name}-`);
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

const ENV = { HOME: '/home/dev', PATH: '/usr/bin' };

/** Writes the result where it is meant to go and loads it like `vigil up` would. */
function load(r: ImportResult, env: Record<string, string> = ENV): StackConfig {
  expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  fs.writeFileSync(r.outFile, r.yaml);
  const loaded = loadStack(r.outFile, { env });
  if (!loaded.ok)
    throw new Error(loaded.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
  return loaded.config;
}

function svc(config: StackConfig, name: string): ServiceSpec {
  const s = config.services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name} in ${config.services.map((x) => x.name).join(', ')}`);
  return s;
}

function script(s: ServiceSpec): string {
  if (s.command.kind !== 'shell') throw new Error(`${s.name} is not a shell command`);
  return s.command.script;
}

function argv(s: ServiceSpec): readonly string[] {
  if (s.command.kind !== 'argv') throw new Error(`${s.name} is not an argv command`);
  return s.command.argv;
}

function warningAt(r: ImportResult, pathText: string): ImportResult['warnings'][number] {
  const w = r.warnings.find((x) => x.path === pathText);
  if (!w)
    throw new Error(
      `no warning at ${pathText}; got:\n${r.warnings.map((x) => `${x.path}: ${x.message}`).join('\n')}`,
    );
  return w;
}

describe('process-compose', () => {
  const dir = copyFixture('process-compose');
  const r = importStack(path.join(dir, 'process-compose.yaml'), { env: ENV });
  const config = load(r);

  it('keeps every enabled process, in file order, with normalised names', () => {
    expect(r.format).toBe('process-compose');
    expect(config.services.map((s) => s.name)).toEqual([
      'postgres',
      'redis',
      'migrate',
      'api',
      'worker',
      'web-frontend',
    ]);
    const renamed = r.warnings.find((w) => w.message.includes('"Web Frontend"'));
    expect(renamed).toMatchObject({ line: 102, col: 3, service: 'web-frontend' });
  });

  it('interpolates ${VAR} from the .env beside the file, as process-compose does', () => {
    expect(config.envFiles).toContain(path.join(dir, '.env'));
    expect(script(svc(config, 'postgres'))).toBe(
      "postgres -D ./.data/pg -p 5433 -c 'listen_addresses=127.0.0.1'",
    );
    expect(svc(config, 'api').env.DATABASE_URL).toBe('postgres://app:app@127.0.0.1:5433/app');
    // A bare name in `environment` passes the variable through.
    expect(svc(config, 'api').env.HOME).toBe('/home/dev');
    // Global environment reaches every process; the process's own list adds to it.
    expect(svc(config, 'worker').env).toMatchObject({ APP_ENV: 'development', LOG_FORMAT: 'json' });
  });

  it('keeps multi-line commands and $$ escapes for the shell', () => {
    // Folded block: one line; literal block: two lines; $${API_PORT} reaches the shell as ${API_PORT}.
    expect(script(svc(config, 'migrate'))).toBe(
      'npm run db:migrate -- --url "postgres://app:app@127.0.0.1:5433/app"',
    );
    expect(script(svc(config, 'api'))).toBe(
      'export NODE_OPTIONS="--enable-source-maps"\nnode dist/server.js --port ${API_PORT}',
    );
    expect(svc(config, 'api').cwd).toBe(path.join(dir, 'api'));
  });

  it('maps depends_on conditions, and makes a process others wait to complete a oneshot job', () => {
    expect(svc(config, 'migrate').dependsOn).toEqual([
      { name: 'postgres', condition: 'healthy', optional: false },
    ]);
    expect(svc(config, 'migrate').oneshot).toBe(true);
    expect(svc(config, 'api').dependsOn).toEqual([
      { name: 'migrate', condition: 'completed', optional: false },
      { name: 'redis', condition: 'healthy', optional: false },
    ]);
    // process_log_ready: redis is healthy once its ready_log_line appears.
    const probe = svc(config, 'redis').health.probe;
    expect(probe.type).toBe('log');
    if (probe.type === 'log')
      expect(new RegExp(probe.pattern).test('* Ready to accept connections tcp')).toBe(true);
  });

  it('maps probes with process-compose defaults where the file is silent', () => {
    const pg = svc(config, 'postgres').health;
    expect(pg.probe).toEqual({
      type: 'exec',
      command: { kind: 'shell', script: 'pg_isready -h 127.0.0.1 -p 5433' },
    });
    expect(pg).toMatchObject({
      startPeriodMs: 2000,
      intervalMs: 5000,
      timeoutMs: 3000,
      failureThreshold: 10,
      recoveryThreshold: 1,
    });
    const api = svc(config, 'api');
    expect(api.port).toBe(8080);
    expect(api.health).toMatchObject({
      probe: { type: 'http', host: '127.0.0.1', port: 8080, path: '/healthz', expectStatus: 200 },
      startPeriodMs: 3000,
      intervalMs: 10_000,
      timeoutMs: 1000,
    });
    // Only a liveness probe: it is the health check; its working_dir becomes a cd.
    expect(svc(config, 'worker').health.probe).toEqual({
      type: 'exec',
      command: { kind: 'shell', script: 'cd /tmp && test -f /tmp/worker.alive' },
    });
  });

  it('maps availability (with YAML merge keys), shutdown signals by number, and exit_on_failure', () => {
    expect(svc(config, 'postgres').restart.policy).toBe('always');
    expect(svc(config, 'postgres').stop).toEqual({ signal: 'SIGINT', timeoutMs: 15_000 });
    const api = svc(config, 'api');
    expect(api.restart).toMatchObject({ policy: 'on-failure', backoffMs: [3000] });
    expect(api.maxRestartAttempts).toBe(5);
    expect(api.stop).toEqual({ signal: 'SIGTERM', timeoutMs: 20_000 });
    expect(svc(config, 'redis').restart).toMatchObject({ policy: 'on-failure', backoffMs: [2000] });
    // No availability: process-compose does not restart.
    expect(svc(config, 'web-frontend').restart.policy).toBe('never');
    // exit_on_failure: never restarted, and its failure stops the stack.
    expect(svc(config, 'migrate').restart.policy).toBe('never');
    expect(svc(config, 'migrate').priority).toBe('critical');
    expect(config.settings.onCritical).toBe('shutdown');
    expect(config.settings.logLevel).toBe('debug');
  });

  it('writes a disabled process as a comment and drops dependencies on it', () => {
    expect(config.services.some((s) => s.name === 'storybook')).toBe(false);
    expect(r.yaml).toMatch(/^# storybook:\n# {3}command: npm run storybook -- -p 6006$/m);
    expect(svc(config, 'web-frontend').dependsOn.map((d) => d.name)).toEqual(['api']);
    expect(warningAt(r, 'processes.Web Frontend.depends_on.storybook').line).toBe(110);
    expect(warningAt(r, 'processes.storybook.disabled').line).toBe(116);
  });

  it('lists everything it could not map with its file:line:col', () => {
    const expected: Record<string, number> = {
      log_location: 5,
      'processes.api.liveness_probe': 76,
      'processes.api.shutdown.command': 85,
      'processes.Web Frontend.is_tty': 105,
      'processes.Web Frontend.namespace': 106,
    };
    for (const [p, line] of Object.entries(expected)) {
      const w = warningAt(r, p);
      expect(w.line, p).toBe(line);
      expect(w.file).toBe(path.join(dir, 'process-compose.yaml'));
    }
    // replicas are mapped now, not listed
    expect(r.warnings.some((w) => w.path === 'processes.worker.replicas')).toBe(false);
    expect(svc(config, 'worker').replicas).toBe(2);
    expect(r.yaml).toMatch(/^ {4}replicas: 2 # from replicas; each instance gets PORT/m);
    // Sorted by position.
    const lines = r.warnings.map((w) => w.line ?? 0);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });

  it('reads a process-compose file named compose.yaml, and maps https probes to tcp', () => {
    const d = tempDir({
      'compose.yaml': `processes:
  web:
    command: node web.js
    readiness_probe:
      http_get: { scheme: https, host: localhost, port: 8443, path: /health }
    availability: { restart: always }
    daemon_mode: true
`,
    });
    const res = importStack(path.join(d, 'compose.yaml'), { env: ENV });
    const web = svc(load(res), 'web');
    expect(web.port).toBe(8443);
    expect(web.health.probe).toEqual({ type: 'tcp', host: '127.0.0.1', port: 8443 });
    expect(warningAt(res, 'processes.web.readiness_probe.http_get.scheme').line).toBe(5);
    expect(warningAt(res, 'processes.web.daemon_mode').message).toContain(
      'not a process-compose key',
    );
  });

  it('keeps a working_dir that uses ${VAR} as written', () => {
    const d = tempDir({
      'process-compose.yaml':
        'processes:\n  web:\n    command: node web.js\n    working_dir: ${APP_ROOT}/web\n',
      'web/web.js': '',
    });
    const res = importStack(path.join(d, 'process-compose.yaml'), { env: { APP_ROOT: d } });
    expect(res.yaml).toContain('cwd: ${APP_ROOT}/web');
    expect(svc(load(res, { APP_ROOT: d }), 'web').cwd).toBe(path.join(d, 'web'));
  });

  it('replicas behind a probe port: a balanced front port; PC_REPLICA_NUM is pointed at VIGIL_REPLICA', () => {
    const d = tempDir({
      'process-compose.yaml': `processes:
  web:
    command: node web.js --port $((8000 + PC_REPLICA_NUM))
    replicas: 3
    readiness_probe:
      http_get: { host: 127.0.0.1, port: 8000, path: /ready }
  worker:
    command: node worker.js
    replicas: 2
    environment: ["SHARD=shard-$PC_REPLICA_NUM"]
  once:
    command: node once.js
    replicas: 1
`,
    });
    const r = importStack(path.join(d, 'process-compose.yaml'), { env: ENV });
    const config = load(r);
    expect(svc(config, 'web')).toMatchObject({ replicas: 3, port: 8000 });
    expect(svc(config, 'worker').replicas).toBe(2);
    expect(svc(config, 'once').replicas).toBeUndefined();
    for (const name of ['web', 'worker'])
      expect(warningAt(r, `processes.${name}.replicas`).message).toBe(
        'PC_REPLICA_NUM is not set under Vigil: use VIGIL_REPLICA (0-based too) instead, and $PORT for the port each instance listens on',
      );
    expect(r.warnings.map((w) => w.path)).toEqual([
      'processes.web.replicas',
      'processes.worker.replicas',
    ]);
  });

  it('replicas that are not a whole number of at least 1 stay a warning', () => {
    const d = tempDir({
      'process-compose.yaml': 'processes:\n  web:\n    command: node web.js\n    replicas: 0\n',
    });
    const r = importStack(path.join(d, 'process-compose.yaml'), { env: ENV });
    expect(svc(load(r), 'web').replicas).toBeUndefined();
    expect(warningAt(r, 'processes.web.replicas').message).toContain('not mapped');
  });

  it('points at the syntax error of a broken file', () => {
    const d = tempDir({ 'process-compose.yaml': 'processes:\n  web:\n    command: [node\n' });
    try {
      importStack(path.join(d, 'process-compose.yaml'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('STACK_YAML');
      expect((err as VigilError).location?.line).toBeGreaterThanOrEqual(3);
    }
  });

  it('writes paths relative to another output directory', () => {
    const d = copyFixture('process-compose');
    const out = path.join(d, 'deploy', 'local', 'vigil.yaml');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const res = importStack(path.join(d, 'process-compose.yaml'), { outFile: out, env: ENV });
    expect(res.yaml).toContain('cwd: ../../api');
    expect(res.yaml).toContain('env_file: ../../.env');
    const cfg = load(res);
    expect(svc(cfg, 'api').cwd).toBe(path.join(d, 'api'));
    // No working_dir: the process-compose file's directory, wherever the stack file is.
    expect(svc(cfg, 'postgres').cwd).toBe(d);
  });
});

describe('Procfile', () => {
  const dir = copyFixture('procfile');
  const r = importStack(path.join(dir, 'Procfile'), { env: ENV });
  const config = load(r);

  it('turns each process type into a service run through the shell with the .env beside it', () => {
    expect(r.format).toBe('procfile');
    expect(config.services.map((s) => s.name)).toEqual([
      'web',
      'worker',
      'release',
      'assets',
      'clock',
      'mail-preview',
    ]);
    for (const s of config.services) {
      expect(s.env.RAILS_ENV, s.name).toBe('development');
      expect(s.cwd).toBe(dir);
    }
    expect(script(svc(config, 'worker'))).toBe(
      'bundle exec sidekiq -C config/sidekiq.yml -q default -q "mailers,2"',
    );
  });

  it('gives web a PORT like foreman, and leaves ${...} and $$ to the shell', () => {
    const web = svc(config, 'web');
    expect(web.port).toBe(5000);
    expect(web.env.PORT).toBe('5000');
    expect(script(web)).toBe('bundle exec puma -C config/puma.rb -b tcp://0.0.0.0:${PORT:-3000}');
    expect(script(svc(config, 'mail-preview'))).toBe(
      `MAILER_HOST='localhost:$PORT' bin/mail-preview "$$"`,
    );
  });

  it('runs release first, as a oneshot job the other processes wait for', () => {
    expect(svc(config, 'release').oneshot).toBe(true);
    for (const name of ['web', 'worker', 'assets', 'clock', 'mail-preview'])
      expect(svc(config, name).dependsOn).toEqual([
        { name: 'release', condition: 'completed', optional: false },
      ]);
  });

  it('joins backslash-continued lines and says so; reports unreadable and repeated lines', () => {
    expect(script(svc(config, 'assets'))).toBe('yarn build --watch=forever  --minify');
    const joined = r.warnings.find((w) => w.message.includes('continues over lines 7-8'));
    expect(joined).toMatchObject({ line: 7, col: 1 });
    expect(
      r.warnings.find((w) => w.message.startsWith('not a "type: command" line')),
    ).toMatchObject({
      line: 11,
      col: 1,
    });
    expect(r.warnings.find((w) => w.message.includes('defined again'))).toMatchObject({ line: 12 });
    expect(r.warnings.find((w) => w.message.includes('"Mail-Preview"'))).toMatchObject({
      line: 10,
      service: 'mail-preview',
    });
  });

  it('takes the port from .env or from the command line', () => {
    const fromEnv = tempDir({ Procfile: 'web: node server.js\n', '.env': 'PORT=4100\n' });
    const a = load(importStack(path.join(fromEnv, 'Procfile'), { env: ENV }));
    expect(svc(a, 'web').port).toBe(4100);
    expect(svc(a, 'web').env.PORT).toBe('4100');
    const fromFlag = tempDir({
      'Procfile.dev': 'web: bin/rails server -p 3000\ncss: bin/rails tailwindcss:watch\n',
    });
    const b = load(importStack(path.join(fromFlag, 'Procfile.dev'), { env: ENV }));
    expect(svc(b, 'web').port).toBe(3000);
    expect(svc(b, 'css').port).toBeUndefined();
  });

  it('refuses a Procfile without process lines', () => {
    const d = tempDir({ Procfile: '# nothing yet\n' });
    expect(() => importStack(path.join(d, 'Procfile'))).toThrow(/no process lines/);
  });
});

describe('file watching in imported stacks', () => {
  it('maps process-compose watch: paths, excludes relative to their path, debounce', () => {
    const d = tempDir({
      'process-compose.yaml': `version: "0.5"
processes:
  api:
    command: node server.js
    watch:
      debounce: 500ms
      cascade: true
      paths:
        - path: ./src
          exclude: ["**/*_test.go", "gen/**"]
        - path: package.json
`,
    });
    fs.mkdirSync(path.join(d, 'src'));
    const r = importStack(path.join(d, 'process-compose.yaml'), { env: ENV });
    const config = load(r);
    expect(svc(config, 'api').watch).toMatchObject({
      shown: ['./src', 'package.json'],
      ignore: ['**/*_test.go', 'src/gen/**'],
      debounceMs: 500,
      action: 'restart',
    });
    expect(warningAt(r, 'processes.api.watch.cascade').message).toContain('cascade not mapped');
    expect(r.yaml).toContain('watch:');
  });

  it('maps PM2 watch lists with ignore_watch and watch_delay', () => {
    const d = tempDir({
      'ecosystem.config.yaml': `apps:
  - name: api
    script: server.js
    watch: [src, config]
    ignore_watch: [node_modules, "*.log"]
    watch_delay: 1000
`,
    });
    const r = importStack(path.join(d, 'ecosystem.config.yaml'), { env: ENV });
    expect(svc(load(r), 'api').watch).toMatchObject({
      shown: ['src', 'config'],
      ignore: ['node_modules', '*.log'],
      debounceMs: 1000,
    });
    expect(r.warnings.filter((w) => w.path?.includes('watch'))).toEqual([]);
  });
});

describe('PM2 ecosystem files (JSON and YAML)', () => {
  it('maps a JSON ecosystem file with the position of each unmapped key', () => {
    const dir = copyFixture('pm2-json');
    const r = importStack(path.join(dir, 'ecosystem.json'), { env: ENV });
    const config = load(r);
    expect(r.format).toBe('pm2');
    expect(argv(svc(config, 'app'))).toEqual(['node', 'app.js']);
    // No extension, a text file: PM2 runs it with node.
    expect(argv(svc(config, 'bin-www'))).toEqual(['node', './bin/www']);
    expect(svc(config, 'app').port).toBe(4000);
    expect(svc(config, 'bin-www').port).toBeUndefined();
    // watch: true watches the app's folder, as in PM2.
    expect(svc(config, 'app').watch).toMatchObject({ shown: ['.'], action: 'restart' });
    expect(r.warnings.some((w) => w.path === 'apps[0].watch')).toBe(false);
    // instances: 4 becomes replicas: 4, without a warning
    expect(r.warnings.some((w) => w.path === 'apps[0].instances')).toBe(false);
    expect(svc(config, 'app').replicas).toBe(4);
    expect(warningAt(r, 'apps[1].env.PORT').message).toContain('also the port of "app"');
    for (const s of config.services) expect(s.stop).toEqual({ signal: 'SIGINT', timeoutMs: 1600 });
  });

  it('maps cluster mode with a port to replicas behind a balanced front port', () => {
    const d = tempDir({
      'ecosystem.config.yaml':
        'apps:\n  - name: web\n    script: server.js\n    instances: 3\n    exec_mode: cluster\n    env: { PORT: 3000 }\n',
    });
    const r = importStack(path.join(d, 'ecosystem.config.yaml'), { env: ENV });
    const web = svc(load(r), 'web');
    expect(web).toMatchObject({
      replicas: 3,
      port: 3000,
      balance: { strategy: 'round_robin', mode: 'http' },
    });
    expect(r.warnings.filter((w) => /instances|exec_mode/.test(w.path ?? ''))).toEqual([]);
    expect(r.yaml).toContain('    port: 3000 # from env PORT\n');
    expect(r.yaml).toContain(
      '    replicas: 3 # from instances in cluster mode; each instance gets its own PORT behind the front port\n' +
        '    # cluster mode: one port shared by the instances\n' +
        '    balance: {strategy: round_robin, mode: http}\n',
    );
  });

  /** One PM2 app with these extra keys, imported (on a machine with `cpus` cores) and loaded. */
  function pm2App(keys: string, cpus = 4): { r: ImportResult; app: ServiceSpec } {
    const d = tempDir({
      'ecosystem.config.yaml': `apps:\n  - name: app\n    script: server.js\n${keys
        .split('\n')
        .map((l) => `    ${l}\n`)
        .join('')}`,
    });
    const r = importStack(path.join(d, 'ecosystem.config.yaml'), { env: ENV, cpus });
    return { r, app: svc(load(r), 'app') };
  }

  it.each([
    ['instances: max', 4, 4],
    ['instances: "max"', 6, 6],
    ['instances: 0', 4, 4],
    ['instances: -1', 4, 3],
    ['instances: -2', 8, 6],
    ['instances: -1', 1, 1],
    ['instances: "3"', 8, 3],
  ])('%s on %i cores runs %i instances', (keys, cpus, expected) => {
    const { r, app } = pm2App(keys, cpus);
    expect(app.replicas ?? 1).toBe(expected);
    expect(r.warnings).toEqual([]);
    if (expected > 1 && !/"3"/.test(keys))
      expect(r.yaml).toContain(`(${cpus} cores when imported); each instance gets PORT`);
  });

  it('cluster mode with one instance and a port is balanced (rolling restarts, as pm2 reload)', () => {
    const { r, app } = pm2App('exec_mode: cluster_mode\nenv: { PORT: 3100 }');
    expect(app).toMatchObject({
      replicas: 1,
      port: 3100,
      balance: { strategy: 'round_robin', mode: 'http' },
    });
    expect(r.warnings).toEqual([]);
  });

  it('fork mode with one instance stays a plain service', () => {
    const { r, app } = pm2App('exec_mode: fork\ninstances: 1\nenv: { PORT: 3100 }');
    expect(app.replicas).toBeUndefined();
    expect(app.balance).toBeUndefined();
    expect(r.yaml).not.toMatch(/replicas|balance/);
    expect(r.warnings).toEqual([]);
  });

  it('cluster mode without a port: replicas, and a warning that nothing shares a port', () => {
    const { r, app } = pm2App('exec_mode: cluster\ninstances: 2');
    expect(app.replicas).toBe(2);
    expect(app.balance).toBeUndefined();
    expect(warningAt(r, 'apps[0].exec_mode').message).toMatch(
      /^cluster mode shares one port among the instances, but the app sets no PORT in env/,
    );
  });

  it('still warns about what has no counterpart: odd counts and modes, instance_var', () => {
    const odd = pm2App('instances: lots\nexec_mode: thread\ninstance_var: INSTANCE_ID');
    expect(odd.app.replicas).toBeUndefined();
    expect(warningAt(odd.r, 'apps[0].instances').message).toBe(
      'instances: lots not mapped: write a whole number, max or -N; one instance runs',
    );
    expect(warningAt(odd.r, 'apps[0].exec_mode').message).toContain('neither fork nor cluster');
    expect(warningAt(odd.r, 'apps[0].instance_var').message).toContain('VIGIL_REPLICA');
  });

  it('maps a YAML ecosystem file, applying env_<name> when asked', () => {
    const dir = tempDir({
      'ecosystem.config.yaml': `apps:
  - name: api
    script: server.js
    args: --port 9000 --label="a b" 'c d'
    autorestart: false
    max_memory_restart: 1G
    kill_timeout: 3000
    env:
      NODE_ENV: development
      LIMIT: 10
    env_staging:
      NODE_ENV: staging
  - name: binary
    script: /usr/bin/env
    interpreter: none
    args: [FOO=1, printenv]
    stop_exit_codes: [0]
`,
    });
    const plain = importStack(path.join(dir, 'ecosystem.config.yaml'), { env: ENV });
    const config = load(plain);
    const api = svc(config, 'api');
    expect(argv(api)).toEqual(['node', 'server.js', '--port', '9000', '--label="a b"', 'c d']);
    expect(api.restart.policy).toBe('never');
    expect(api.limits.memoryBytes).toBe(1024 ** 3);
    expect(api.stop.timeoutMs).toBe(3000);
    expect(api.env).toMatchObject({ NODE_ENV: 'development', LIMIT: '10' });
    expect(warningAt(plain, 'apps[0].env_staging').line).toBe(11);
    expect(argv(svc(config, 'binary'))).toEqual(['/usr/bin/env', 'FOO=1', 'printenv']);
    expect(svc(config, 'binary').restart.policy).toBe('on-failure');

    const staging = importStack(path.join(dir, 'ecosystem.config.yaml'), {
      env: ENV,
      envName: 'staging',
    });
    expect(svc(load(staging), 'api').env.NODE_ENV).toBe('staging');
    expect(staging.warnings.some((w) => w.path === 'apps[0].env_staging')).toBe(false);
    const typo = importStack(path.join(dir, 'ecosystem.config.yaml'), {
      env: ENV,
      envName: 'stagin',
    });
    expect(typo.warnings.some((w) => w.message.startsWith('no app has env_stagin'))).toBe(true);
  });
});

describe('files Vigil does not import', () => {
  it('says plainly that a Docker Compose file runs containers', () => {
    try {
      importStack(path.join(FIXTURES, 'docker', 'docker-compose.yml'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('STACK_INVALID');
      expect((err as VigilError).message).toMatch(
        /Docker Compose file: its services are containers/,
      );
      expect((err as VigilError).hint).toContain('docker compose up');
    }
  });

  it('recognises a Vigil stack and an unknown file', () => {
    const d = tempDir({
      'vigil.yaml': 'version: 1\nservices:\n  a:\n    command: x\n',
      'stack.yaml': 'tasks:\n  - a\n',
    });
    expect(() => importStack(path.join(d, 'vigil.yaml'))).toThrow(/already a Vigil stack file/);
    expect(() => importStack(path.join(d, 'stack.yaml'))).toThrow(/cannot tell what stack.yaml is/);
    expect(() => importStack(path.join(d, 'missing.yaml'))).toThrow(/no file at/);
  });

  it('knows importable file names', () => {
    for (const n of [
      'Procfile',
      'Procfile.dev',
      'process-compose.yaml',
      'process-compose.override.yml',
      'ecosystem.config.js',
      'ecosystem.config.cjs',
      'ecosystem.json',
    ])
      expect(isImportableName(n), n).toBe(true);
    for (const n of ['vigil.yaml', 'package.json', 'docker-compose.yml', 'vite.config.js'])
      expect(isImportableName(n), n).toBe(false);
  });
});

describe('text helpers', () => {
  it('escapes literals so that interpolation gives them back unchanged', () => {
    const samples = [
      'plain',
      '$HOME',
      '${HOME}',
      '$${HOME}',
      '$$',
      '$$$',
      'a$',
      '${A:-${B}}',
      'price $5 or $$5 or ${X',
      '"$@" $* $1 $(date) `pwd`',
    ];
    for (const s of samples) {
      const r = interpolate(escapeInterpolation(s), () => 'WRONG');
      expect(r.value, s).toBe(s);
      expect(r.unset, s).toEqual([]);
    }
  });

  it('splits argument strings the way PM2 does', () => {
    expect(splitArgs('--a 1  --b "two words" \'three words\' --c="x y" -d')).toEqual([
      '--a',
      '1',
      '--b',
      'two words',
      'three words',
      '--c="x y"',
      '-d',
    ]);
    expect(splitArgs('   ')).toEqual([]);
  });

  it('normalises names to identifiers and keeps them unique', () => {
    expect(normaliseName('Web Frontend')).toBe('web-frontend');
    expect(normaliseName('@shop/api')).toBe('shop-api');
    expect(normaliseName('Crème Brûlée')).toBe('creme-brulee');
    expect(normaliseName('***')).toBe('service');
    expect(normaliseName('constructor')).toBe('constructor-service');
    expect(normaliseName('x'.repeat(80))).toHaveLength(64);
    const reg = new NameRegistry();
    expect(reg.take('api')).toEqual({ name: 'api' });
    const again = reg.take('api');
    expect(again.name).toBe('api-2');
    expect(again.changed).toContain('already named "api"');
    expect(reg.take('API').name).toBe('api-3');
  });
});
