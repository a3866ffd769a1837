/**
 * One table of cases, run against every transport: in-process, HTTP (a real server on
 * 127.0.0.1:0) and IPC (a fake ipcMain/ipcRenderer pair). Each command's happy path, bad input,
 * an unknown service, and the error envelope must look the same whichever way a client calls.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  COMMAND_NAMES,
  type CommandName,
  type OutputOf,
  type VigilApi,
  type VigilClient,
} from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { Actor } from '../../shared/model.js';
import { createHttpClient } from '../../shared/client/http.js';
import { createInProcessClient } from './inprocess.js';
import { silentLogger } from '../core/logger.js';
import { buildBridge } from '../../preload/bridge.js';
import { FAKE_START, FakeVigil, fakeReplicasView, fakeWatchView } from './testing/fake-api.js';
import { outputProblems } from './testing/outputs.js';
import { fakeIpcPair } from './testing/fake-ipc.js';
import { startHttpServer, type HttpServerHandle } from './http.js';
import { registerIpcHandlers } from './ipc.js';
import type { EventSource } from './stream.js';

interface Case<K extends CommandName> {
  /** A valid call against the fake's services `api` and `db`. */
  readonly input: unknown;
  readonly check: (out: OutputOf<K>, fake: FakeVigil) => void;
  /** An invalid call and the field the error must name. */
  readonly bad: { readonly input: unknown; readonly field: string };
  /** A call naming a service that does not exist (commands that take one). */
  readonly unknown?: unknown;
}

type Table = { readonly [K in CommandName]: Case<K> };

const ghost = { name: 'ghost' };

