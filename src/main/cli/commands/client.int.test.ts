/**
 * The client commands run in-process against a real API server (with the fake supervisor behind
 * it), finding it through an injected instance lookup and the data directory's token file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { silentLogger } from '../../core/logger.js';
import { findChromium } from '../pdf.js';
import { FakeVigil, fakeReplicasView, fakeWatchView } from '../../transport/testing/fake-api.js';
import { run } from '../main.js';
import { startHttpServer, type HttpServerHandle } from '../../transport/http.js';
import { createClientCommands, formatTable, psCommand } from './client.js';

const TOKEN = 'cli-test-token-0123456789abcdefghij';

let fake: FakeVigil;
let server: HttpServerHandle;
let dataDir: string;
let instance: { pid: number; api?: { url: string } } | null;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-'));
  fs.writeFileSync(path.join(dataDir, 'api-token'), TOKEN + '\n', { mode: 0o600 });
  server = await startHttpServer({
    api: new Proxy({} as FakeVigil['api'], {
      get: (_t, k) => fake.api[k as keyof FakeVigil['api']],
    }),
    events: { snapshot: () => fake.snapshot(), subscribe: (l) => fake.subscribe(l) },
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    logger: silentLogger,
    metrics: () => '',
  });
});

afterAll(async () => {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  fake = new FakeVigil();
  instance = { pid: 4242, api: { url: server.url } };
});

const stop = new AbortController();
afterEach(() => stop.abort());

function commands(extra: { signal?: AbortSignal } = {}) {
  return createClientCommands({
    readInstance: (dir) => (dir === dataDir ? instance : null),
    defaultDataDir: () => dataDir,
    pollMs: 10,
    downTimeoutMs: 300,
    ...extra,
  });
}

const io = (tty = false, env: Record<string, string> = {}) => memoryIO({ tty, env, cwd: dataDir });

describe('finding the running instance', () => {
  it('exits 1 with a clear message when none runs for the data dir', async () => {
    const out = io();
    const other = path.join(os.tmpdir(), 'vigil-no-such-dir');
    expect(await commands().psCommand(['--data-dir', other], out)).toBe(1);
    expect(out.err()).toBe(
      `vigil: no running Vigil found for data dir ${other} (start one with \`vigil up\`)\n`,
    );
  });

  it('says the same when the recorded address does not answer', async () => {
    instance = { pid: 4242, api: { url: 'http://127.0.0.1:1' } };
    const out = io();
    expect(await commands().psCommand([], out)).toBe(1);
    expect(out.err()).toContain('no running Vigil found for data dir');
  });

  it('uses --token, then VIGIL_TOKEN, then the token file', async () => {
    const wrong = io();
    expect(await commands().psCommand(['--token', 'nope'], wrong)).toBe(1);
    expect(wrong.err()).toContain('missing or wrong token');
    const env = io(false, { VIGIL_TOKEN: 'also-wrong' });
    expect(await commands().psCommand([], env)).toBe(1);
    const file = io();
    expect(await commands().psCommand([], file)).toBe(0);
    expect(fake.calls[0]).toMatchObject({ command: 'getStatus', actor: 'cli' });
  });

  it('the exported commands use the real lock file lookup', async () => {
    const out = io();
    expect(await psCommand(['--data-dir', dataDir], out)).toBe(1);
    expect(out.err()).toContain(`no running Vigil found for data dir ${dataDir}`);
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [[], 'expected one service name'],
    [['a', 'b'], 'expected one service name'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('restart %j', async (argv, message) => {
    const out = io();
    expect(await commands().restartCommand(argv, out)).toBe(2);
    expect(out.err()).toContain(message);
    expect(out.err()).toContain('Usage: vigil restart NAME [--force]');
    expect(fake.calls).toEqual([]);
  });

  it('logs --tail must be a positive number; report --format must be known', async () => {
    const a = io();
    expect(await commands().logsCommand(['api', '--tail', 'x'], a)).toBe(2);
    const b = io();
    expect(await commands().reportCommand(['--format', 'docx'], b)).toBe(2);
    expect(fake.calls).toEqual([]);
  });

  it('--help prints the usage and exits 0', async () => {
    const out = io();
    expect(await commands().quarantineCommand(['--help'], out)).toBe(0);
    expect(out.out()).toContain('Usage: vigil quarantine NAME [--reason R]');
  });
});

describe('watch', () => {
  it("turns a service's file watch off and on, and ps shows it", async () => {
    fake.setService('api', { watch: fakeWatchView() });
    const off = io();
    expect(await commands().watchCommand(['api', 'off'], off)).toBe(0);
    expect(off.out()).toContain('file watch of api off');
    expect(fake.calls.at(-1)).toMatchObject({
      command: 'setWatch',
      input: { name: 'api', enabled: false },
      actor: 'cli',
    });
    const ps = io();
    await commands().psCommand([], ps);
    expect(ps.out().split('\n')[3]).toMatch(/^api\s.*\soff\s+-$/);
    const on = io();
    expect(await commands().watchCommand(['api', 'on'], on)).toBe(0);
    expect(on.out()).toContain('watching src/ (restart)');
  });

  it('refuses a value other than on or off, and a service without watch:', async () => {
    const bad = io();
    expect(await commands().watchCommand(['api', 'maybe'], bad)).toBe(2);
    expect(bad.err()).toContain('expected "on" or "off"');
    const none = io();
    expect(await commands().watchCommand(['db', 'on'], none)).toBe(1);
    expect(none.err()).toContain('has no "watch:"');
    const missing = io();
    expect(await commands().watchCommand(['api'], missing)).toBe(2);
  });
});

describe('ps', () => {
  it('prints a table', async () => {
    fake.api.quarantineService({ name: 'db', reason: 'flapping' }, { actor: 'cli' });
    const out = io();
    expect(await commands().psCommand([], out)).toBe(0);
    const lines = out.out().split('\n');
    expect(lines[0]).toMatch(/^fake: healthy, 2 services, up /);
    expect(lines[2]).toMatch(
      /^NAME\s+STATUS\s+LIFECYCLE\s+HEALTH\s+PID\s+RESTARTS\s+UPTIME\s+PORT\s+WATCH\s+INST\s+NOTE$/,
    );
    expect(lines[3]).toMatch(/^api\s+healthy\s+running\s+healthy\s+1003\s+0\s+\S+\s+-\s+-\s+-$/);
    expect(lines[4]).toMatch(
      /^db\s+quarantined\s+quarantined\s+healthy\s+-\s+0\s+-\s+-\s+-\s+-\s+quarantined: flapping$/,
    );
    expect(out.out()).not.toContain('\x1b[');
  });

  it('says when the next attempt is, and that the breaker holds it', async () => {
    const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
    fake.setService('api', {
      lifecycle: 'backoff',
      health: 'unknown',
      status: 'unhealthy',
      pid: null,
      next_attempt_at: inMs(4_000),
    });
    fake.setService('db', {
      lifecycle: 'backoff',
      health: 'unknown',
      status: 'unhealthy',
      pid: null,
      next_attempt_at: inMs(58_000),
      breaker: {
        state: 'open',
        failures: 3,
        reason: 'exited with code 1',
        nextTrialAt: null,
        trips: 1,
      },
    });
    const out = io();
    await commands().psCommand([], out);
    const lines = out.out().split('\n');
    expect(lines[3]).toMatch(/^api\s+unhealthy\s+backoff\s.*\snext attempt in [34](\.\d+)?s$/);
    expect(lines[4]).toMatch(
      /^db\s+unhealthy\s+backoff\s.*\sbreaker open after 3 failures, next attempt in 5\d(\.\d+)?s$/,
    );
  });

  it('regression: says why a starting service is not ready, and what a service started without', async () => {
    fake.setService('api', {
      lifecycle: 'starting',
      health: 'timeout',
      status: 'timeout',
      not_ready: {
        failed_checks: 25,
        last_failure: 'timed out after 200ms',
        startup_deadline: new Date(Date.now() + 51_500).toISOString(),
      },
    });
    fake.setService('db', {
      started_without: [{ service: 'metrics', reason: 'exited with code 3' }],
    });
    const out = io();
    await commands().psCommand([], out);
    const lines = out.out().split('\n');
    expect(lines[3]).toMatch(
      /^api\s+timeout\s+starting\s+timeout\s.*\snot ready: timed out after 200ms, 25 checks, startup timeout in 5[12]s$/,
    );
    expect(lines[4]).toMatch(
      /^db\s+healthy\s+running\s.*\sstarted without metrics: exited with code 3$/,
    );
  });

  it('colours on a TTY and prints JSON with --json', async () => {
    const tty = io(true);
    await commands().psCommand([], tty);
    expect(tty.out()).toContain('\x1b[');
    const json = io(true);
    await commands().psCommand(['--json'], json);
    const parsed = JSON.parse(json.out()) as { services: { name: string }[] };
    expect(parsed.services.map((s) => s.name)).toEqual(['api', 'db']);
  });
});

describe('service actions', () => {
  it('restart NAME --force', async () => {
    const out = io();
    expect(await commands().restartCommand(['api', '--force'], out)).toBe(0);
    expect(out.out()).toBe('restarted api (healthy, running)\n');
    expect(fake.calls).toEqual([
      { command: 'restartService', input: { name: 'api', force: true }, actor: 'cli' },
    ]);
  });

  it('start, stop, release; quarantine with a reason', async () => {
    const c = commands();
    expect(await c.stopCommand(['db'], io())).toBe(0);
    expect(await c.startCommand(['db'], io())).toBe(0);
    const q = io();
    expect(await c.quarantineCommand(['db', '--reason', 'too noisy'], q)).toBe(0);
    expect(q.out()).toBe('quarantined db (quarantined, quarantined)\n');
    const r = io(false);
    expect(await c.releaseCommand(['db', '--json'], r)).toBe(0);
    expect(JSON.parse(r.out())).toMatchObject({ service: 'db', lifecycle: 'running' });
    expect(fake.calls.map((x) => [x.command, x.input])).toEqual([
      ['stopService', { name: 'db' }],
      ['startService', { name: 'db' }],
      ['quarantineService', { name: 'db', reason: 'too noisy' }],
      ['releaseService', { name: 'db' }],
    ]);
  });

  it('exits 1 with the message and hint of an API error', async () => {
    const out = io();
    expect(await commands().restartCommand(['ghost'], out)).toBe(1);
    expect(out.err()).toBe('vigil: unknown service "ghost"\n  hint: known services: api, db\n');
    const q = io();
    await commands().quarantineCommand(['api'], io());
    expect(await commands().restartCommand(['api'], q)).toBe(1);
    expect(q.err()).toContain('api is quarantined');
  });
});

describe('logs', () => {
  it('prints the tail', async () => {
    for (const l of ['one', 'two', 'three']) fake.log('api', l);
    const out = io();
    expect(await commands().logsCommand(['api', '--tail', '2'], out)).toBe(0);
    expect(out.out()).toBe('two\nthree\n');
    expect(fake.calls[0]?.input).toEqual({ name: 'api', tail: 2 });
  });

  it('-f follows new lines until stopped', async () => {
    fake.log('api', 'old');
    const ac = new AbortController();
    const out = io();
    const running = commands({ signal: ac.signal }).logsCommand(['api', '-f'], out);
    const deadline = Date.now() + 5_000;
    while (!out.out().includes('old') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    fake.log('api', 'new 1');
    fake.log('db', 'other service');
    fake.log('api', 'new 2');
    while (!out.out().includes('new 2') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    expect(await running).toBe(0);
    expect(out.out()).toBe('old\nnew 1\nnew 2\n');
  });

  it('-f --json prints one line object per line', async () => {
    fake.log('api', 'x', 'stderr');
    const ac = new AbortController();
    ac.abort();
    const out = io();
    expect(await commands({ signal: ac.signal }).logsCommand(['api', '-f', '--json'], out)).toBe(0);
    expect(JSON.parse(out.out())).toMatchObject({ line: 'x', stream: 'stderr', seq: 1 });
  });
});

describe('report', () => {
  it('prints the body to stdout', async () => {
    const out = io();
    expect(await commands().reportCommand(['--since', '1h'], out)).toBe(0);
    expect(out.out()).toBe('# Healing report\n\nNothing broke.\n');
    expect(fake.calls[0]?.input).toEqual({ since: '1h' });
  });

  it('-o FILE writes the file (relative to cwd)', async () => {
    const out = io();
    expect(
      await commands().reportCommand(['--format', 'csv', '-o', 'r.csv', '--until', '0'], out),
    ).toBe(0);
    const file = path.join(dataDir, 'r.csv');
    expect(fs.readFileSync(file, 'utf8')).toBe('service,restarts\napi,0\n');
    expect(out.out()).toBe(`wrote csv report to ${file} (23 bytes)\n`);
    expect(fake.calls[0]?.input).toEqual({ format: 'csv', until: '0' });
  });
});

describe('report --format pdf', () => {
  it('needs -o FILE', async () => {
    const out = io();
    expect(await commands().reportCommand(['--format', 'pdf'], out)).toBe(2);
    expect(out.err()).toBe('vigil: --format pdf writes a file: add -o FILE\n');
    expect(fake.calls).toEqual([]);
  });

  it('says in one line when there is no Chromium to print with, before asking for the report', async () => {
    const out = io(false, { VIGIL_CHROMIUM: path.join(dataDir, 'no-chromium') });
    expect(await commands().reportCommand(['--format', 'pdf', '-o', 'r.pdf'], out)).toBe(1);
    expect(out.err()).toBe(
      `vigil: VIGIL_CHROMIUM names ${path.join(dataDir, 'no-chromium')}, which does not exist; point it at a Chromium or Chrome binary\n`,
    );
    expect(fake.calls).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'r.pdf'))).toBe(false);
  });

  it.skipIf(!findChromium(process.env).ok)(
    'prints the HTML report to a PDF file',
    async () => {
      const out = io(false, {
        ...(process.env.VIGIL_CHROMIUM ? { VIGIL_CHROMIUM: process.env.VIGIL_CHROMIUM } : {}),
      });
      expect(await commands().reportCommand(['--format', 'pdf', '-o', 'r.pdf'], out)).toBe(0);
      const file = path.join(dataDir, 'r.pdf');
      const bytes = fs.readFileSync(file);
      expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(out.out()).toBe(`wrote pdf report to ${file} (${bytes.byteLength} bytes)\n`);
      expect(fake.calls[0]?.input).toEqual({ format: 'html' });
    },
    60_000,
  );
});

describe('down', () => {
  it('asks for a shutdown and waits for the instance to go', async () => {
    const out = io();
    const origShutdown = fake.api.shutdown;
    (fake.api as { shutdown: typeof origShutdown }).shutdown = async (i, c) => {
      const r = await origShutdown(i, c);
      setTimeout(() => (instance = null), 50);
      return r;
    };
    expect(await commands().downCommand([], out)).toBe(0);
    expect(out.out()).toBe('shutting down (pid 4242)\nstopped\n');
    expect(fake.calls.map((c) => c.command)).toEqual(['shutdown']);
  });

  it('exits 1 when the instance is still there after the wait', async () => {
    const out = io();
    expect(await commands().downCommand(['--json'], out)).toBe(1);
    expect(JSON.parse(out.out())).toMatchObject({ success: true, pid: 4242, stopped: false });
    expect(out.err()).toContain('still stopping');
  });

  it('--no-wait returns at once', async () => {
    const out = io();
    expect(await commands().downCommand(['--no-wait'], out)).toBe(0);
    expect(out.out()).toBe('shutting down (pid 4242)\n');
  });
});

it('formatTable pads by visible width', () => {
  expect(
    formatTable(
      ['A', 'B'],
      [
        ['\x1b[32mxx\x1b[39m', 'y'],
        ['zzz', ''],
      ],
    ),
  ).toBe('A    B\n\x1b[32mxx\x1b[39m   y\nzzz\n');
});

describe('deregister', () => {
  it('removes a registered service and says so; an unknown one fails with exit 1', async () => {
    const out = io();
    expect(await commands().deregisterCommand(['db'], out)).toBe(0);
    expect(out.out()).toBe('deregistered db\n');
    expect(() => fake.service('db')).toThrow();
    const again = io();
    expect(await commands().deregisterCommand(['db'], again)).toBe(1);
    expect(again.err()).toContain('db');
    const usage = io();
    expect(await commands().deregisterCommand([], usage)).toBe(2);
  });
});

/** `api` replicated (3 instances behind front port 3000, failing over to `db`); `db` plain. */
function replicateApi(n = 3): void {
  fake.setService('api', {
    port: 3000,
    replicas: fakeReplicasView('api', n, { failover: 'db', frontPort: 3000 }),
  });
}

