/**
 * Over 500 lines: one case per kind of process fault, each with its real misbehaving service.
 *
 * Process faults, from the outside: a real `vigil up` runs real misbehaving services and the test
 * watches its JSON events, its API and /proc. Each case ends as the healing rules say
 * (docs/adr/0003), and leaves nothing.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HealingEvent, ServiceEvent, VigilEvent } from '../src/shared/events.js';
import { freePorts, portOpen } from '../src/main/core/testing/fixtures.js';
import {
  LINUX,
  Tracker,
  alive,
  buildCli,
  isReady,
  makeStack,
  ofService,
  pgidOf,
  rssBytes,
  runVigil,
  serviceDetail,
  sleep,
  stopVigil,
  until,
  type VigilRun,
} from './harness.js';
import {
  FLAPPY_HEALTH,
  GARBAGE_OUTPUT,
  HTTP_SERVICE,
  IGNORE_TERM,
  IDLE,
  TREE,
} from './services.js';

const t = new Tracker();

/**
 * A server that only holds a port. It reads and drops what it is sent: a connection with unread
 * data never sees its peer's close, and `close()` would wait for it for ever (a health probe of
 * Vigil's that reached it before Vigil was killed hung this file's cleanup).
 */
const portHolder = (): net.Server => net.createServer((s) => s.resume().on('error', () => {}));

beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

const cmdline = (pid: number): string => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

const FILES = {
  'svc.mjs': HTTP_SERVICE,
  'ignore-term.mjs': IGNORE_TERM,
  'tree.mjs': TREE,
  'flappy.mjs': FLAPPY_HEALTH,
  'garbage.mjs': GARBAGE_OUTPUT,
  'idle.mjs': IDLE,
};

const svcEvents = (run: VigilRun, name: string): ServiceEvent[] =>
  run.events.filter((e): e is ServiceEvent => e.type === 'service_event' && e.service === name);
const healing = (run: VigilRun, name: string, action?: string): HealingEvent[] =>
  run.events.filter(
    (e): e is HealingEvent =>
      e.type === 'healing_event' && e.service === name && (!action || e.action === action),
  );
const reached =
  (name: string, to: string) =>
  (e: VigilEvent): boolean =>
    e.type === 'service_event' && e.service === name && e.to === to;

/** Stops Vigil with SIGTERM and checks that it exited 0 and nothing it started is left. */
async function stopAndCheckClean(run: VigilRun): Promise<void> {
  const { code } = await stopVigil(run);
  expect(code).toBe(0);
  const left = t.tagged();
  expect(left, `processes left behind: ${left.join(', ')}`).toEqual([]);
}