const CASES: Table = {
  getStatus: {
    input: {},
    check: (out) => {
      expect(out.services.map((s) => s.name)).toEqual(['api', 'db']);
      expect(out.recent_healing.map((e) => e.action)).toEqual([
        'instance_added',
        'scaling_executed',
        'restart',
      ]);
      expect(out.last_status_event?.event).toBe('system-ready');
    },
    bad: { input: { verbose: true }, field: 'verbose' },
  },
  listServices: {
    input: {},
    check: (out) => expect(out.total_services).toBe(2),
    bad: { input: { x: 1 }, field: 'x' },
  },
  getService: {
    input: { name: 'api' },
    check: (out) => {
      expect(out.name).toBe('api');
      expect(out.spec).toEqual({ name: 'api' });
      expect(out.health_history).toEqual([PROBE]);
      expect(out.replicas?.instances.map((i) => i.id)).toEqual(['api#0', 'api#1']);
    },
    bad: { input: { name: 'Not A Name' }, field: 'name' },
    unknown: ghost,
  },
  getServiceHistory: {
    input: { name: 'api', points: 50 },
    check: (out, fake) => {
      expect(out.service).toBe('api');
      expect(out.restarts).toEqual([{ ts: FAKE_START + 1, reason: CRASH, action: 'restart' }]);
      expect(fake.calls.at(-1)?.input).toEqual({ name: 'api', points: 50 });
    },
    bad: { input: { name: 'db', points: 0 }, field: 'points' },
    unknown: ghost,
  },
  getHealthStatus: {
    input: {},
    check: (out) => expect(Object.keys(out.services)).toEqual(['api', 'db']),
    bad: { input: { all: 1 }, field: 'all' },
  },
  getDependencies: {
    input: {},
    check: (out) => expect(out.startup_order).toEqual(['api', 'db']),
    bad: { input: { format: 'x' }, field: 'format' },
  },
  getHealingHistory: {
    input: { limit: 5, service: 'api' },
    check: (out, fake) => {
      expect(out.events.map((e) => e.action)).toEqual([
        'instance_added',
        'scaling_executed',
        'restart',
      ]);
      expect(out.events[0]?.replica).toEqual({ instance: 'api#1', from: 1, to: 2, pool: POOL });
      // Query strings arrive as text; the contract coerces them back to numbers.
      expect(fake.calls.at(-1)?.input).toEqual({ limit: 5, service: 'api' });
    },
    bad: { input: { limit: 'many' }, field: 'limit' },
    unknown: { service: 'ghost' },
  },
  restartService: {
    input: { name: 'api', force: true },
    check: (out, fake) => {
      expect(out.restart_count).toBe(2);
      expect(fake.calls.at(-1)?.input).toEqual({ name: 'api', force: true });
    },
    bad: { input: { name: 'api', force: 'yes' }, field: 'force' },
    unknown: ghost,
  },
  startService: {
    input: { name: 'db' },
    check: (out) => expect(out.lifecycle).toBe('running'),
    bad: { input: { name: '-db' }, field: 'name' },
    unknown: ghost,
  },
  stopService: {
    input: { name: 'db' },
    check: (out) =>
      expect(out).toMatchObject({ service: 'db', lifecycle: 'stopped', status: 'stopped' }),
    bad: { input: { name: 'db', now: true }, field: 'now' },
    unknown: ghost,
  },
  quarantineService: {
    input: { name: 'api', reason: 'flapping' },
    check: (out, fake) => {
      expect(out.lifecycle).toBe('quarantined');
      expect(fake.service('api').quarantine_reason).toBe('flapping');
    },
    bad: { input: { name: 'api', reason: 'x'.repeat(501) }, field: 'reason' },
    unknown: ghost,
  },
  releaseService: {
    input: { name: 'api' },
    check: (out) => expect(out.message).toBe('released api'),
    bad: { input: { name: 'a'.repeat(65) }, field: 'name' },
    unknown: ghost,
  },
  startAll: {
    input: {},
    check: (out) => expect(out.success).toBe(true),
    bad: { input: { only: ['api'] }, field: 'only' },
  },
  stopAll: {
    input: {},
    check: (out, fake) => {
      expect(out.message).toBe('stopped every service');
      expect(fake.service('db').lifecycle).toBe('stopped');
    },
    bad: { input: { force: true }, field: 'force' },
  },
  checkHealthNow: {
    input: {},
    check: (out) => expect(out.results['db']?.ok).toBe(true),
    bad: { input: { service: 'db' }, field: 'service' },
  },
  getStats: {
    input: {},
    check: (out) => expect(out.metrics.total_services).toBe(2),
    bad: { input: { window: '1h' }, field: 'window' },
  },
  getLogs: {
    input: { name: 'api', tail: 1 },
    check: (out) => {
      expect(out.lines).toEqual([
        { seq: 2, ts: FAKE_START + 2, stream: 'stderr', line: 'second', instance: 'api#1' },
      ]);
      expect(out.last_seq).toBe(2);
    },
    bad: { input: { name: 'api', tail: 0 }, field: 'tail' },
    unknown: ghost,
  },
  getReport: {
    input: { format: 'csv', since: '1h' },
    check: (out) => {
      expect(out.format).toBe('csv');
      expect(out.content_type).toMatch(/^text\/csv/);
      expect(out.filename).toBe('vigil-report.csv');
      expect(out.body).toBe('service,restarts\napi,0\n');
    },
    bad: { input: { format: 'pdf' }, field: 'format' },
  },
  setWatch: {
    input: { name: 'api', enabled: false },
    check: (out, fake) => {
      expect(out.watch.enabled).toBe(false);
      expect(out.watch.state).toBe('off');
      expect(fake.calls.at(-1)?.input).toEqual({ name: 'api', enabled: false });
    },
    bad: { input: { name: 'api', enabled: 'off' }, field: 'enabled' },
    unknown: { name: 'ghost', enabled: true },
  },
  scaleService: {
    input: { name: 'api', replicas: 4 },
    check: (out, fake) => {
      expect(out.replicas.desired).toBe(4);
      expect(out.replicas.instances.map((i) => i.id)).toEqual(['api#0', 'api#1', 'api#2', 'api#3']);
      expect(fake.calls.at(-1)?.input).toEqual({ name: 'api', replicas: 4 });
    },
    bad: { input: { name: 'api', replicas: 0 }, field: 'replicas' },
    unknown: { name: 'ghost', replicas: 2 },
  },
  failoverService: {
    input: { name: 'api' },
    check: (out) => {
      expect(out.replicas.failover).toMatchObject({ route: 'backup', pinned: true });
    },
    bad: { input: { name: 'api', back: 'yes' }, field: 'back' },
    unknown: ghost,
  },
  reload: {
    input: {},
    check: (out) => expect(out.applied).toBe(true),
    bad: { input: { file: 'x.yaml' }, field: 'file' },
  },
  register: {
    input: {
      name: 'ext',
      url: 'http://127.0.0.1:7000',
      capabilities: ['sql'],
      heartbeat_interval: 500,
    },
    check: (out, fake) => {
      expect(out.heartbeat_interval_ms).toBe(500);
      expect(fake.service('ext').registered).toBe(true);
    },
    bad: { input: { name: 'ext', url: 'ftp://example.com' }, field: 'url' },
  },
  heartbeat: {
    input: { name: 'db' },
    check: (out) => expect(out.message).toBe('heartbeat of db'),
    bad: { input: {}, field: 'name' },
    unknown: ghost,
  },
  deregister: {
    input: { name: 'db' },
    check: (out, fake) => {
      expect(out.message).toBe('deregistered db');
      expect(() => fake.service('db')).toThrow();
    },
    bad: { input: { name: 'DB!' }, field: 'name' },
    unknown: ghost,
  },
  shutdown: {
    input: {},
    check: (out) => expect(out.message).toBe('shutting down'),
    bad: { input: { now: 1 }, field: 'now' },
  },
};