describe('ps with replicated services', () => {
  it('shows ready/desired instances in INST, leaving the other columns where they were', async () => {
    replicateApi();
    const api = fake.service('api');
    fake.setService('api', {
      replicas: {
        ...api.replicas!,
        ready: 2,
        rollout: { kind: 'restart', done: 1, total: 3 },
        failover: { ...api.replicas!.failover!, route: 'backup', pinned: true },
      },
    });
    const out = io();
    expect(await commands().psCommand([], out)).toBe(0);
    const lines = out.out().split('\n');
    expect(lines[3]).toMatch(
      /^api\s+healthy\s+running\s+healthy\s+1003\s+0\s+\S+\s+3000\s+-\s+2\/3\s+rolling restart 1\/3; traffic on backup db \(held by hand\)$/,
    );
    expect(lines[4]).toMatch(/^db\s+healthy\s+running\s+healthy\s+\d+\s+0\s+\S+\s+-\s+-\s+-$/);
    expect(lines).toHaveLength(6);
  });

  it('-i adds one indented row per instance: status, pid, port, restarts, requests', async () => {
    replicateApi();
    const api = fake.service('api');
    const [i0, i1, i2] = api.replicas!.instances;
    fake.setService('api', {
      replicas: {
        ...api.replicas!,
        ready: 2,
        instances: [
          i0!,
          { ...i1!, restart_count: 4, errors: 2, draining: true, in_pool: false },
          {
            ...i2!,
            status: 'unhealthy',
            lifecycle: 'backoff',
            health: 'unknown',
            pid: null,
            started_at: null,
            last_error: 'exited with code 1',
          },
        ],
      },
    });
    for (const flag of ['-i', '--instances']) {
      const out = io();
      expect(await commands().psCommand([flag], out)).toBe(0);
      const lines = out.out().split('\n');
      expect(lines[3]).toMatch(/^api\s.*\s3000\s+-\s+2\/3$/);
      expect(lines[4]).toMatch(
        /^ {2}api#0\s+healthy\s+running\s+healthy\s+3000\s+0\s+\S+\s+3001\s+10 requests$/,
      );
      expect(lines[5]).toMatch(
        /^ {2}api#1\s+healthy\s+running\s+healthy\s+3001\s+4\s+\S+\s+3002\s+20 requests, 2 errors, draining$/,
      );
      expect(lines[6]).toMatch(
        /^ {2}api#2\s+unhealthy\s+backoff\s+unknown\s+-\s+0\s+-\s+3003\s+30 requests, exited with code 1$/,
      );
      expect(lines[7]).toMatch(/^db\s/);
    }
    // Without -i, no instance rows.
    const plain = io();
    await commands().psCommand([], plain);
    expect(plain.out()).not.toContain('api#0');
  });

  it('--json is the status as the API gives it, replicas included', async () => {
    replicateApi(2);
    const out = io();
    expect(await commands().psCommand(['--json', '-i'], out)).toBe(0);
    const parsed = JSON.parse(out.out()) as {
      services: {
        name: string;
        replicas: { desired: number; instances: { id: string }[] } | null;
      }[];
    };
    expect(parsed.services.map((s) => s.name)).toEqual(['api', 'db']);
    expect(parsed.services[0]!.replicas!.instances.map((i) => i.id)).toEqual(['api#0', 'api#1']);
    expect(parsed.services[1]!.replicas).toBeNull();
  });
});

