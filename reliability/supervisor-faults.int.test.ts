/**
 * Faults of Vigil itself and of what it stands on: a SIGKILLed Vigil, two Vigils on one data
 * directory, a corrupt or read-only database (a locked database and a full disk are in
 * storage.chaos.test.ts). Vigil stays alive (degraded when it must), says clearly what is wrong,
 * and never touches a process that is not its own.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../src/main/core/process/index.js';
import type { HistoryStatusView } from '../src/shared/views.js';
import { freePorts, portOpen } from '../src/main/core/testing/fixtures.js';
import {
  LINUX,
  Tracker,
  alive,
  buildCli,
  isReady,
  makeStack,
  runVigil,
  stopVigil,
  type Stack,
  type VigilRun,
} from './harness.js';
import { HTTP_SERVICE, IDLE } from './services.js';

const t = new Tracker();
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const NOBODY = { uid: 65534, gid: 65534 };

beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

const FILES = { 'svc.mjs': HTTP_SERVICE, 'idle.mjs': IDLE };

async function twoServices(): Promise<{ stack: Stack; ports: number[] }> {
  const ports = await freePorts(2);
  const stack = makeStack(
    t,
    `version: 1
services:
  db:
    command: node svc.mjs
    port: ${ports[0]}
  api:
    command: node svc.mjs
    port: ${ports[1]}
    depends_on: [db]
`,
    FILES,
  );
  return { stack, ports };
}

const stderrText = (run: VigilRun): string => run.stderr.join('\n');

/** The `history` field of a GET /orchestrator/status answer. */
const historyOf = (json: unknown): HistoryStatusView | undefined =>
  (json as { system?: { history?: HistoryStatusView } } | undefined)?.system?.history;

/** A process that is certainly not Vigil's: its own group, tagged only for the final cleanup. */
function decoy(): number {
  const c = spawn('sleep', ['60'], { detached: true, stdio: 'ignore', env: t.env() });
  c.unref();
  t.group(c.pid);
  return c.pid!;
}

function startTimeOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe.skipIf(!LINUX)('supervisor faults', () => {
  it('two Vigils on one data directory: the second refuses and names the first, which carries on', async () => {
    const { stack } = await twoServices();
    const first = runVigil(t, { stack });
    await first.waitFor(isReady, 20_000, 'first ready');
    const second = runVigil(t, { stack });
    const r = await second.exit;
    expect(r.code).toBe(1);
    expect(stderrText(second)).toContain(`pid ${first.pid}`);
    expect(second.events.filter((e) => e.type === 'service_event')).toEqual([]);
    const api = await first.api();
    expect((await api.get('/orchestrator/status')).status).toBe(200);
    expect((await stopVigil(first)).code).toBe(0);
  }, 40_000);

  it('after a SIGKILL the next start ends the orphans and leaves a process with a reused pid alone', async () => {
    const { stack, ports } = await twoServices();
    const first = runVigil(t, { stack });
    await first.waitFor(isReady, 20_000, 'ready');
    const orphans = first.pids();
    expect(orphans.length).toBe(2);
    process.kill(first.pid, 'SIGKILL');
    await first.exit;
    for (const pid of orphans) expect(alive(pid), `orphan ${pid} still runs`).toBe(true);

    // Doctor the ledger the way pid reuse would look: the db entry now names an unrelated process
    // (same pid number, another start time); a second entry has that process's real start time but
    // another command line.
    const ledgerFile = path.join(stack.dataDir, 'processes.jsonl');
    const [header, ...changes] = fs.readFileSync(ledgerFile, 'utf8').trim().split('\n');
    const byPid = new Map<number, LedgerEntry>();
    for (const line of changes) {
      const rec = JSON.parse(line) as { add?: LedgerEntry; forget?: number };
      if (rec.add) byPid.set(rec.add.pid, rec.add);
      if (rec.forget !== undefined) byPid.delete(rec.forget);
    }
    const entries = [...byPid.values()];
    expect(entries.map((e) => e.service).sort()).toEqual(['api', 'db']);
    const reusedA = decoy();
    const reusedB = decoy();
    const db = entries.find((e) => e.service === 'db')!;
    const doctored: LedgerEntry[] = [
      ...entries.filter((e) => e !== db),
      { ...db, pid: reusedA },
      {
        ...db,
        service: 'ghost',
        pid: reusedB,
        startTime: startTimeOf(reusedB),
        marker: 'vigil-000000000000:ghost/1',
      },
    ];
    fs.writeFileSync(
      ledgerFile,
      [header, ...doctored.map((e) => JSON.stringify({ add: e }))].join('\n') + '\n',
    );

    const second = runVigil(t, { stack });
    await second.waitFor(isReady, 20_000, 'second ready');
    for (const pid of orphans) expect(alive(pid), `orphan ${pid} ended`).toBe(false);
    expect(alive(reusedA), 'unrelated process with a reused pid').toBe(true);
    expect(alive(reusedB), 'unrelated process with another command').toBe(true);
    for (const p of ports) expect(await portOpen(p)).toBe(true);
    expect((await stopVigil(second)).code).toBe(0);
    expect(alive(reusedA)).toBe(true);
    // The database the killed Vigil left is whole, and tells the first run ended in a crash.
    const h = new Database(path.join(stack.dataDir, 'vigil.db'), { readonly: true });
    expect(h.pragma('integrity_check', { simple: true })).toBe('ok');
    const runs = h.prepare('SELECT how FROM runs ORDER BY id').all() as { how: string }[];
    h.close();
    expect(runs.map((r) => r.how)).toEqual(['crashed', 'stopped']);
  }, 60_000);

  it('a corrupt database is moved aside with a clear message, and history starts afresh', async () => {
    const { stack } = await twoServices();
    fs.mkdirSync(stack.dataDir, { recursive: true });
    fs.writeFileSync(path.join(stack.dataDir, 'vigil.db'), Buffer.alloc(64 * 1024, 0x5a));
    const run = runVigil(t, { stack });
    await run.waitFor(isReady, 20_000, 'ready');
    expect(stderrText(run)).toMatch(/corrupt/);
    const aside = fs.readdirSync(stack.dataDir).filter((f) => f.startsWith('vigil.db.corrupt-'));
    expect(aside.length).toBeGreaterThan(0);
    const api = await run.api();
    const report = await api.get('/orchestrator/report?format=json');
    expect(report.status).toBe(200);
    // The API says so too (the UI's status bar shows it).
    const status = await api.get('/orchestrator/status');
    expect(historyOf(status.json)).toMatchObject({
      state: 'recovered',
      message: expect.stringMatching(/corrupt: it was moved to vigil\.db\.corrupt-/),
    });
    expect((await stopVigil(run)).code).toBe(0);
    const h = new Database(path.join(stack.dataDir, 'vigil.db'), { readonly: true });
    expect(h.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((h.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n).toBe(1);
    h.close();
  }, 40_000);

  it('a read-only database: the stack runs, and the message says why history is not saved', async () => {
    const { stack, ports } = await twoServices();
    const user = IS_ROOT ? NOBODY : undefined;
    if (user) {
      // Root ignores file modes: run Vigil as an ordinary user so that they apply.
      fs.chmodSync(stack.dir, 0o755);
      fs.chownSync(stack.dir, user.uid, user.gid);
    }
    const prep = runVigil(t, { stack, ...(user ? { user } : {}) });
    await prep.waitFor(isReady, 20_000, 'ready');
    expect((await stopVigil(prep)).code).toBe(0);
    const dbFile = path.join(stack.dataDir, 'vigil.db');
    for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`])
      if (fs.existsSync(f)) fs.chmodSync(f, 0o444);

    const run = runVigil(t, { stack, ...(user ? { user } : {}) });
    await run.waitFor(isReady, 20_000, 'ready on a read-only database');
    expect(stderrText(run)).toMatch(/history is not being saved|read-only|readonly/i);
    if (process.env.VIGIL_TEST_DEBUG) process.stderr.write(stderrText(run) + '\n');
    const api = await run.api();
    const status = await api.get('/orchestrator/status');
    expect(status.status).toBe(200);
    // Not only in the log: the system view says history is not saved, and why.
    const history = historyOf(status.json);
    expect(history?.state, JSON.stringify(history)).toMatch(/^(memory|degraded)$/);
    expect(history?.message).toMatch(/history is not being saved.*(read-only|readonly)/i);
    for (const p of ports) expect(await portOpen(p)).toBe(true);
    expect((await stopVigil(run)).code).toBe(0);
  }, 60_000);
});
