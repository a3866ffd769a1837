/**
 * Replicated services with real processes and a real balancer: instances with their own ports
 * and environment, aggregate health and dependency conditions, rolling restart (and a failed
 * one), scaling, failover and failback, automatic scaling, instance-tagged logs, a plain service
 * left as it was, and a front port that is taken.
 */
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealingEvent } from '../../../shared/events.js';
import { loadStack } from '../config/index.js';
import { serviceView } from '../../api/views.js';
import { EventLog, freePorts } from '../testing/fixtures.js';
import { stackLab } from '../testing/stacks.js';
import { ServiceRunner } from '../runtime/runner.js';
import { ReplicaSet } from './replica-set.js';
import { instanceReady } from './aggregate.js';

const lab = stackLab();
const servers: net.Server[] = [];

afterEach(async () => {
  await lab.cleanup();
  for (const s of servers.splice(0)) s.close();
});

/** Answers with its instance and env; `/slow` holds the answer for SLOW_MS; /health is 200. */
const ECHO = `
import http from 'node:http';
const port = Number(process.env.PORT);
const server = http.createServer((req, res) => {
  if (req.url === '/health') { res.writeHead(200); res.end('ok'); return; }
  const body = JSON.stringify({ instance: process.env.VIGIL_INSTANCE, replica: process.env.VIGIL_REPLICA, port, pid: process.pid });
  if (req.url === '/slow') { setTimeout(() => { res.writeHead(200); res.end(body); }, Number(process.env.SLOW_MS || 4000)); return; }
  res.writeHead(200, { 'content-type': 'application/json' }); res.end(body);
});
server.listen(port, '127.0.0.1', () => console.log('listening ' + port));
process.on('SIGTERM', () => { server.close(); setTimeout(() => process.exit(0), 20); });
`;

const launch = async (
  yaml: string,
  files: Record<string, string> = {},
  opts: { history?: boolean } = {},
) => lab.launch(yaml, { 'echo.mjs': ECHO, ...files }, opts);

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Answer {
  readonly status: number;
  readonly instance: string | null;
  readonly body: string;
}

function get(port: number, path = '/'): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          instance: (res.headers['x-vigil-instance'] as string | undefined) ?? null,
          body,
        }),
      );
    });
    req.on('error', (err) => resolve({ status: 0, instance: null, body: String(err) }));
  });
}

const readyCount = (set: ReplicaSet): number =>
  set.instances().filter((s) => s.state === 'active' && instanceReady(s.runner)).length;

const healing = (log: EventLog, action: HealingEvent['action']): HealingEvent[] =>
  log.events.filter((e): e is HealingEvent => e.type === 'healing_event' && e.action === action);

/** Sends GETs one after another until `stop()` is called (bounded); collects the answers. */
function steadyLoad(port: number, maxMs = 30_000) {
  const answers: Answer[] = [];
  let stopped = false;
  const end = Date.now() + maxMs;
  const done = (async () => {
    while (!stopped && Date.now() < end && answers.length < 20_000) answers.push(await get(port));
  })();
  return {
    answers,
    stop: async () => {
      stopped = true;
      await done;
      return answers;
    },
  };
}