describe('scale', () => {
  it('asks for N instances and prints the message and the instances', async () => {
    replicateApi(2);
    const out = io();
    expect(await commands().scaleCommand(['api', '4'], out)).toBe(0);
    expect(fake.calls).toEqual([
      { command: 'scaleService', input: { name: 'api', replicas: 4 }, actor: 'cli' },
    ]);
    const lines = out.out().split('\n');
    expect(lines[0]).toBe('scaled api from 2 to 4 instances (healthy, running)');
    expect(lines[1]).toBe('4/4 instances ready');
    expect(lines.slice(2, 6)).toEqual([
      '  api#0  healthy  running  port 3001',
      '  api#1  healthy  running  port 3002',
      '  api#2  healthy  running  port 3003',
      '  api#3  healthy  running  port 3004',
    ]);
    expect(lines[6]).toBe('');
    expect(fake.service('api').replicas!.desired).toBe(4);
  });

  it('--json prints the answer, instances included', async () => {
    replicateApi(3);
    const out = io();
    expect(await commands().scaleCommand(['api', '1', '--json'], out)).toBe(0);
    const res = JSON.parse(out.out()) as { message: string; replicas: { desired: number } };
    expect(res.message).toBe('scaled api from 3 to 1 instances');
    expect(res.replicas.desired).toBe(1);
  });

  it.each(['0', '-1', '2.5', 'three', '1001', '', '1e2'])(
    'N = %j is a usage error (exit 2), checked before looking for Vigil',
    async (n) => {
      instance = null;
      const out = io();
      expect(await commands().scaleCommand(['api', n], out)).toBe(2);
      expect(out.err()).toMatch(
        /^vigil: (the number of instances must be a whole number from 1 to 1000, not ".*"|Unknown option '-1'.*)\n/,
      );
      expect(fake.calls).toEqual([]);
    },
  );

  it('needs a name and a number', async () => {
    const out = io();
    expect(await commands().scaleCommand(['api'], out)).toBe(2);
    expect(out.err()).toContain('expected a service name and a value');
    expect(out.err()).toContain('Usage: vigil scale NAME N');
  });

  it('a service that is not replicated: exit 1 with the API message', async () => {
    const out = io();
    expect(await commands().scaleCommand(['db', '3'], out)).toBe(1);
    expect(out.err()).toBe(
      'vigil: db is not replicated: add "replicas:" or "scale:" to it in the stack file\n',
    );
    expect(fake.calls.map((c) => c.command)).toEqual(['scaleService']);
    const ghost = io();
    expect(await commands().scaleCommand(['ghost', '3'], ghost)).toBe(1);
    expect(ghost.err()).toContain('unknown service "ghost"');
  });
});