describe.skipIf(!LINUX)('process faults', () => {
  it('a service killed with SIGKILL is restarted healthy, with the signal as its reason', async () => {
    const [port] = await freePorts(1);
    const stack = makeStack(
      t,
      `version: 1
services:
  api:
    command: node svc.mjs
    port: ${port}
    restart: { backoff: [0ms] }
`,
      FILES,
    );
    const run = runVigil(t, { stack });
    await run.waitFor(isReady, 20_000, 'ready');
    const api = await run.api();
    const before = await serviceDetail(api, 'api');
    process.kill(before.pid!, 'SIGKILL');
    const back = await run.next(reached('api', 'running'), 15_000, 'running again');
    expect(back.type === 'service_event' && back.generation).toBe(before.generation + 1);
    const crash = svcEvents(run, 'api').find((e) => e.to === 'backoff');
    expect(crash?.reason.kind).toBe('signal');
    expect(crash?.reason.signal).toBe('SIGKILL');
    expect(alive(before.pid!)).toBe(false);
    expect(await portOpen(port!)).toBe(true);
    const after = await serviceDetail(api, 'api');
    expect(after.restart_count).toBe(1);
    expect(after.pid).not.toBe(before.pid);
    await stopAndCheckClean(run);
  }, 40_000);

  it('a service that ignores SIGTERM is stopped after its timeout, its whole group gone', async () => {
    const stack = makeStack(
      t,
      `version: 1
services:
  stubborn:
    command: [node, ignore-term.mjs]
    stop: { timeout: 700ms }
`,
      FILES,
    );
    const run = runVigil(t, { stack, keepLogs: true });
    await run.waitFor(isReady, 20_000, 'ready');
    const line = await run.waitFor(
      (e) => e.type === 'log' && e.line.startsWith('pids '),
      10_000,
      'pids line',
    );
    const pids = (line.type === 'log' ? line.line : '').split(' ').slice(1).map(Number);
    expect(pids).toHaveLength(2);
    const api = await run.api();
    const t0 = performance.now();
    const r = await api.post('/orchestrator/stop/stubborn');
    const took = performance.now() - t0;
    expect(r.status).toBe(200);
    // It asked nicely first and waited the whole timeout before SIGKILL.
    expect(took).toBeGreaterThanOrEqual(650);
    expect((await serviceDetail(api, 'stubborn')).lifecycle).toBe('stopped');
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    expect(run.events.some((e) => e.type === 'log' && e.line === 'ignoring SIGTERM')).toBe(true);
    await stopAndCheckClean(run);
  }, 40_000);

  it('a three-level tree with a setsid grandchild holding stdout: stop never hangs on the pipe', async () => {
    const stack = makeStack(
      t,
      `version: 1
services:
  tree:
    command: [node, tree.mjs]
    stop: { timeout: 1s }
`,
      FILES,
    );
    const run = runVigil(t, { stack, keepLogs: true });
    await run.waitFor(isReady, 20_000, 'ready');
    await run.waitFor(
      (e) => e.type === 'log' && e.line.startsWith('level 3 '),
      10_000,
      'grandchild',
    );
    const levelPid = (n: number): number => {
      const ev = run.events.find((e) => e.type === 'log' && e.line.startsWith(`level ${n} `));
      return Number(ev?.type === 'log' ? ev.line.split(' ')[2] : 0);
    };
    const [leader, child, grandchild] = [levelPid(1), levelPid(2), levelPid(3)];
    expect(pgidOf(grandchild)).not.toBe(pgidOf(leader)); // it really left the group
    const api = await run.api();
    const r = await api.call('POST', '/orchestrator/stop/tree', { body: '{}', timeoutMs: 15_000 });
    expect(r.status).toBe(200);
    for (const pid of [leader, child, grandchild]) expect(alive(pid), `pid ${pid}`).toBe(false);
    // And it can start again (the old pipe does not confuse the new instance).
    expect((await api.post('/orchestrator/start/tree')).status).toBe(200);
    await run.next(reached('tree', 'running'), 10_000, 'running again');
    await stopAndCheckClean(run);
  }, 40_000);

  it('a service that exits at once forever is quarantined after its attempts, with the exact delays', async () => {
    const stack = makeStack(
      t,
      `version: 1
services:
  crashy:
    command: node -e "process.exit(3)"
    restart: { backoff: [100ms, 250ms, 400ms], max_attempts: 3 }
  steady:
    command: [node, idle.mjs]
settings:
  circuit_breaker: { threshold: 10, reset_after: 1s }
`,
      FILES,
    );
    const run = runVigil(t, { stack });
    await run.waitFor(reached('crashy', 'quarantined'), 20_000, 'quarantined');
    const scheduled = healing(run, 'crashy', 'restart_scheduled').map((e) => e.delayMs);
    expect(scheduled).toEqual([100, 250, 400]);
    // Each new instance started no sooner than its delay after the crash before it.
    const ev = svcEvents(run, 'crashy');
    const backoffs = ev.filter((e) => e.to === 'backoff');
    const starts = ev.filter((e) => e.to === 'starting').slice(1);
    expect(backoffs).toHaveLength(3);
    expect(starts).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect(starts[i]!.ts - backoffs[i]!.ts).toBeGreaterThanOrEqual([100, 250, 400][i]! - 5);
      expect(backoffs[i]!.reason.exitCode).toBe(3);
    }
    // Quarantine is final: no start after it, and the rest of the stack is unaffected.
    await sleep(800);
    const api = await run.api();
    const d = await serviceDetail(api, 'crashy');
    expect(d.lifecycle).toBe('quarantined');
    expect(d.generation).toBe(4);
    expect(String(d.quarantine_reason)).toMatch(/3 restart attempts/);
    expect((await serviceDetail(api, 'steady')).lifecycle).toBe('running');
    // A person releases it: it is tried again.
    expect((await api.post('/orchestrator/release/crashy')).status).toBe(200);
    await run.next(reached('crashy', 'starting'), 5_000, 'started after release');
    await stopAndCheckClean(run);
  }, 40_000);

  it('a service that never becomes healthy times out, retries, is quarantined, and its dependent never starts', async () => {
    const [p1, p2] = await freePorts(2);
    const stack = makeStack(
      t,
      `version: 1
services:
  sick:
    command: node svc.mjs
    port: ${p1}
    env: { UNHEALTHY: "1" }
    startup_timeout: 800ms
    restart: { backoff: [100ms], max_attempts: 2 }
    health: { http: /health, start_interval: 50ms }
  dependent:
    command: node svc.mjs
    port: ${p2}
    depends_on: { sick: healthy }
settings:
  circuit_breaker: { threshold: 10, reset_after: 1s }
`,
      FILES,
    );
    const run = runVigil(t, { stack });
    await run.waitFor(reached('sick', 'quarantined'), 20_000, 'quarantined');
    const ev = svcEvents(run, 'sick');
    expect(ev.some((e) => e.to === 'running')).toBe(false);
    const timeouts = ev.filter((e) => e.to === 'backoff' || e.to === 'stopping');
    expect(timeouts.some((e) => e.reason.kind === 'startup_timeout')).toBe(true);
    expect(svcEvents(run, 'dependent').some((e) => e.to === 'starting')).toBe(false);
    const api = await run.api();
    const dep = await serviceDetail(api, 'dependent');
    expect(dep.lifecycle).toBe('waiting');
    expect(dep.blocked_by).toEqual(['sick']);
    // The instance that never answered is gone: its port is free.
    expect(await portOpen(p1!)).toBe(false);
    await stopAndCheckClean(run);
  }, 40_000);

  it('health that alternates below the failure threshold never causes a restart', async () => {
    const [port] = await freePorts(1);
    const stack = makeStack(
      t,
      `version: 1
services:
  flappy:
    command: [node, flappy.mjs]
    port: ${port}
    health: { http: /health, interval: 40ms, start_interval: 40ms, failure_threshold: 2 }
`,
      FILES,
    );
    const run = runVigil(t, { stack });
    await run.waitFor(isReady, 20_000, 'ready');
    const probes = (): number =>
      run.events.filter((e) => e.type === 'health_update' && e.service === 'flappy').length;
    expect(await until(() => probes() >= 40, 15_000)).toBe(true);
    const updates = run.events.filter((e) => e.type === 'health_update' && e.service === 'flappy');
    expect(updates.some((e) => e.type === 'health_update' && !e.result.ok)).toBe(true);
    // A failed check while it boots shows as `unhealthy` (startFailures set) without counting;
    // once it has been ready, alternating results stay below the threshold.
    expect(
      updates.some(
        (e) => e.type === 'health_update' && e.startFailures === undefined && e.to === 'unhealthy',
      ),
    ).toBe(false);
    expect(healing(run, 'flappy')).toEqual(
      healing(run, 'flappy').filter(
        (e) => e.action !== 'restart' && e.action !== 'restart_scheduled',
      ),
    );
    const api = await run.api();
    const d = await serviceDetail(api, 'flappy');
    expect(d.generation).toBe(1);
    expect(d.lifecycle).toBe('running');
    await stopAndCheckClean(run);
  }, 40_000);

  it('a declared port already taken: a clear error naming the holder, and no restart storm', async () => {
    const [port, other] = await freePorts(2);
    const holder = portHolder();
    await new Promise<void>((r) => holder.listen(port, '127.0.0.1', () => r()));
    t.onCleanup(() => new Promise((r) => holder.close(r)));
    const stack = makeStack(
      t,
      `version: 1
services:
  api:
    command: node svc.mjs
    port: ${port}
    restart: { backoff: [50ms] }
  web:
    command: node svc.mjs
    port: ${other}
`,
      FILES,
    );
    const run = runVigil(t, { stack });
    const failed = await run.waitFor(reached('api', 'failed'), 15_000, 'failed');
    expect(failed.type === 'service_event' && failed.reason.kind).toBe('port_in_use');
    const message = failed.type === 'service_event' ? failed.reason.message : '';
    expect(message).toContain(`port ${port} is already in use by pid ${process.pid}`);
    expect(message).toMatch(/node/);
    await run.waitFor(reached('web', 'running'), 15_000, 'web running');
    await sleep(700);
    const api = await run.api();
    const d = await serviceDetail(api, 'api');
    expect(d.generation).toBe(0); // never spawned into the taken port
    expect(svcEvents(run, 'api').filter((e) => e.to === 'failed')).toHaveLength(1);
    expect(String(d.last_error)).toContain(`pid ${process.pid}`);
    holder.close();
    await stopAndCheckClean(run);
  }, 40_000);

  it('a port taken while the service restarts after a crash: the next attempt names the holder', async () => {
    const [port] = await freePorts(1);
    const stack = makeStack(
      t,
      `version: 1
services:
  api:
    command: node svc.mjs
    port: ${port}
    restart: { backoff: [300ms] }
`,
      FILES,
    );
    const run = runVigil(t, { stack });
    await run.waitFor(isReady, 20_000, 'ready');
    const api = await run.api();
    const before = await serviceDetail(api, 'api');
    // The crash frees the port; someone else takes it before the restart binds it.
    process.kill(before.pid as number, 'SIGKILL');
    const holder = portHolder();
    await until(
      () =>
        new Promise<boolean>((resolve) => {
          holder.once('error', () => resolve(false));
          holder.listen(port, '127.0.0.1', () => resolve(true));
        }),
      5_000,
    );
    t.onCleanup(() => new Promise((r) => holder.close(r)));
    const failed = await run.waitFor(reached('api', 'failed'), 20_000, 'failed');
    expect(failed.type === 'service_event' && failed.reason.kind).toBe('port_in_use');
    expect(failed.type === 'service_event' ? failed.reason.message : '').toContain(
      `port ${port} is already in use by pid ${process.pid}`,
    );
    await sleep(700);
    // One attempt ran into the taken port (the restart right after the crash), then no storm.
    const d = await serviceDetail(api, 'api');
    expect(d.lifecycle).toBe('failed');
    expect(healing(run, 'api', 'restart').length).toBeLessThanOrEqual(2);
    await stopAndCheckClean(run);
  }, 40_000);

  it('20 concurrent restart requests for one service leave exactly one live instance', async () => {
    const [port] = await freePorts(1);
    const stack = makeStack(
      t,
      `version: 1
services:
  api:
    command: node svc.mjs
    port: ${port}
    env: { GRANDCHILD: "1" }
`,
      FILES,
    );
    const run = runVigil(t, { stack });
    await run.waitFor(isReady, 20_000, 'ready');
    const api = await run.api();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        api.call('POST', '/orchestrator/restart/api', { body: '{}', timeoutMs: 20_000 }),
      ),
    );
    for (const a of answers) expect([200, 409]).toContain(a.status);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    expect(
      await until(async () => (await serviceDetail(api, 'api')).lifecycle === 'running', 15_000),
    ).toBe(true);
    await sleep(300);
    const d = await serviceDetail(api, 'api');
    const live = ofService(t.tagged(), 'api');
    // Every live process of the service is in the current instance's group: one server (and its
    // grandchild), nothing of an older instance.
    expect(new Set(live.map(pgidOf))).toEqual(new Set([d.pid]));
    expect(
      live.filter((pid) => cmdline(pid).includes('svc.mjs') && !cmdline(pid).startsWith('/bin/sh')),
    ).toHaveLength(1);
    expect(await portOpen(port!)).toBe(true);
    await stopAndCheckClean(run);
  }, 60_000);

  it('stop during backoff cancels the pending restart', async () => {
    const stack = makeStack(
      t,
      `version: 1
services:
  crashy:
    command: node -e "setTimeout(() => process.exit(1), 50)"
    restart: { backoff: [1500ms] }
`,
      FILES,
    );
    const run = runVigil(t, { stack });
    await run.waitFor(reached('crashy', 'backoff'), 15_000, 'backoff');
    const api = await run.api();
    expect((await api.post('/orchestrator/stop/crashy')).status).toBe(200);
    await sleep(2_000);
    const d = await serviceDetail(api, 'crashy');
    expect(d.lifecycle).toBe('stopped');
    expect(d.generation).toBe(1);
    expect(d.next_attempt_at).toBeNull();
    expect(svcEvents(run, 'crashy').filter((e) => e.to === 'starting')).toHaveLength(1);
    await stopAndCheckClean(run);
  }, 30_000);

  it('invalid UTF-8, NUL bytes, ANSI and a 20 MB line are stored capped, and Vigil carries on', async () => {
    const stack = makeStack(
      t,
      `version: 1
services:
  garbage:
    command: [node, garbage.mjs]
`,
      FILES,
    );
    const run = runVigil(t, { stack, keepLogs: true });
    await run.waitFor(
      (e) => e.type === 'log' && e.line === 'garbage done',
      30_000,
      'the service finished writing',
    );
    const api = await run.api();
    const logs = await api.get('/orchestrator/logs/garbage?tail=100');
    expect(logs.status).toBe(200);
    const lines = (logs.json as { lines: { line: string }[] }).lines.map((l) => l.line);
    const bad = lines.find((l) => l.startsWith('bad '));
    expect(bad).toContain('\uFFFD');
    expect(lines).toContain('nul\uFFFDin\uFFFDthe\uFFFDmiddle');
    expect(lines.some((l) => l.includes('\u001b[31mred'))).toBe(true);
    expect(lines).toContain('<script>alert(1)</script>');
    const long = lines.find((l) => l.startsWith('xxxx'));
    expect(long).toBeDefined();
    expect(long!.length).toBeLessThan(256 * 1024);
    expect(long).toMatch(/truncated \d+ bytes/);
    expect(lines).toContain('after the long line');
    // Under load the service can print everything before its first probe: wait for it, bounded.
    expect(
      await until(
        async () => (await serviceDetail(api, 'garbage')).lifecycle === 'running',
        15_000,
        100,
      ),
    ).toBe(true);
    expect(rssBytes(run.pid)!).toBeLessThan(400 * 1024 * 1024);
    await stopAndCheckClean(run);
  }, 60_000);

  it('a crashing service leaves no setsid descendant behind, in backoff or in quarantine', async () => {
    const stack = makeStack(
      t,
      `version: 1
services:
  daemonizer:
    command: "setsid sleep 1000 & sleep 0.2; exit 1"
    restart: { backoff: [400ms], max_attempts: 3 }
settings:
  circuit_breaker: { threshold: 10, reset_after: 1s }
`,
      FILES,
    );
    const run = runVigil(t, { stack });
    const leftovers = (): number[] => t.tagged().filter((pid) => pid !== run.pid);
    // During each backoff nothing of the crashed instance runs any more.
    for (let i = 0; i < 2; i++) {
      await run.next(reached('daemonizer', 'backoff'), 15_000, `backoff ${i + 1}`);
      expect(
        await until(() => leftovers().length === 0, 3_000),
        `leftovers ${leftovers().join(', ')}`,
      ).toBe(true);
    }
    await run.waitFor(reached('daemonizer', 'quarantined'), 20_000, 'quarantined');
    expect(
      await until(() => leftovers().length === 0, 3_000),
      `leftovers ${leftovers().join(', ')}`,
    ).toBe(true);
    await sleep(500);
    expect(leftovers()).toEqual([]);
    await stopAndCheckClean(run);
  }, 40_000);

  it('a second SIGTERM stops Vigil at once even when a service ignores the first', async () => {
    const stack = makeStack(
      t,
      `version: 1
services:
  stubborn:
    command: [node, ignore-term.mjs]
    stop: { timeout: 60s }
`,
      FILES,
    );
    const run = runVigil(t, { stack, keepLogs: true });
    await run.waitFor(isReady, 20_000, 'ready');
    // Its SIGTERM handler is in place once it has printed its pids.
    await run.waitFor((e) => e.type === 'log' && e.line.startsWith('pids '), 10_000, 'pids');
    process.kill(run.pid, 'SIGTERM');
    await sleep(700);
    expect(run.child.exitCode).toBeNull(); // still waiting for the stubborn service
    process.kill(run.pid, 'SIGTERM');
    const timeout = sleep(15_000).then(() => 'still running' as const);
    const r = await Promise.race([run.exit, timeout]);
    expect(r).not.toBe('still running');
    expect(
      await until(() => t.tagged().length === 0, 5_000),
      `left: ${t.tagged().join(', ')}`,
    ).toBe(true);
  }, 40_000);
});