/** The server and the IPC handlers stay up; each test gets a fresh fake behind them. */
let current = new FakeVigil();
const delegatingApi = Object.fromEntries(
  COMMAND_NAMES.map((name) => [
    name,
    (input: unknown, ctx: unknown) =>
      (current.api[name] as (i: unknown, c: unknown) => Promise<unknown>)(input, ctx),
  ]),
) as unknown as VigilApi;
const delegatingEvents: EventSource = {
  snapshot: () => current.snapshot(),
  subscribe: (l) => current.subscribe(l),
};

interface Transport {
  readonly name: string;
  /** The actor the api sees for this transport's calls. */
  readonly actor: Actor;
  client(): VigilClient;
}

let server: HttpServerHandle;
const TOKEN = 'contract-test-token-0123456789';
const ipc = fakeIpcPair();
const bridge = buildBridge(ipc.ipcRenderer);
const unregister = registerIpcHandlers(ipc.ipcMain, delegatingApi, { isTrustedSender: () => true });

beforeAll(async () => {
  server = await startHttpServer({
    api: delegatingApi,
    events: delegatingEvents,
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    logger: silentLogger,
    metrics: () => current.metricsText,
  });
});

afterAll(async () => {
  unregister();
  await server.close();
});

const PROBE = {
  ok: true,
  timedOut: false,
  latencyMs: 2.5,
  probe: 'http',
  detail: '200',
  ts: FAKE_START,
} as const;
const CRASH = {
  kind: 'exit',
  message: 'exited with code 1',
  exitCode: 1,
  signal: null,
} as const;
const POOL = ['api#0', 'api#1'];

/**
 * `api` is replicated, watched, probed and restarted once, with replica events in its history, so
 * that the answers' nested views are there for the output schemas to check.
 */
beforeEach(() => {
  current = new FakeVigil();
  current.setService('api', {
    watch: fakeWatchView(),
    replicas: fakeReplicasView('api', 2, { failover: 'db' }),
    last_check: PROBE,
    last_restart: new Date(FAKE_START).toISOString(),
    last_restart_reason: CRASH,
    restart_count: 1,
    dependencies: {
      required: ['db'],
      optional: [],
      conditions: { db: 'healthy' },
      dependents: [],
      layer: 1,
    },
  });
  current.healingEvent('api', 'restart', { reason: CRASH, rung: 1, delayMs: 1000 });
  current.healingEvent('api', 'scaling_executed', {
    replica: { from: 1, to: 2, metric: { name: 'cpu', value: 91.5, target: 70 } },
  });
  current.healingEvent('api', 'instance_added', {
    replica: { instance: 'api#1', from: 1, to: 2, pool: POOL },
  });
  current.statusEvent({
    event: 'system-ready',
    message: 'ready in 1.2s',
    readyInMs: 1200,
    criticalChain: [{ service: 'db', atMs: 400, tookMs: 400 }],
  });
  current.log('api', 'first', 'stdout', 'api#0');
  current.log('api', 'second', 'stderr', 'api#1');
});