describe('failover', () => {
  it('sends traffic to the backup, and --back returns it', async () => {
    replicateApi(2);
    const out = io();
    expect(await commands().failoverCommand(['api'], out)).toBe(0);
    expect(out.out().split('\n')[0]).toBe('traffic of api goes to db (healthy, running)');
    expect(out.out()).toContain('  api#1  healthy  running  port 3002\n');
    expect(fake.service('api').replicas!.failover).toMatchObject({ route: 'backup', pinned: true });
    const ps = io();
    await commands().psCommand([], ps);
    expect(ps.out().split('\n')[3]).toMatch(/traffic on backup db \(held by hand\)$/);

    const back = io();
    expect(await commands().failoverCommand(['api', '--back'], back)).toBe(0);
    expect(back.out().split('\n')[0]).toBe(
      'traffic of api is back on its own instances (healthy, running)',
    );
    expect(fake.service('api').replicas!.failover).toMatchObject({ route: 'primary' });
    expect(fake.calls.filter((c) => c.command === 'failoverService')).toEqual([
      { command: 'failoverService', input: { name: 'api' }, actor: 'cli' },
      { command: 'failoverService', input: { name: 'api', back: true }, actor: 'cli' },
    ]);
  });

  it('--json prints the answer', async () => {
    replicateApi(2);
    const out = io();
    expect(await commands().failoverCommand(['api', '--json'], out)).toBe(0);
    expect(JSON.parse(out.out())).toMatchObject({
      service: 'api',
      replicas: { failover: { backup: 'db', route: 'backup' } },
    });
  });

  it('a service without failover: exit 1 with the API message; usage errors exit 2', async () => {
    const out = io();
    expect(await commands().failoverCommand(['db'], out)).toBe(1);
    expect(out.err()).toBe('vigil: db has no "failover:" in the stack file\n');
    const usage = io();
    expect(await commands().failoverCommand(['api', '--back=yes'], usage)).toBe(2);
    const none = io();
    expect(await commands().failoverCommand([], none)).toBe(2);
    expect(none.err()).toContain('Usage: vigil failover NAME [--back]');
  });
});

