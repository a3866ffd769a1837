/**
 * Over 500 lines: the four replica cases share one load client, one stack shape and the same
 * process and port checks, kept together so that each case reads as what it promises.
 *
 * Replicated services under steady HTTP load, through a real `vigil up` (SPEC §11, ADR 0013):
 * an instance SIGKILLed, a rolling restart, scaling 1 → 10 → 1, failover to a backup and
 * failback, automatic and manual, and instances restarted for failing their probe while they
 * still serve requests. The load is a few client loops sending GETs to the front port
 * over keep-alive connections; every answer is recorded (status, which instance answered, the pid
 * that answered, when) and the assertions are about those answers and about the processes and
 * ports left on the machine (/proc), never about how fast things were.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HealingEvent, VigilEvent } from '../src/shared/events.js';
import type { InstanceView, ReplicasView } from '../src/shared/views.js';
import { freePorts } from '../src/main/core/testing/fixtures.js';
import {
  LINUX,
  Tracker,
  alive,
  buildCli,
  envOf,
  makeStack,
  runUntilReady,
  runVigil,
  sleep,
  stopVigil,
  until,
  type VigilApiHandle,
  type VigilRun,
} from './harness.js';

const t = new Tracker();
beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

/**
 * The instances' program: answers `GET /` with its own pid (`/slow` too, after 1.5 s), `/health`
 * with 503 while the file
 * named by SICK_FILE exists (200 otherwise). With GO_FILE it listens only once that file exists.
 * On SIGTERM it stops accepting, finishes what it serves and exits, as a well-behaved server does.
 */
const SVC = `
import http from 'node:http';
import fs from 'node:fs';
const sick = process.env.SICK_FILE;
const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    const bad = sick && fs.existsSync(sick);
    res.writeHead(bad ? 503 : 200);
    res.end(bad ? 'sick' : 'ok');
    return;
  }
  const answer = () => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(String(process.pid));
  };
  if (req.url === '/slow') setTimeout(answer, 1500);
  else answer();
});
const listen = () => server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening ' + process.env.PORT));
const go = process.env.GO_FILE;
if (!go) listen();
else { const wait = setInterval(() => { if (fs.existsSync(go)) { clearInterval(wait); listen(); } }, 50); }
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 3000).unref();
});
`;

// ─── the load ───────────────────────────────────────────────────────────────────────────────────

interface Answer {
  /** performance.now() when the answer (or the error) arrived. */
  readonly at: number;
  /** 0 when the request failed without an HTTP answer. */
  readonly status: number;
  /** x-vigil-instance: which instance (or backup) answered. */
  readonly instance: string | null;
  /** The pid that served it (the body of a 200), or null. */
  readonly pid: number | null;
  readonly body: string;
  readonly error: string | null;
}

/**
 * `loops` clients, each sending GET / to the front port one after the other (a keep-alive
 * connection each, a short pause between requests), until stopped or bounded by count and time.
 */
class Load {
  readonly answers: Answer[] = [];
  private stopped = false;
  private readonly done: Promise<void>[] = [];
  private readonly agents: http.Agent[] = [];

  constructor(
    private readonly port: number,
    private readonly loops: number,
    private readonly opts: { maxPerLoop?: number; maxMs?: number; pauseMs?: number } = {},
  ) {}

  start(): this {
    const deadline = performance.now() + (this.opts.maxMs ?? 90_000);
    for (let i = 0; i < this.loops; i++) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      this.agents.push(agent);
      this.done.push(
        (async () => {
          for (let n = 0; n < (this.opts.maxPerLoop ?? 20_000); n++) {
            if (this.stopped || performance.now() > deadline) return;
            this.answers.push(await getRoot(this.port, agent));
            await sleep(this.opts.pauseMs ?? 5);
          }
        })(),
      );
    }
    return this;
  }

  /** Waits until `pred` holds for an answer that arrived after `since`. */
  async until(pred: (a: Answer) => boolean, since: number, ms: number, what: string) {
    const ok = await until(() => this.answers.some((a) => a.at >= since && pred(a)), ms, 20);
    if (!ok) throw new Error(`no answer ${what} within ${ms} ms; last: ${this.describeLast()}`);
  }

  describeLast(): string {
    return JSON.stringify(this.answers.slice(-3));
  }

  async stop(): Promise<Answer[]> {
    this.stopped = true;
    await Promise.all(this.done);
    for (const a of this.agents) a.destroy();
    return this.answers;
  }
}

