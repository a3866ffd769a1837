/**
 * The contract table against the real API: `createApi` over a real supervisor running two tiny
 * Node services, with a real SQLite history, called through every transport (in-process, HTTP on
 * 127.0.0.1:0, IPC through the fake ipcMain/ipcRenderer pair). Each command's happy path must
 * answer what the contract promises and leave its effect on the supervisor; bad input is refused
 * before the API runs; an unknown service is a 404 envelope, whichever way the call arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMAND_NAMES,
  type CommandName,
  type OutputOf,
  type VigilClient,
} from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import { createHttpClient } from '../../shared/client/http.js';
import { buildBridge } from '../../preload/bridge.js';
import { loadStack } from '../core/config/index.js';
import { createApi, eventSource } from '../api/api.js';
import { instanceReady } from '../core/replicas/index.js';
import { registry } from '../api/registry.js';
import { silentLogger } from '../core/logger.js';
import { prometheusMetrics } from '../api/metrics.js';
import { createReloader, type Reloader } from '../core/reload.js';
import { HistoryStore } from '../core/store/index.js';
import { Supervisor } from '../core/supervisor.js';
import { EventLog, freePorts, tempStack, type TempStack } from '../core/testing/fixtures.js';
import { startHttpServer, type HttpServerHandle } from './http.js';
import { createInProcessClient } from './inprocess.js';
import { registerIpcHandlers } from './ipc.js';
import { fakeIpcPair } from './testing/fake-ipc.js';
import { outputProblems } from './testing/outputs.js';

const TOKEN = 'contract-real-token-0123456789abcdef';

/** One running stack and the things a case may look at. */
interface World {
  readonly sup: Supervisor;
  readonly log: EventLog;
  readonly stack: TempStack;
  /** Who the transport says is calling. */
  readonly actor: 'cli' | 'ui';
  shutdowns: number;
}

interface Case<K extends CommandName> {
  readonly input: unknown;
  readonly check: (out: OutputOf<K>, world: World) => void | Promise<void>;
  readonly bad: { readonly input: unknown; readonly field: string };
  readonly unknown?: unknown;
}

type Table = { readonly [K in CommandName]: Case<K> };

const ghost = { name: 'ghost' };
const lifecycleOf = (w: World, name: string): string | undefined =>
  w.sup.runners.get(name)?.facts().lifecycle;