describe('restart of a replicated service', () => {
  it('--all-at-once and --instance reach the API', async () => {
    replicateApi();
    const c = commands();
    expect(await c.restartCommand(['api', '--all-at-once'], io())).toBe(0);
    const one = io();
    expect(await c.restartCommand(['api', '--instance', '2'], one)).toBe(0);
    expect(one.out()).toBe("Instance 'api#2' restarted (healthy, running)\n");
    expect(await c.restartCommand(['api', '--instance', 'api#1', '--force'], io())).toBe(0);
    expect(fake.calls.map((x) => x.input)).toEqual([
      { name: 'api', all_at_once: true },
      { name: 'api', instance: 2 },
      { name: 'api', force: true, instance: 1 },
    ]);
  });

  it.each([
    [
      ['api', '--instance', 'x'],
      '--instance takes an instance\'s index (0, 1, ...) or its id (api#0), not "x"',
    ],
    [['api', '--instance', 'db#1'], 'not "db#1"'],
    [['api', '--instance', '-1'], "Option '--instance' argument is ambiguous"],
    [['api', '--instance=-1'], 'not "-1"'],
    [
      ['api', '--instance', '1', '--all-at-once'],
      '--all-at-once and --instance do not go together',
    ],
  ])('%j is a usage error', async (argv, message) => {
    const out = io();
    expect(await commands().restartCommand(argv, out)).toBe(2);
    expect(out.err()).toContain(message);
    expect(fake.calls).toEqual([]);
  });

  it('an instance that is not there, or of a plain service: exit 1 with the API message', async () => {
    replicateApi(2);
    const gone = io();
    expect(await commands().restartCommand(['api', '--instance', '5'], gone)).toBe(1);
    expect(gone.err()).toBe('vigil: api has no instance 5\n  hint: instances: 0, 1\n');
    const plain = io();
    expect(await commands().restartCommand(['db', '--instance', '0'], plain)).toBe(1);
    expect(plain.err()).toContain('vigil: db is not replicated');
  });
});