/** One GET to the front port; never rejects (a failure is an answer with status 0). */
function getRoot(port: number, agent: http.Agent | false = false, p = '/'): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = res.headers['x-vigil-instance'];
        resolve({
          at: performance.now(),
          status: res.statusCode ?? 0,
          instance: typeof header === 'string' ? header : null,
          pid: res.statusCode === 200 && /^\d+$/.test(body) ? Number(body) : null,
          body: body.slice(0, 500),
          error: null,
        });
      });
      res.on('error', (err) => fail(err));
    });
    const fail = (err: Error): void =>
      resolve({
        at: performance.now(),
        status: 0,
        instance: null,
        pid: null,
        body: '',
        error: err.message,
      });
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', fail);
  });
}

/** Counts of answers by status and instance, for the failure messages and the figures. */
function tally(answers: readonly Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const k = `${a.status}${a.instance ? ` ${a.instance}` : ''}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** The 502 the balancer gives for a request that had already reached an instance that died. */
function reachedInstance(a: Answer): boolean {
  if (a.status !== 502) return false;
  try {
    const body = JSON.parse(a.body) as { error?: { reachedInstance?: boolean } };
    return body.error?.reachedInstance === true;
  } catch {
    return false;
  }
}

function errorCode(a: Answer): string | null {
  try {
    return (JSON.parse(a.body) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    return null;
  }
}

// ─── Vigil, its views, its processes ────────────────────────────────────────────────────────────

async function replicasOf(api: VigilApiHandle, name: string): Promise<ReplicasView> {
  const r = await api.get(`/orchestrator/services/${name}`);
  if (r.status !== 200) throw new Error(`GET ${name}: ${r.status} ${r.text}`);
  const body = r.json as { replicas?: ReplicasView; service?: { replicas?: ReplicasView } };
  const view = body.replicas ?? body.service?.replicas;
  if (!view) throw new Error(`${name} has no replicas view: ${r.text.slice(0, 300)}`);
  return view;
}

/** Waits until the replicas view satisfies `pred`; returns it. */
async function replicasWhen(
  api: VigilApiHandle,
  name: string,
  pred: (v: ReplicasView) => boolean,
  ms: number,
  what: string,
): Promise<ReplicasView> {
  let last: ReplicasView | null = null;
  const ok = await until(
    async () => {
      last = await replicasOf(api, name);
      return pred(last);
    },
    ms,
    100,
  );
  if (!ok || !last) {
    const brief = (last as ReplicasView | null)?.instances.map((i) => ({
      id: i.id,
      lifecycle: i.lifecycle,
      health: i.health,
      pid: i.pid,
      in_pool: i.in_pool,
    }));
    throw new Error(`${name}: not ${what} within ${ms} ms; instances ${JSON.stringify(brief)}`);
  }
  return last;
}

const allInPool =
  (n: number) =>
  (v: ReplicasView): boolean =>
    v.instances.length === n && v.ready === n && v.instances.every((i) => i.in_pool && i.pid);

/** Live processes of this file with a `VIGIL_MARKER` of one of `instances` (any generation). */
function processesOf(instances: readonly string[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const pid of t.tagged()) {
    const marker = envOf(pid, 'VIGIL_MARKER') ?? '';
    const id = /:([^:]*)\/\d+$/.exec(marker)?.[1];
    if (id !== undefined && instances.includes(id) && alive(pid)) out.set(pid, marker);
  }
  return out;
}

/** Live processes carrying exactly one of these markers. */
function withMarkers(markers: ReadonlySet<string>): number[] {
  return t.tagged().filter((pid) => markers.has(envOf(pid, 'VIGIL_MARKER') ?? '') && alive(pid));
}

/** Parent pid of a live process, or null. */
function ppidOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Whether this process can bind 127.0.0.1:port now (it is closed again at once). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function healing(run: VigilRun, action: string, since = 0): HealingEvent[] {
  return run.events.filter(
    (e: VigilEvent): e is HealingEvent =>
      e.type === 'healing_event' &&
      e.service === 'api' &&
      e.action === action &&
      (run.receivedAt(e) ?? 0) >= since,
  );
}

async function nextHealing(run: VigilRun, action: string, since: number, ms = 20_000) {
  const found = healing(run, action, since)[0];
  if (found) return found;
  return (await run.next(
    (e) => e.type === 'healing_event' && e.service === 'api' && e.action === action,
    ms,
    `${action} of api`,
  )) as HealingEvent;
}

interface Setup {
  readonly run: VigilRun;
  readonly api: VigilApiHandle;
  readonly port: number;
  readonly dir: string;
}

/**
 * Writes the stack and starts `vigil up`: until the system is ready, or (`ready: false`) only
 * until its API answers.
 */
async function up(
  services: (ports: number[], dir: string) => string,
  opts: { ready?: boolean } = {},
): Promise<Setup> {
  const ports = await freePorts(2);
  const stack = makeStack(t, 'version: 1\nservices: {}\n', { 'svc.mjs': SVC });
  stack.write(`version: 1\nservices:\n${services(ports, stack.dir)}`);
  if (opts.ready === false) {
    const run = runVigil(t, { stack });
    return { run, api: await run.api(30_000), port: ports[0]!, dir: stack.dir };
  }
  const { run, api } = await runUntilReady(t, { stack }, 60_000);
  return { run, api, port: ports[0]!, dir: stack.dir };
}

const figures: Record<string, unknown> = {};
afterAll(() => {
  if (Object.keys(figures).length > 0)
    console.log(`replica battery figures: ${JSON.stringify(figures, null, 1)}`);
});

const LOOPS = 6;

// ─── the cases ──────────────────────────────────────────────────────────────────────────────────

describe.skipIf(!LINUX)('replicated services under load', () => {
  it('an instance killed with SIGKILL under steady load loses no request that could be retried, and comes back into the pool', async () => {
    const { run, api, port } = await up(
      ([front]) =>
        `  api:\n    command: node svc.mjs\n    port: ${front}\n    replicas: 3\n` +
        `    health: { http: /health, interval: 500ms }\n`,
    );
    const before = await replicasWhen(api, 'api', allInPool(3), 30_000, 'three in the pool');
    const load = new Load(port, LOOPS).start();
    await load.until((a) => a.instance === 'api#1', 0, 10_000, 'from api#1');
    // The serving process of api#1 (the instance's leader may be a shell around it).
    const victim = [...load.answers].reverse().find((a) => a.instance === 'api#1')!.pid!;
    const oldLeader = before.instances.find((i) => i.id === 'api#1')!.pid!;
    await sleep(300);
    const killedAt = performance.now();
    process.kill(victim, 'SIGKILL');

    // It comes back: a new process, ready, in the pool, and answering through the balancer.
    const after = await replicasWhen(
      api,
      'api',
      (v) =>
        allInPool(3)(v) &&
        v.instances.some((i) => i.id === 'api#1' && i.pid !== oldLeader && i.in_pool),
      30_000,
      'api#1 back with a new pid',
    );
    await load.until(
      (a) => a.instance === 'api#1' && a.pid !== null && a.pid !== victim,
      killedAt,
      10_000,
      'from the new api#1',
    );
    await sleep(300);
    const answers = await load.stop();

    expect(alive(victim)).toBe(false);
    const fresh = after.instances.find((i) => i.id === 'api#1')!;
    expect(fresh.pid).not.toBe(oldLeader);
    expect(fresh.restart_count).toBeGreaterThanOrEqual(1);
    expect(healing(run, 'instance_lost').some((e) => e.replica?.instance === 'api#1')).toBe(true);

    // No refused connection surfaced (those are retried elsewhere), no 503, no broken client
    // connection. What may fail is only a request the dead process had already been sent (at
    // most one per client loop, each a 502 that says so); none of the killed pid afterwards.
    const failed = answers.filter((a) => a.status !== 200);
    expect(
      failed.filter((a) => !reachedInstance(a)),
      JSON.stringify(tally(answers)),
    ).toEqual([]);
    expect(failed.length).toBeLessThanOrEqual(LOOPS);
    const servedByDead = answers.filter((a) => a.pid === victim && a.at > killedAt + 2_000);
    expect(servedByDead).toEqual([]);
    const ejections = run.stderr.filter((l) => /api#1 taken out of the pool/.test(l)).length;
    figures.kill = {
      requests: answers.length,
      failed: failed.length,
      ejections,
      tally: tally(answers),
      failures: failed.map((a) => a.body.slice(0, 200)),
    };
    await stopVigil(run);
  });

  it('a rolling restart under steady load fails no request and replaces every process', async () => {
    const { run, api, port } = await up(
      ([front]) =>
        `  api:\n    command: node svc.mjs\n    port: ${front}\n    replicas: 3\n` +
        `    health: { http: /health, interval: 500ms }\n`,
    );
    const before = await replicasWhen(api, 'api', allInPool(3), 30_000, 'three in the pool');
    const oldIds = before.instances.map((i) => i.id);
    const oldProcs = processesOf(oldIds);
    expect(new Set(oldProcs.values()).size).toBe(3);
    const load = new Load(port, LOOPS).start();
    await load.until(() => true, 0, 10_000, 'at all');
    await sleep(500);
    const servedBefore = new Set(load.answers.map((a) => a.pid));

    const restartedAt = performance.now();
    const r = await api.call('POST', '/orchestrator/restart/api', {
      body: '{}',
      timeoutMs: 90_000,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain('rolling');
    const doneAt = performance.now();
    await sleep(1_000);
    const answers = await load.stop();

    expect(
      answers.filter((a) => a.status !== 200),
      JSON.stringify(tally(answers)),
    ).toEqual([]);
    const after = await replicasWhen(api, 'api', allInPool(3), 10_000, 'three in the pool');
    expect(after.instances).toHaveLength(3);
    const oldLeaders = new Set(before.instances.map((i) => i.pid));
    for (const i of after.instances) expect(oldLeaders.has(i.pid)).toBe(false);
    // Nothing of the old instances is left: none of their processes is alive, and every live
    // process of the service belongs to a new instance (a new instance may reuse a freed index,
    // `api#0`, and so its marker: processes are told apart by pid).
    for (const pid of oldProcs.keys()) expect(alive(pid), `old process ${pid}`).toBe(false);
    const newLeaders = new Set(after.instances.map((i) => i.pid!));
    const live = [...processesOf(after.instances.map((i) => i.id)).keys()];
    expect(live.length).toBeGreaterThanOrEqual(3);
    for (const pid of live) {
      expect(newLeaders.has(pid) || newLeaders.has(ppidOf(pid) ?? -1), `process ${pid}`).toBe(true);
    }
    // Traffic during the restart went to old and new processes, afterwards only to the new ones.
    const servedAfter = answers.filter((a) => a.at > doneAt + 200).map((a) => a.pid!);
    expect(servedAfter.length).toBeGreaterThan(0);
    for (const pid of servedAfter) expect(servedBefore.has(pid)).toBe(false);
    expect(healing(run, 'instance_added', restartedAt)).toHaveLength(3);
    expect(healing(run, 'instance_lost', restartedAt)).toHaveLength(3);
    figures.rolling = {
      requests: answers.length,
      duringRestart: answers.filter((a) => a.at >= restartedAt && a.at <= doneAt).length,
      restartMs: Math.round(doneAt - restartedAt),
      failed: 0,
    };
    await stopVigil(run);
  });

  it('scaling 1 -> 10 -> 1 under load leaves no process or port behind and fails no request', async () => {
    const { run, api, port } = await up(
      ([front]) =>
        `  api:\n    command: node svc.mjs\n    port: ${front}\n    replicas: 1\n` +
        `    balance: { strategy: round_robin }\n    health: { http: /health, interval: 500ms }\n`,
    );
    await replicasWhen(api, 'api', allInPool(1), 30_000, 'one in the pool');
    const load = new Load(port, LOOPS).start();
    await load.until(() => true, 0, 10_000, 'at all');

    const up10 = await api.post('/orchestrator/scale/api', { replicas: 10 });
    expect(up10.status, up10.text).toBe(200);
    const ten = await replicasWhen(api, 'api', allInPool(10), 60_000, 'ten in the pool');
    const tenAt = performance.now();
    await load.until((a) => a.instance === ten.instances[9]!.id, tenAt, 10_000, 'from the tenth');
    const procs = processesOf(ten.instances.map((i) => i.id));
    expect(new Set(procs.values()).size).toBe(10);

    // Ten slow requests (1.5 s) in flight, over the instances, when the scale-down begins: the
    // instances that leave are drained, so these are answered too.
    const slow = Array.from({ length: 10 }, () => getRoot(port, false, '/slow'));
    await replicasWhen(
      api,
      'api',
      (v) => v.instances.reduce((n, i) => n + i.active, 0) >= 10,
      5_000,
      'serving the slow ones',
    );
    const downAt = performance.now();
    const down = await api.call('POST', '/orchestrator/scale/api', {
      body: JSON.stringify({ replicas: 1 }),
      timeoutMs: 60_000,
    });
    expect(down.status, down.text).toBe(200);
    const downDone = performance.now();
    const slowAnswers = await Promise.all(slow);
    await sleep(500);
    const answers = await load.stop();
    expect(
      slowAnswers.filter((a) => a.status !== 200),
      JSON.stringify(slowAnswers),
    ).toEqual([]);

    expect(
      answers.filter((a) => a.status !== 200),
      JSON.stringify(tally(answers)),
    ).toEqual([]);
    const one = await replicasOf(api, 'api');
    expect(one.instances).toHaveLength(1);
    const kept = one.instances[0]!;
    const removed: InstanceView[] = ten.instances.filter((i) => i.id !== kept.id);
    expect(removed).toHaveLength(9);
    // Every process of the nine removed instances is gone (by pid and by marker)...
    const removedMarkers = new Set(
      [...procs.entries()]
        .filter(([, m]) => removed.some((i) => m.includes(`:${i.id}/`)))
        .map(([, m]) => m),
    );
    expect(removedMarkers.size).toBe(9);
    expect(withMarkers(removedMarkers)).toEqual([]);
    for (const i of removed) expect(alive(i.pid!)).toBe(false);
    // ... and so are their ports: nothing answers there, and they can be bound again.
    for (const i of removed) {
      expect(await listening(i.port!), `port ${i.port} of ${i.id}`).toBe(false);
      expect(await bindable(i.port!), `port ${i.port} of ${i.id}`).toBe(true);
    }
    expect(healing(run, 'instance_lost', downAt)).toHaveLength(9);
    const scaled = healing(run, 'scaling_executed', downAt);
    expect(scaled.map((e) => [e.replica?.from, e.replica?.to])).toEqual([[10, 1]]);
    // Traffic after the scale-down goes to the one instance left.
    // The slow requests on the instances that left were answered by them, before they stopped.
    const leftIds = new Set(removed.map((i) => i.id));
    expect(slowAnswers.filter((a) => leftIds.has(a.instance ?? '')).length).toBeGreaterThan(0);
    const late = answers.filter((a) => a.at > downDone + 100);
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late.map((a) => a.instance))).toEqual(new Set([kept.id]));
    figures.scale = {
      requests: answers.length,
      duringScaleDown: answers.filter((a) => a.at >= downAt && a.at <= downDone).length,
      scaleDownMs: Math.round(downDone - downAt),
      slowDrained: slowAnswers.length,
      failed: 0,
    };
    await stopVigil(run);
  });

  it('fails over to the backup when no instance is ready and back after failback_after, under load; 503 only while neither has one', async () => {
    const { run, api, port, dir } = await up(
      ([front, stubPort], d) => {
        const health = `    health: { http: /health, interval: 250ms, failure_threshold: 1 }\n`;
        return (
          `  api:\n    command: node svc.mjs\n    port: ${front}\n    replicas: 2\n` +
          `    env: { SICK_FILE: ${path.join(d, 'api-sick')}, GO_FILE: ${path.join(d, 'api-go')} }\n` +
          health +
          `    failover: { backup: stub, failback_after: 2s }\n` +
          `  stub:\n    command: node svc.mjs\n    port: ${stubPort}\n` +
          `    env: { SICK_FILE: ${path.join(d, 'stub-sick')} }\n${health}`
        );
      },
      { ready: false },
    );
    const apiSick = path.join(dir, 'api-sick');
    const stubSick = path.join(dir, 'stub-sick');
    // 0. At launch the backup is ready before any instance of api (they listen once api-go
    // exists): it takes the traffic meanwhile, and api takes it back as soon as it is ready,
    // without waiting failback_after (a service that was never ready cannot be flapping).
    await replicasWhen(api, 'api', (v) => v.failover?.route === 'backup', 30_000, 'on the backup');
    const early = await getRoot(port);
    expect(early.instance).toBe('stub');
    fs.writeFileSync(path.join(dir, 'api-go'), '');
    await replicasWhen(
      api,
      'api',
      (v) => allInPool(2)(v) && v.failover?.route === 'primary',
      30_000,
      'on its own instances',
    );
    expect(healing(run, 'failover_completed').map((e) => e.reason.message)).toEqual([
      'traffic goes to stub: no instance is ready',
    ]);
    expect(healing(run, 'failback_completed').map((e) => e.reason.message)).toEqual([
      "traffic is back on api's own instances: the service is ready for the first time",
    ]);
    const load = new Load(port, LOOPS).start();
    await load.until((a) => /^api#/.test(a.instance ?? ''), 0, 10_000, 'from api');

    // 1. Automatic failover: both instances fail their probes; the backup is ready all along.
    const sickAt = performance.now();
    fs.writeFileSync(apiSick, '');
    const over = await nextHealing(run, 'failover_completed', sickAt);
    expect(over.reason.kind).toBe('probe');
    await load.until((a) => a.instance === 'stub', sickAt, 10_000, 'from the backup');
    const history = await api.get('/orchestrator/healing-history?service=api&limit=50');
    expect(history.status).toBe(200);
    expect(
      (history.json as { events: { action: string }[] }).events.some(
        (e) => e.action === 'failover_completed',
      ),
    ).toBe(true);

    // 2. Automatic failback once the instances have been ready for failback_after.
    const wellAt = performance.now();
    fs.rmSync(apiSick);
    const back = await nextHealing(run, 'failback_completed', wellAt, 60_000);
    expect(back.reason.message).toMatch(/ready for \d+ ms \(failback after 2000 ms\)/);
    const backAt = run.receivedAt(back)!;
    await load.until((a) => /^api#/.test(a.instance ?? ''), backAt, 10_000, 'from api again');
    const phase1 = load.answers.filter((a) => a.at >= sickAt);
    expect(
      phase1.filter((a) => a.status !== 200),
      JSON.stringify(tally(phase1)),
    ).toEqual([]);
    // No answer from the backup once the primary took the traffic back.
    expect(load.answers.filter((a) => a.at > backAt + 500 && a.instance === 'stub')).toEqual([]);
    await replicasWhen(api, 'api', allInPool(2), 30_000, 'both ready again');

    // 3. Neither has a ready instance: 503 NOT_RUNNING, and only then.
    const bothAt = performance.now();
    fs.writeFileSync(apiSick, '');
    await nextHealing(run, 'failover_completed', bothAt);
    const stubDownAt = performance.now();
    fs.writeFileSync(stubSick, '');
    await load.until((a) => a.status === 503, stubDownAt, 15_000, '503 while nothing is ready');
    const healAt = performance.now();
    fs.rmSync(apiSick);
    const back2 = await nextHealing(run, 'failback_completed', healAt, 60_000);
    expect(back2.reason.message).toContain('the backup has no ready instance');
    const back2At = run.receivedAt(back2)!;
    await load.until(
      (a) => a.status === 200 && /^api#/.test(a.instance ?? ''),
      back2At,
      10_000,
      'from api',
    );
    fs.rmSync(stubSick);
    await sleep(500);
    const phase3 = load.answers.filter((a) => a.at >= bothAt);
    const bad = phase3.filter((a) => a.status !== 200);
    expect(bad.length).toBeGreaterThan(0);
    for (const a of bad) {
      expect(a.status, JSON.stringify(a)).toBe(503);
      expect(errorCode(a)).toBe('NOT_RUNNING');
      // After the backup went down, and no later than the failback was reported.
      expect(a.at).toBeGreaterThanOrEqual(stubDownAt);
      expect(a.at).toBeLessThanOrEqual(back2At + 50);
    }

    // 4. Manual failover pins the backup past failback_after; manual failback brings it back.
    await replicasWhen(api, 'api', allInPool(2), 30_000, 'both ready again');
    const manualAt = performance.now();
    const fo = await api.post('/orchestrator/failover/api', {});
    expect(fo.status, fo.text).toBe(200);
    const manualOver = await nextHealing(run, 'failover_completed', manualAt);
    expect(manualOver.reason.kind).toBe('manual');
    await load.until((a) => a.instance === 'stub', manualAt, 10_000, 'from the backup');
    await sleep(3_000); // longer than failback_after: still on the backup
    const pinned = await replicasOf(api, 'api');
    expect(pinned.failover).toMatchObject({ route: 'backup', pinned: true });
    const lateStub = load.answers.filter((a) => a.at > performance.now() - 500);
    expect(lateStub.length).toBeGreaterThan(0);
    expect(new Set(lateStub.map((a) => a.instance))).toEqual(new Set(['stub']));
    const fbAt = performance.now();
    const fb = await api.post('/orchestrator/failover/api', { back: true });
    expect(fb.status, fb.text).toBe(200);
    const manualBack = await nextHealing(run, 'failback_completed', fbAt);
    expect(manualBack.reason.kind).toBe('manual');
    await load.until((a) => /^api#/.test(a.instance ?? ''), fbAt, 10_000, 'from api');
    await sleep(300);
    const answers = await load.stop();
    const phase4 = answers.filter((a) => a.at >= manualAt);
    expect(
      phase4.filter((a) => a.status !== 200),
      JSON.stringify(tally(phase4)),
    ).toEqual([]);
    figures.failover = {
      requests: answers.length,
      automatic: tally(phase1),
      neitherReady: { requests: phase3.length, unavailable: bad.length },
      manual: tally(phase4),
    };
    await stopVigil(run);
  });
  it('an instance or backup stopped for failing its probe is drained first: requests in flight finish', async () => {
    const { run, api, port, dir } = await up(([front, stubPort], d) => {
      const health = `    health: { http: /health, interval: 250ms, failure_threshold: 1 }\n`;
      return (
        `  api:\n    command: node svc.mjs\n    port: ${front}\n    replicas: 2\n` +
        `    env: { SICK_FILE: ${path.join(d, 'api-sick')} }\n${health}` +
        `    failover: { backup: stub, failback_after: 1s }\n` +
        `  stub:\n    command: node svc.mjs\n    port: ${stubPort}\n` +
        `    env: { SICK_FILE: ${path.join(d, 'stub-sick')} }\n${health}`
      );
    });
    const before = await replicasWhen(
      api,
      'api',
      (v) => allInPool(2)(v) && v.failover?.route === 'primary',
      30_000,
      'two in the pool',
    );
    const restarted = (service: string, since: number) =>
      run.waitFor(
        (e) =>
          e.type === 'healing_event' &&
          e.service === service &&
          e.action === 'restart_scheduled' &&
          (run.receivedAt(e) ?? 0) >= since,
        20_000,
        `restart of ${service}`,
      );

    // 1. Six slow requests (1.5 s each) spread over both instances; then both fail their probe.
    const slow = Array.from({ length: 6 }, () => getRoot(port, false, '/slow'));
    await replicasWhen(
      api,
      'api',
      (v) => v.instances.reduce((n, i) => n + i.active, 0) === 6,
      5_000,
      'serving the six',
    );
    const sickAt = performance.now();
    fs.writeFileSync(path.join(dir, 'api-sick'), '');
    const answers = await Promise.all(slow);
    // Every one was answered by the process it was sent to, although both were failing.
    expect(
      answers.map((a) => a.status),
      JSON.stringify(answers),
    ).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.instance))).toEqual(new Set(['api#0', 'api#1']));
    // Then they were restarted for it (new processes).
    for (const id of ['api#0', 'api#1']) await restarted(id, sickAt);

    // 2. The traffic is on the backup now (api's new instances fail their probe too): six slow
    // requests to it, then it fails its own probe; it is drained before it is stopped as well.
    await replicasWhen(api, 'api', (v) => v.failover?.route === 'backup', 10_000, 'on the backup');
    const toStub = Array.from({ length: 6 }, () => getRoot(port, false, '/slow'));
    await sleep(500); // sent: the balancer passes a request on as soon as it has it
    const stubSickAt = performance.now();
    fs.writeFileSync(path.join(dir, 'stub-sick'), '');
    const stubAnswers = await Promise.all(toStub);
    expect(
      stubAnswers.map((a) => [a.status, a.instance]),
      JSON.stringify(stubAnswers),
    ).toEqual(Array.from({ length: 6 }, () => [200, 'stub']));
    await restarted('stub', stubSickAt);

    fs.rmSync(path.join(dir, 'api-sick'));
    fs.rmSync(path.join(dir, 'stub-sick'));
    const after = await replicasWhen(
      api,
      'api',
      (v) =>
        allInPool(2)(v) &&
        v.failover?.route === 'primary' &&
        v.instances.every((i) => before.instances.every((b) => b.pid !== i.pid)),
      30_000,
      'both back with new pids',
    );
    expect(after.instances.every((i) => i.restart_count >= 1)).toBe(true);
    figures.drainOnFailure = { slowRequests: answers.length + stubAnswers.length, failed: 0 };
    await stopVigil(run);
  });
});