describe('replicated services', () => {
  it('runs N instances on their own ports with PORT, VIGIL_REPLICA and VIGIL_INSTANCE, balanced round robin', async () => {
    const [front] = await freePorts(1);
    const { sup } = await launch(`version: 1
services:
  api:
    command: node echo.mjs
    port: ${front}
    replicas: 3
    health: { http: /health, interval: 1s }
`);
    const set = sup.replicaSet('api');
    await until('3 ready instances', () => readyCount(set) === 3);
    const ports = set.instances().map((s) => s.port);
    expect(new Set(ports).size).toBe(3);
    expect(ports).not.toContain(front);
    const seen = new Map<string, { replica: string; port: number }>();
    for (let i = 0; i < 6; i++) {
      const a = await get(front!);
      expect(a.status).toBe(200);
      const body = JSON.parse(a.body) as { instance: string; replica: string; port: number };
      expect(a.instance).toBe(body.instance);
      seen.set(body.instance, { replica: body.replica, port: body.port });
    }
    expect([...seen.keys()].sort()).toEqual(['api#0', 'api#1', 'api#2']);
    for (const [id, v] of seen) {
      expect(v.replica).toBe(id.slice(4));
      expect(v.port).toBe(set.instances().find((s) => s.id === id)!.port);
    }
    const view = serviceView(sup, set);
    expect(view.status).toBe('healthy');
    expect(view.pid).toBeNull();
    expect(view.replicas?.desired).toBe(3);
    expect(view.replicas?.ready).toBe(3);
    expect(view.replicas?.balancer).toMatchObject({ port: front, listening: true, mode: 'http' });
    expect(view.replicas?.instances.map((i) => i.requests).reduce((a, b) => a + b, 0)).toBe(6);
  });

  it("is degraded with some instances down, and meets a dependent's healthy condition at min_ready", async () => {
    const [front, webPort] = await freePorts(2);
    const { sup } = await launch(
      `version: 1
services:
  api:
    command: node flaky.mjs
    port: ${front}
    replicas: 3
    min_ready: 2
    health: { http: /health, interval: 500ms }
  web:
    command: node echo.mjs
    port: ${webPort}
    depends_on: { api: { condition: healthy } }
`,
      {
        // Instance 2 never listens: two of three ready.
        'flaky.mjs': `if (process.env.VIGIL_REPLICA === '2') setInterval(() => {}, 1000); else await import('./echo.mjs');`,
      },
    );
    const set = sup.replicaSet('api');
    await until('web running', () => sup.runner('web').lifecycle === 'running');
    expect(readyCount(set)).toBe(2);
    expect(set.lifecycle).toBe('running');
    expect(serviceView(sup, set).status).toBe('degraded');
    for (let i = 0; i < 6; i++) expect((await get(front!)).instance).not.toBe('api#2');
  });

  it('rolls a restart one instance at a time under load with no failed request', async () => {
    const [front] = await freePorts(1);
    const { sup, log } = await launch(`version: 1
services:
  api:
    command: node echo.mjs
    port: ${front}
    replicas: 3
    health: { http: /health, interval: 300ms }
`);
    const set = sup.replicaSet('api');
    await until('3 ready', () => readyCount(set) === 3);
    const before = set.instances().map((s) => s.runner.pid);
    const load = steadyLoad(front!);
    await new Promise((r) => setTimeout(r, 200));
    const how = await set.restart({ kind: 'manual', message: 'test', by: 'api' });
    const answers = await load.stop();
    expect(how).toMatch(/rolling/);
    expect(answers.length).toBeGreaterThan(20);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(readyCount(set)).toBe(3);
    const after = set.instances().map((s) => s.runner.pid);
    for (const pid of before) expect(after).not.toContain(pid);
    expect(healing(log, 'instance_added').length).toBe(6);
    expect(healing(log, 'instance_lost').length).toBe(3);
  });

  it('keeps the running instances when a rolling replacement never becomes ready', async () => {
    const [front] = await freePorts(1);
    const { sup, stack } = await launch(`version: 1
services:
  api:
    command: node echo.mjs
    port: ${front}
    replicas: 2
    startup_timeout: 2s
    health: { http: /health, interval: 300ms }
`);
    const set = sup.replicaSet('api');
    await until('2 ready', () => readyCount(set) === 2);
    const before = set.instances().map((s) => s.runner.pid);
    // The new definition cannot start: a rolling update must stop at the first replacement.
    stack.write(`version: 1
services:
  api:
    command: node -e "process.exit(4)"
    port: ${front}
    replicas: 2
    startup_timeout: 2s
    health: { http: /health, interval: 300ms }
`);
    const loaded = loadStack(stack.file, { env: process.env });
    if (!loaded.ok) throw new Error('bad stack');
    sup.runner('api').updateSpec(loaded.config.services[0]!, 0);
    await expect(set.restart({ kind: 'config_change', message: 'changed' })).rejects.toThrow(
      /did not become ready.*kept/,
    );
    expect(set.instances().map((s) => s.runner.pid)).toEqual(before);
    expect(readyCount(set)).toBe(2);
    expect((await get(front!)).status).toBe(200);
  });

  it('stops while a rolling restart waits for a replacement, without waiting for its startup timeout', async () => {
    const [front] = await freePorts(1);
    const { sup } = await launch(
      `version: 1
services:
  api:
    command: node gate.mjs
    port: ${front}
    replicas: 2
    startup_timeout: 60s
    health: { http: /health, interval: 300ms }
`,
      {
        // The first two instances serve; any later one never listens.
        'gate.mjs': `import fs from 'node:fs';
const n = fs.existsSync('started') ? Number(fs.readFileSync('started', 'utf8')) : 0;
fs.writeFileSync('started', String(n + 1));
if (n < 2) await import('./echo.mjs'); else setInterval(() => {}, 1000);`,
      },
    );
    const set = sup.replicaSet('api');
    await until('2 ready', () => readyCount(set) === 2);
    const rolling = set.restart({ kind: 'manual', message: 'roll', by: 'cli' });
    await until('a replacement starting', () => set.instances().length === 3);
    await set.stop({ kind: 'manual', message: 'stop', by: 'cli' });
    await rolling.catch(() => undefined);
    expect(set.lifecycle).toBe('stopped');
    expect(set.instances().every((s) => s.runner.pid === null)).toBe(true);
  }, 20_000);

  it('scales up and down, draining before stopping, and leaves no process or port behind', async () => {
    const [front] = await freePorts(1);
    const { sup, log } = await launch(`version: 1
services:
  api:
    command: node echo.mjs
    port: ${front}
    replicas: 1
    env: { SLOW_MS: "1500" }
    balance: { strategy: least_connections }
    health: { http: /health, interval: 300ms }
`);
    const set = sup.replicaSet('api');
    await until('1 ready', () => readyCount(set) === 1);
    await set.scaleTo(4, { kind: 'manual', message: 'scale to 4', by: 'cli' });
    await until('4 ready', () => readyCount(set) === 4);
    const gone = set.instances().filter((s) => s.index > 0);
    const pids = gone.map((s) => s.runner.pid!);
    const ports = gone.map((s) => s.port!);
    // Long requests on the leaving instances (least_connections puts one on each) finish first.
    const held = Array.from({ length: 4 }, () => get(front!, '/slow'));
    await until('4 in flight', () => set.trafficStats().every((t) => t.active === 1));
    const msg = await set.scaleTo(1, { kind: 'manual', message: 'scale to 1', by: 'cli' });
    expect(msg).toBe('scaled api from 4 to 1 instance');
    expect((await Promise.all(held)).map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(set.instances().map((s) => s.id)).toEqual(['api#0']);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    for (const port of ports) {
      const s = net.createServer();
      await new Promise<void>((res, rej) => {
        s.once('error', rej);
        s.listen(port, '127.0.0.1', () => res());
      });
      await new Promise((r) => s.close(r));
    }
    const scaled = healing(log, 'scaling_executed');
    expect(scaled.map((e) => [e.replica?.from, e.replica?.to])).toEqual([
      [1, 4],
      [4, 1],
    ]);
  });

  it('fails over to the backup when no instance is ready, and back after failback_after', async () => {
    const [front, stubPort] = await freePorts(2);
    const { sup, log, stack } = await launch(
      `version: 1
services:
  api:
    command: node gated.mjs
    port: ${front}
    replicas: 2
    failover: { backup: stub, failback_after: 1s }
    health: { http: /health, interval: 200ms, failure_threshold: 1 }
    restart: { policy: never }
  stub:
    command: node echo.mjs
    port: ${stubPort}
`,
      {
        // Unhealthy while the file "down" exists in its folder.
        'gated.mjs': `
import fs from 'node:fs';
import http from 'node:http';
const port = Number(process.env.PORT);
http.createServer((req, res) => {
  const down = fs.existsSync('down');
  if (req.url === '/health') { res.writeHead(down ? 503 : 200); res.end(); return; }
  res.writeHead(200); res.end(process.env.VIGIL_INSTANCE);
}).listen(port, '127.0.0.1');
`,
      },
    );
    const set = sup.replicaSet('api');
    await until(
      'api and stub ready',
      () => readyCount(set) === 2 && sup.runner('stub').lifecycle === 'running',
    );
    expect((await get(front!)).instance).toMatch(/^api#/);
    // At launch the backup may answer first; the service takes its traffic back as soon as it
    // is ready for the first time (it cannot be flapping), not failback_after later.
    expect(
      healing(log, 'failback_completed').every((e) =>
        /ready for the first time/.test(e.reason.message),
      ),
    ).toBe(true);
    const launchEvents = healing(log, 'failover_completed').length;
    const fs = await import('node:fs');
    const path = await import('node:path');
    fs.writeFileSync(path.join(stack.dir, 'down'), '');
    await until('failover', () => healing(log, 'failover_completed').length === launchEvents + 1);
    expect((await get(front!)).instance).toBe('stub');
    expect(serviceView(sup, set).replicas?.failover).toMatchObject({
      route: 'backup',
      backup: 'stub',
    });
    fs.rmSync(path.join(stack.dir, 'down'));
    await until(
      'failback',
      () => healing(log, 'failback_completed').length === launchEvents + 1,
      20_000,
    );
    expect((await get(front!)).instance).toMatch(/^api#/);
    // Manual failover holds the backup until a manual failback.
    expect(set.manualFailover(false, { kind: 'manual', message: 'x', by: 'cli' })).toMatch(
      /goes to stub/,
    );
    expect((await get(front!)).instance).toBe('stub');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await get(front!)).instance).toBe('stub');
    set.manualFailover(true, { kind: 'manual', message: 'x', by: 'cli' });
    expect((await get(front!)).instance).toMatch(/^api#/);
  });

  it('scales automatically on connections in flight, within its bounds, and says why', async () => {
    const [front] = await freePorts(1);
    const { sup, log } = await launch(`version: 1
services:
  api:
    command: node echo.mjs
    port: ${front}
    env: { SLOW_MS: "3000" }
    scale: { min: 1, max: 3, metric: connections, target: 1, cooldown: 1s, window: 1s }
    health: { http: /health, interval: 300ms }
`);
    const set = sup.replicaSet('api');
    await until('1 ready', () => readyCount(set) === 1);
    const held = Array.from({ length: 4 }, () => get(front!, '/slow'));
    await until('scaled up', () => set.wanted > 1, 10_000);
    const up = healing(log, 'scaling_executed')[0]!;
    expect(up.replica?.metric).toMatchObject({ name: 'connections', target: 1 });
    expect(up.reason.message).toMatch(/automatic/);
    expect(set.wanted).toBeLessThanOrEqual(3);
    expect((await Promise.all(held)).every((a) => a.status === 200)).toBe(true);
    await until('scaled back to 1', () => set.wanted === 1, 20_000);
    await until('one instance left', () => set.instances().length === 1, 10_000);
  });

  it('applies a changed stack file: a new count in place, a new definition rolling, a plain service replaced', async () => {
    const [front, other] = await freePorts(2);
    const yaml = (replicas: number, env: string, otherKeys: string) => `version: 1
services:
  api:
    command: node echo.mjs
    port: ${front}
    replicas: ${replicas}
    env: { V: "${env}" }
    health: { http: /health, interval: 300ms }
  other:
    command: node echo.mjs
    port: ${other}
${otherKeys}`;
    const { sup, stack } = await launch(yaml(2, 'a', ''));
    const set = sup.replicaSet('api');
    await until('2 ready', () => readyCount(set) === 2);
    const reload = async (text: string) => {
      stack.write(text);
      const loaded = loadStack(stack.file, { env: process.env });
      if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
      return sup.applyConfig(loaded.config);
    };
    const pids = set.instances().map((s) => s.runner.pid);
    const c1 = await reload(yaml(3, 'a', ''));
    expect(c1.updated_in_place).toContain('api');
    await until('3 ready', () => readyCount(set) === 3);
    expect(
      set
        .instances()
        .slice(0, 2)
        .map((s) => s.runner.pid),
    ).toEqual(pids);

    const c2 = await reload(yaml(3, 'b', ''));
    expect(c2.restarted).toContain('api');
    await until('3 ready after the rolling update', () => readyCount(set) === 3);
    const now = set.instances().map((s) => s.runner.pid);
    for (const p of pids) expect(now).not.toContain(p);
    expect(set.instances().every((s) => s.runner.spec.env.V === 'b')).toBe(true);

    const c3 = await reload(yaml(3, 'b', '    replicas: 2\n'));
    expect(c3.restarted).toContain('other');
    expect(sup.runner('other')).toBeInstanceOf(ReplicaSet);
    await until('other replicated', () => readyCount(sup.replicaSet('other')) === 2);
    expect((await get(other!)).instance).toMatch(/^other#/);
  });

  it('keeps a history in which the service is up while min_ready instances serve, and down below', async () => {
    const [front] = await freePorts(1);
    const { sup } = await launch(
      `version: 1
services:
  api:
    command: node echo.mjs
    port: ${front}
    replicas: 2
    health: { http: /health, interval: 300ms }
    restart: { backoff: 1s }
`,
      {},
      { history: true },
    );
    const set = sup.replicaSet('api');
    await until('2 ready', () => readyCount(set) === 2);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 600));
    const store = sup.store!;
    expect(store.uptimePct('api', { since: t0, until: Date.now() })).toBe(100);
    // One instance lost: degraded, still up.
    process.kill(set.instances()[0]!.runner.pid!, 'SIGKILL');
    await until('1 ready', () => readyCount(set) === 1);
    expect(set.health).toBe('degraded');
    expect(store.uptimePct('api', { since: t0, until: Date.now() })).toBe(100);
    // Both lost: below min_ready, an outage.
    await until('2 ready again', () => readyCount(set) === 2, 10_000);
    for (const s of set.instances()) process.kill(s.runner.pid!, 'SIGKILL');
    await until('down', () => set.lifecycle !== 'running');
    await until('back', () => set.lifecycle === 'running', 10_000);
    const stats = store.serviceStats('api', { since: t0, until: Date.now() });
    expect(stats.uptimePct).toBeLessThan(100);
    expect(stats.outages).toBe(1);
    // Its chart is its instances' probes.
    const series = store.healthSeries('api#0', { since: t0, until: Date.now(), points: 1 });
    expect(series[0]!.count).toBeGreaterThan(0);
  });

  it('keeps the lines of every instance in the service log, tagged with the instance', async () => {
    const [front] = await freePorts(1);
    const { sup } = await launch(`version: 1
services:
  api:
    command: node echo.mjs
    port: ${front}
    replicas: 2
`);
    const set = sup.replicaSet('api');
    await until('2 ready', () => readyCount(set) === 2);
    await until('2 lines', () => set.logs.read({ limit: 100 }).length >= 2);
    const lines = set.logs.read({ limit: 100 });
    expect(new Set(lines.map((l) => l.instance))).toEqual(new Set(['api#0', 'api#1']));
    const one = set.logs.read({ limit: 100, instance: 'api#1' });
    expect(one.length).toBeGreaterThan(0);
    expect(one.every((l) => l.instance === 'api#1')).toBe(true);
    const fs = await import('node:fs');
    expect(fs.readFileSync(set.logs.file, 'utf8')).toMatch(/ out \[api#1\] listening/);
  });

  it('leaves a service with one instance and no balance as it was: no proxy in its path', async () => {
    const [port] = await freePorts(1);
    const { sup } = await launch(`version: 1
services:
  api:
    command: node echo.mjs
    port: ${port}
    replicas: 1
`);
    await until('running', () => sup.runner('api').lifecycle === 'running');
    expect(sup.runner('api')).toBeInstanceOf(ServiceRunner);
    expect(serviceView(sup, sup.runner('api')).replicas).toBeNull();
    const a = await get(port!);
    expect(a.instance).toBeNull();
    expect(() => sup.replicaSet('api')).toThrow(/not replicated/);
  });

  it('fails clearly when the front port is taken by another process', async () => {
    const [front] = await freePorts(1);
    const holder = net.createServer();
    servers.push(holder);
    await new Promise<void>((r) => holder.listen(front, '127.0.0.1', () => r()));
    const { sup } = await launch(`version: 1
services:
  api:
    command: node echo.mjs
    port: ${front}
    replicas: 2
`);
    const set = sup.replicaSet('api');
    await until('failed', () => set.lifecycle === 'failed');
    expect(set.lastError).toMatch(new RegExp(`port ${front} is already in use`));
    expect(set.instances()).toEqual([]);
  });
});