async function waitUntil(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const CASES: Table = {
  getStatus: {
    input: {},
    check: (out) =>
      expect(out.services.map((s) => s.name).sort()).toEqual(['pool', 'stub', 'web', 'worker']),
    bad: { input: { verbose: true }, field: 'verbose' },
  },
  listServices: {
    input: {},
    check: (out) => {
      expect(out.total_services).toBe(4);
      expect(out.is_ready).toBe(true);
    },
    bad: { input: { x: 1 }, field: 'x' },
  },
  getService: {
    input: { name: 'web' },
    check: (out) => {
      expect(out.name).toBe('web');
      expect(out.dependencies.dependents).toEqual(['worker']);
    },
    bad: { input: { name: 'Not A Name' }, field: 'name' },
    unknown: ghost,
  },
  getServiceHistory: {
    input: { name: 'web', since: '1h', points: 10 },
    check: (out) => {
      expect(out.service).toBe('web');
      expect(out.until).toBeGreaterThan(out.since);
    },
    bad: { input: { name: 'web', points: 0 }, field: 'points' },
    unknown: ghost,
  },
  getHealthStatus: {
    input: {},
    check: (out) =>
      expect(Object.keys(out.services).sort()).toEqual(['pool', 'stub', 'web', 'worker']),
    bad: { input: { x: 1 }, field: 'x' },
  },
  getDependencies: {
    input: {},
    check: (out) => {
      expect(out.nodes.map((n) => n.name).sort()).toEqual(['pool', 'stub', 'web', 'worker']);
      expect(out.edges).toHaveLength(1);
    },
    bad: { input: { x: 1 }, field: 'x' },
  },
  getHealingHistory: {
    input: { limit: 5 },
    check: (out) => expect(Array.isArray(out.events)).toBe(true),
    bad: { input: { limit: 0 }, field: 'limit' },
    unknown: { service: 'ghost' },
  },
  restartService: {
    input: { name: 'worker' },
    check: async (out, w) => {
      expect(out.service).toBe('worker');
      await waitUntil('worker running again', () => lifecycleOf(w, 'worker') === 'running');
      const restart = w.log.events.find(
        (e) => e.type === 'healing_event' && e.service === 'worker' && e.action === 'restart',
      );
      expect(restart?.type === 'healing_event' && restart.reason.by).toBe(w.actor);
    },
    bad: { input: { name: 'worker', force: 'yes' }, field: 'force' },
    unknown: ghost,
  },
  startService: {
    input: { name: 'worker' },
    check: async (out, w) => {
      expect(out.service).toBe('worker');
      await waitUntil('worker running', () => lifecycleOf(w, 'worker') === 'running');
    },
    bad: { input: { name: 'worker', now: true }, field: 'now' },
    unknown: ghost,
  },
  stopService: {
    input: { name: 'worker' },
    check: async (out, w) => {
      expect(out.service).toBe('worker');
      await waitUntil('worker stopped', () => lifecycleOf(w, 'worker') === 'stopped');
    },
    bad: { input: {}, field: 'name' },
    unknown: ghost,
  },
  quarantineService: {
    input: { name: 'worker', reason: 'contract test' },
    check: async (out, w) => {
      expect(out.service).toBe('worker');
      await waitUntil('worker quarantined', () => lifecycleOf(w, 'worker') === 'quarantined');
    },
    bad: { input: { name: 'worker', reason: 'x'.repeat(501) }, field: 'reason' },
    unknown: ghost,
  },
  releaseService: {
    input: { name: 'worker' },
    check: async (out, w) => {
      expect(out.service).toBe('worker');
      await waitUntil('worker running', () => lifecycleOf(w, 'worker') === 'running');
    },
    bad: { input: { name: 7 }, field: 'name' },
    unknown: ghost,
  },
  startAll: {
    input: {},
    check: async (out, w) => {
      expect(out.success).toBe(true);
      await waitUntil('both running', () =>
        ['web', 'worker'].every((n) => lifecycleOf(w, n) === 'running'),
      );
    },
    bad: { input: { x: 1 }, field: 'x' },
  },
  stopAll: {
    input: {},
    check: async (out, w) => {
      expect(out.success).toBe(true);
      await waitUntil('both stopped', () =>
        ['web', 'worker'].every((n) => lifecycleOf(w, n) === 'stopped'),
      );
      // Back to a running stack for the cases that follow.
      await w.sup.startAll({ kind: 'manual', message: 'test', by: 'api' });
      await waitUntil('both running', () =>
        ['web', 'worker'].every((n) => lifecycleOf(w, n) === 'running'),
      );
    },
    bad: { input: { x: 1 }, field: 'x' },
  },
  checkHealthNow: {
    input: {},
    check: (out) =>
      expect(Object.keys(out.results).sort()).toEqual(['pool', 'stub', 'web', 'worker']),
    bad: { input: { x: 1 }, field: 'x' },
  },
  getStats: {
    input: {},
    check: (out) => expect(out.metrics.total_services).toBe(4),
    bad: { input: { x: 1 }, field: 'x' },
  },
  getLogs: {
    input: { name: 'web', tail: 50 },
    check: (out) => {
      expect(out.service).toBe('web');
      expect(out.lines.some((l) => l.line.includes('listening'))).toBe(true);
    },
    bad: { input: { name: 'web', tail: 0 }, field: 'tail' },
    unknown: ghost,
  },
  getReport: {
    input: { format: 'json' },
    check: (out) => {
      expect(out.format).toBe('json');
      expect(out.content_type).toContain('application/json');
      expect(JSON.parse(out.body)).toBeTypeOf('object');
    },
    bad: { input: { format: 'pdf' }, field: 'format' },
  },
  reload: {
    input: {},
    check: (out) => {
      expect(out.success).toBe(true);
      expect([...out.changes.unchanged].sort()).toEqual(['pool', 'stub', 'web', 'worker']);
    },
    bad: { input: { x: 1 }, field: 'x' },
  },
  setWatch: {
    input: { name: 'web', enabled: false },
    check: (out, w) => {
      expect(out.service).toBe('web');
      expect(out.watch).toMatchObject({ enabled: false, state: 'off' });
      expect(w.sup.watch.view('web')?.enabled).toBe(false);
    },
    bad: { input: { name: 'web', enabled: 'off' }, field: 'enabled' },
    unknown: { name: 'ghost', enabled: true },
  },
  scaleService: {
    input: { name: 'pool', replicas: 3 },
    check: async (out, w) => {
      expect(out.replicas.desired).toBe(3);
      await waitUntil('three ready instances of pool', () => {
        const set = w.sup.replicaSet('pool');
        return set.instances().filter((s) => instanceReady(s.runner)).length === 3;
      });
    },
    bad: { input: { name: 'pool', replicas: -1 }, field: 'replicas' },
    unknown: { name: 'ghost', replicas: 2 },
  },
  failoverService: {
    input: { name: 'pool' },
    check: (out) => {
      expect(out.replicas.failover).toMatchObject({
        backup: 'stub',
        route: 'backup',
        pinned: true,
      });
    },
    bad: { input: { name: 'pool', back: 1 }, field: 'back' },
    unknown: ghost,
  },
  register: {
    input: { name: 'ext', url: 'http://127.0.0.1:1' },
    check: (out, w) => {
      expect(out.service).toBe('ext');
      expect(w.sup.runners.has('ext')).toBe(true);
    },
    bad: { input: { name: 'ext', url: 'ftp://x' }, field: 'url' },
  },
  deregister: {
    input: { name: 'ext' },
    check: (out, w) => {
      expect(out.success).toBe(true);
      expect(w.sup.runners.has('ext')).toBe(false);
      expect(w.sup.graph.nodes.has('ext')).toBe(false);
      // Registered again for the heartbeat case.
      registry(w.sup).register({ name: 'ext', url: 'http://127.0.0.1:1' });
    },
    bad: { input: { name: 'Not A Name' }, field: 'name' },
    unknown: ghost,
  },
  heartbeat: {
    input: { name: 'ext' },
    check: (out) => expect(out.success).toBe(true),
    bad: { input: { name: '' }, field: 'name' },
    unknown: ghost,
  },
  shutdown: {
    input: {},
    check: async (out, w) => {
      expect(out.success).toBe(true);
      // The host is asked to shut down after the answer has left.
      await waitUntil('the host asked to shut down', () => w.shutdowns === 1);
    },
    bad: { input: { now: true }, field: 'now' },
  },
};

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

interface Running {
  readonly world: World;
  readonly client: VigilClient;
  close(): Promise<void>;
}

type TransportName = 'in-process' | 'http' | 'ipc';

async function openStack(transport: TransportName): Promise<Running> {
  const [webPort, workerPort, poolPort, stubPort] = await freePorts(4);
  const stack = tempStack(`version: 1
services:
  web:
    command: node svc.mjs
    port: ${webPort}
    watch: { paths: [src/] }
  worker:
    command: node svc.mjs
    port: ${workerPort}
    depends_on: [web]
  pool:
    command: node svc.mjs
    port: ${poolPort}
    replicas: 2
    failover: { backup: stub, failback_after: 1s }
  stub:
    command: node svc.mjs
    port: ${stubPort}
`);
  const loaded = loadStack(stack.file, { env: process.env });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const store = HistoryStore.open(stack.dataDir);
  const sup = new Supervisor({
    config: loaded.config,
    dataDir: stack.dataDir,
    sampleIntervalMs: 0,
    store,
  });
  const log = new EventLog();
  sup.subscribe(log.push);
  const reloader: Reloader = createReloader(sup, { logger: silentLogger, env: process.env });
  const world: World = { sup, log, stack, actor: transport === 'ipc' ? 'ui' : 'cli', shutdowns: 0 };
  const api = createApi(sup, {
    shutdown: () => {
      world.shutdowns += 1;
    },
    reload: (actor) => reloader.reload(actor),
  });
  const closers: (() => Promise<void> | void)[] = [];
  let client: VigilClient;
  switch (transport) {
    case 'in-process':
      client = createInProcessClient(api, 'cli');
      break;
    case 'http': {
      const server: HttpServerHandle = await startHttpServer({
        api,
        events: eventSource(sup),
        host: '127.0.0.1',
        port: 0,
        token: TOKEN,
        logger: silentLogger,
        metrics: () => prometheusMetrics(sup),
      });
      closers.push(() => server.close());
      client = createHttpClient({ baseUrl: server.url, token: TOKEN, client: 'cli' });
      break;
    }
    case 'ipc': {
      const pair = fakeIpcPair('file:///app/renderer/index.html');
      closers.push(registerIpcHandlers(pair.ipcMain, api, { isTrustedSender: () => true }));
      client = buildBridge(pair.ipcRenderer);
      break;
    }
  }
  await sup.start();
  await log.waitFor(
    (e) => e.type === 'status_update' && e.event === 'system-ready',
    15_000,
    'system ready',
  );
  return {
    world,
    client,
    async close() {
      for (const c of closers.reverse()) await c();
      reloader.close();
      await sup.shutdown('stopped', 'SIGKILL');
      store.close();
      stack.cleanup();
    },
  };
}

it('the table covers every command of the contract', () => {
  expect(Object.keys(CASES).sort()).toEqual([...COMMAND_NAMES].sort());
});

describe.each(['in-process', 'http', 'ipc'] as const)('%s transport, real API', (transport) => {
  let running: Running;
  beforeAll(async () => {
    running = await openStack(transport);
  }, 30_000);
  afterAll(async () => {
    await running?.close();
  });

  describe.each(COMMAND_NAMES)('%s', (name) => {
    const c = CASES[name] as Case<CommandName>;

    it('refuses bad input with BAD_REQUEST naming the field', async () => {
      const err = await failure(call(running.client, name, c.bad.input));
      expect(err.code).toBe('BAD_REQUEST');
      expect(err.status).toBe(400);
      expect(err.field).toBe(c.bad.field);
    });

    if (c.unknown !== undefined) {
      it('answers an unknown service with UNKNOWN_SERVICE (404)', async () => {
        const err = await failure(call(running.client, name, c.unknown));
        expect(err.code).toBe('UNKNOWN_SERVICE');
        expect(err.status).toBe(404);
        expect(err.message).toContain('ghost');
      });
    }

    it('answers the happy path and acts on the supervisor', async () => {
      const out = await call(running.client, name, c.input);
      await (c.check as (o: unknown, w: World) => void | Promise<void>)(out, running.world);
      // The real answer fits the output schema the contract declares, with no undeclared field.
      expect(outputProblems(name, out)).toEqual([]);
    });
  });

  it('after the actions, the read views with restarts and replica events in them still fit', async () => {
    const client = running.client;
    const history = await client.getHealingHistory({ limit: 1000 });
    expect(outputProblems('getHealingHistory', history)).toEqual([]);
    expect(history.events.some((e) => e.action === 'restart' && e.service === 'worker')).toBe(true);
    // Scaling pool to 3 told which instance joined.
    expect(history.events.some((e) => e.action === 'instance_added' && e.replica?.instance)).toBe(
      true,
    );
    const status = await client.getStatus({});
    expect(outputProblems('getStatus', status)).toEqual([]);
    expect(status.last_status_event).not.toBeNull();
    const worker = await client.getService({ name: 'worker' });
    expect(outputProblems('getService', worker)).toEqual([]);
    expect(worker.last_restart_reason).not.toBeNull();
    const pool = await client.getService({ name: 'pool' });
    expect(outputProblems('getService', pool)).toEqual([]);
    expect(pool.replicas?.instances).toHaveLength(3);
    const chart = await client.getServiceHistory({ name: 'worker', since: '1h' });
    expect(outputProblems('getServiceHistory', chart)).toEqual([]);
    expect(chart.restarts.length).toBeGreaterThan(0);
    const logs = await client.getLogs({ name: 'pool', instance: 0 });
    expect(outputProblems('getLogs', logs)).toEqual([]);
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.lines.every((l) => l.instance === 'pool#0')).toBe(true);
  });
});