const TRANSPORTS: readonly Transport[] = [
  { name: 'in-process', actor: 'cli', client: () => createInProcessClient(delegatingApi, 'cli') },
  {
    name: 'http',
    actor: 'cli',
    client: () => createHttpClient({ baseUrl: server.url, token: TOKEN, client: 'cli' }),
  },
  { name: 'ipc', actor: 'ui', client: () => bridge },
];

async function failure(p: Promise<unknown>): Promise<VigilError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    return err as VigilError;
  }
  throw new Error('expected the call to fail');
}

const call = (client: VigilClient, name: CommandName, input: unknown): Promise<unknown> =>
  (client[name] as (i: unknown) => Promise<unknown>)(input);

it('the table covers every command of the contract', () => {
  expect(Object.keys(CASES).sort()).toEqual([...COMMAND_NAMES].sort());
});

describe.each(TRANSPORTS)('$name transport', (transport) => {
  describe.each(COMMAND_NAMES)('%s', (name) => {
    const c = CASES[name] as Case<CommandName>;

    it('answers the happy path, fitting its output schema, and records who called', async () => {
      const out = await call(transport.client(), name, c.input);
      (c.check as (o: unknown, f: FakeVigil) => void)(out, current);
      expect(outputProblems(name, out)).toEqual([]);
      const last = current.calls.at(-1);
      expect(last?.command).toBe(name);
      expect(last?.actor).toBe(transport.actor);
    });

    it('refuses bad input with BAD_REQUEST naming the field, before the api runs', async () => {
      const err = await failure(call(transport.client(), name, c.bad.input));
      expect(err.code).toBe('BAD_REQUEST');
      expect(err.status).toBe(400);
      expect(err.field).toBe(c.bad.field);
      expect(current.calls).toEqual([]);
    });

    if (c.unknown !== undefined) {
      it('propagates UNKNOWN_SERVICE as a 404 with its envelope', async () => {
        const err = await failure(call(transport.client(), name, c.unknown));
        expect(err.code).toBe('UNKNOWN_SERVICE');
        expect(err.status).toBe(404);
        expect(err.message).toContain('ghost');
        expect(err.hint).toBe('known services: api, db');
        const env = err.toEnvelope();
        expect(Object.keys(env)).toEqual(['error']);
        expect(env.error).toMatchObject({ code: 'UNKNOWN_SERVICE', field: 'name' });
      });
    }
  });

  it('passes a conflict through with its code and status', async () => {
    const client = transport.client();
    await client.quarantineService({ name: 'api' });
    const err = await failure(client.restartService({ name: 'api' }));
    expect(err.code).toBe('QUARANTINED');
    expect(err.status).toBe(409);
    expect(err.hint).toBe('release it, or restart with force');
  });

  it('hides an unexpected failure behind INTERNAL without its text', async () => {
    current.failures.set('getStats', new Error('secret detail at /home/x/y.ts:12'));
    const err = await failure(transport.client().getStats({}));
    expect(err.code).toBe('INTERNAL');
    expect(err.status).toBe(500);
    expect(err.message).not.toContain('secret');
    expect(err.stack ?? '').not.toContain('y.ts');
  });

  it('a quarantined service restarts with force', async () => {
    const client = transport.client();
    await client.quarantineService({ name: 'db', reason: 'manual' });
    const out = await client.restartService({ name: 'db', force: true });
    expect(out.lifecycle).toBe('running');
  });
});