describe('logs of a replicated service', () => {
  it('prefixes each line with its instance, dimmed on a TTY like the other prefixes', async () => {
    replicateApi(2);
    fake.log('api', 'listening', 'stdout', 'api#0');
    fake.log('api', 'boom', 'stderr', 'api#1');
    fake.log('api', 'untagged');
    const out = io();
    expect(await commands().logsCommand(['api'], out)).toBe(0);
    expect(out.out()).toBe('[api#0] listening\n[api#1] boom\nuntagged\n');
    const tty = io(true);
    await commands().logsCommand(['api'], tty);
    expect(tty.out().split('\n')[0]).toBe('\x1b[2m[api#0]\x1b[22m listening');
    expect(tty.out().split('\n')[1]).toBe('\x1b[2m[api#1]\x1b[22m \x1b[31mboom\x1b[39m');
    const json = io();
    await commands().logsCommand(['api', '--json'], json);
    expect(JSON.parse(json.out().split('\n')[1]!)).toMatchObject({
      line: 'boom',
      instance: 'api#1',
    });
  });

  it('--instance keeps one instance, in follow mode too', async () => {
    replicateApi(2);
    fake.log('api', 'zero old', 'stdout', 'api#0');
    fake.log('api', 'one old', 'stdout', 'api#1');
    const ac = new AbortController();
    const out = io();
    const running = commands({ signal: ac.signal }).logsCommand(
      ['api', '-f', '--instance', 'api#1'],
      out,
    );
    const deadline = Date.now() + 5_000;
    while (!out.out().includes('one old') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    fake.log('api', 'zero new', 'stdout', 'api#0');
    fake.log('api', 'one new', 'stdout', 'api#1');
    while (!out.out().includes('one new') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    expect(await running).toBe(0);
    expect(out.out()).toBe('[api#1] one old\n[api#1] one new\n');
    const inputs = fake.calls.filter((c) => c.command === 'getLogs').map((c) => c.input);
    expect(inputs.length).toBeGreaterThan(1);
    for (const input of inputs) expect(input).toMatchObject({ name: 'api', instance: 1 });
  });

  it('--instance of a plain service: exit 1 with the API message; a bad one: exit 2', async () => {
    const plain = io();
    expect(await commands().logsCommand(['db', '--instance', '0'], plain)).toBe(1);
    expect(plain.err()).toContain('vigil: db is not replicated');
    const bad = io();
    expect(await commands().logsCommand(['api', '--instance', 'first'], bad)).toBe(2);
    expect(bad.err()).toContain('--instance takes an instance');
  });
});

describe('vigil help and dispatch', () => {
  it('lists scale and failover, and the new options of ps, restart and logs', async () => {
    const out = io();
    expect(await run(['help'], out)).toBe(0);
    const help = out.out();
    expect(help).toMatch(/vigil scale NAME N\s+run N instances of a replicated service/);
    expect(help).toMatch(/vigil failover NAME \[--back\]\s/);
    expect(help).toContain('vigil ps [--json] [-i|--instances]');
    expect(help).toContain('vigil restart NAME [--force] [--all-at-once] [--instance N]');
    expect(help).toContain('vigil logs NAME [-f] [--tail N] [--instance N]');
  });

  it('dispatches scale and failover to their commands', async () => {
    const a = io();
    expect(await run(['scale', 'api', 'lots'], a)).toBe(2);
    expect(a.err()).toContain('the number of instances must be a whole number');
    const b = io();
    expect(await run(['failover', '--help'], b)).toBe(0);
    expect(b.out()).toContain('Usage: vigil failover NAME [--back]');
  });
});
