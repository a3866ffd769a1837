/**
 * File watching with real files and real processes: an edit, a rename-save, a burst, a service
 * that writes into its own watched folder, a path created later, ignore rules, `action: run`, the
 * toggle, and a reload that changes `watch:`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealingEvent, VigilEvent } from '../../../shared/events.js';
import { loadStack } from '../config/index.js';
import { Supervisor } from '../supervisor.js';
import { createApi } from '../../api/api.js';
import { LOOP_QUICK_MS, LOOP_RESTARTS } from './batch.js';
import { EventLog, tempStack, type TempStack } from '../testing/fixtures.js';

let stacks: TempStack[] = [];
let sups: Supervisor[] = [];

afterEach(async () => {
  for (const s of sups) await s.shutdown('stopped', 'SIGKILL').catch(() => undefined);
  for (const s of stacks) s.cleanup();
  stacks = [];
  sups = [];
});

const IDLE = `console.log('up ' + process.pid); setInterval(() => {}, 1000);`;
/** Writes a file under its own watched folder at every start. */
const SELF_WRITER = `require('node:fs').writeFileSync('src/cache.json', String(Date.now())); setInterval(() => {}, 1000);`;

async function start(
  yaml: string,
  files: Record<string, string> = {},
): Promise<{ sup: Supervisor; log: EventLog; stack: TempStack }> {
  const stack = tempStack(yaml, { 'idle.cjs': IDLE, 'self.cjs': SELF_WRITER });
  stacks.push(stack);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(stack.dir, name)), { recursive: true });
    fs.writeFileSync(path.join(stack.dir, name), text);
  }
  const loaded = loadStack(stack.file, { env: process.env });
  if (!loaded.ok)
    throw new Error(loaded.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
  const sup = new Supervisor({
    config: loaded.config,
    dataDir: stack.dataDir,
    sampleIntervalMs: 0,
  });
  sups.push(sup);
  const log = new EventLog();
  sup.subscribe(log.push);
  await sup.start();
  await log.waitFor(
    (e) => e.type === 'service_event' && e.to === 'running',
    20_000,
    'the service running',
  );
  return { sup, log, stack };
}

const isFileRestart = (e: VigilEvent): e is HealingEvent =>
  e.type === 'healing_event' && e.action === 'restart' && e.reason.kind === 'file_change';
const fileRestarts = (log: EventLog): HealingEvent[] => log.events.filter(isFileRestart);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits long enough for a debounce of 200 ms (and max wait) to have fired. */
const settle = () => sleep(1_500);
/** Longer than the loop detector's "right after a restart": a person's pace, not a loop. */
const pause = () => sleep(LOOP_QUICK_MS + 800);

function stackYaml(watch: string, command = 'node idle.cjs'): string {
  return `version: 1
name: w
services:
  app:
    command: ${command}
    restart: { backoff: [100ms] }
    watch: ${watch}
`;
}

describe('file watching', () => {
  it('an edit restarts the service once, with the changed path in the reason and the history', async () => {
    const { sup, log, stack } = await start(stackYaml('{ paths: [src/], debounce: 200ms }'), {
      'src/main.js': 'v1',
    });
    const pid = sup.runner('app').pid;
    fs.writeFileSync(path.join(stack.dir, 'src/main.js'), 'v2');
    const ev = (await log.waitFor(isFileRestart, 15_000, 'a file restart')) as HealingEvent;
    expect(ev.reason.files?.paths).toEqual(['src/main.js']);
    expect(ev.reason.message).toContain('src/main.js');
    await log.waitFor(
      (e) => e.type === 'service_event' && e.to === 'running' && e.pid !== pid,
      15_000,
      'the new instance',
    );
    await settle();
    expect(fileRestarts(log)).toHaveLength(1);
    expect(sup.runner('app').lastRestart?.reason.kind).toBe('file_change');
    expect(sup.watch.view('app')).toMatchObject({ state: 'watching', restarts: 1 });
  });

  it('a save by rename (write a temporary file, rename it over the original) restarts it', async () => {
    const { log, stack } = await start(stackYaml('{ paths: [src/main.js], debounce: 200ms }'), {
      'src/main.js': 'v1',
    });
    const tmp = path.join(stack.dir, 'src/.main.js.swp');
    fs.writeFileSync(tmp, 'v2');
    fs.renameSync(tmp, path.join(stack.dir, 'src/main.js'));
    const ev = (await log.waitFor(isFileRestart, 15_000, 'a file restart')) as HealingEvent;
    expect(ev.reason.files?.paths).toEqual(['src/main.js']);
    // And again: the watch follows the new file, not the replaced inode.
    fs.writeFileSync(tmp, 'v3');
    fs.renameSync(tmp, path.join(stack.dir, 'src/main.js'));
    await log.next(isFileRestart, 15_000, 'a second file restart');
  });

  it('a burst of 2 000 file writes is one restart, with the count in the reason', async () => {
    const { log, stack } = await start(
      stackYaml('{ paths: [src/], debounce: 200ms }'),
      Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`src/d${i}/keep.js`, ''])),
    );
    for (let i = 0; i < 2_000; i++)
      fs.writeFileSync(path.join(stack.dir, `src/d${i % 20}/f${i}.js`), String(i));
    const ev = (await log.waitFor(isFileRestart, 20_000, 'a file restart')) as HealingEvent;
    await settle();
    expect(
      fileRestarts(log),
      JSON.stringify(fileRestarts(log).map((e) => [e.ts, e.reason.files])),
    ).toHaveLength(1);
    expect(ev.reason.files!.count).toBeGreaterThanOrEqual(2_000);
    expect(ev.reason.files!.paths.length).toBeLessThanOrEqual(5);
    expect(ev.reason.message).toMatch(/and \d+ more/);
  });

  it('a service that writes into its own watched folder is a loop: reported, paused, no endless restarts', async () => {
    const { sup, log, stack } = await start(
      stackYaml('{ paths: [src/], debounce: 100ms }', 'node self.cjs'),
      { 'src/main.js': 'v1' },
    );
    fs.writeFileSync(path.join(stack.dir, 'src/main.js'), 'v2');
    const paused = (await log.waitFor(
      (e) => e.type === 'healing_event' && e.action === 'watch_paused',
      30_000,
      'the loop to be reported',
    )) as HealingEvent;
    expect(paused.reason.message).toContain('src/cache.json');
    expect(paused.reason.message).toContain('vigil watch app on');
    const n = fileRestarts(log).length;
    expect(n).toBeGreaterThanOrEqual(2);
    expect(n).toBeLessThanOrEqual(LOOP_RESTARTS + 1);
    expect(sup.watch.view('app')).toMatchObject({ state: 'paused', enabled: true });
    expect(sup.watch.view('app')?.paused_reason).toContain('restart loop');
    // Paused: further changes restart nothing.
    fs.writeFileSync(path.join(stack.dir, 'src/main.js'), 'v3');
    await settle();
    expect(fileRestarts(log)).toHaveLength(n);
  });

  it('a watched folder that does not exist yet starts working when it is created', async () => {
    const { log, stack } = await start(stackYaml('{ paths: [gen/out/], debounce: 200ms }'));
    fs.mkdirSync(path.join(stack.dir, 'gen'));
    await sleep(200);
    fs.mkdirSync(path.join(stack.dir, 'gen/out'));
    await log.waitFor(isFileRestart, 15_000, 'the restart for the folder appearing');
    await pause();
    const before = fileRestarts(log).length;
    fs.writeFileSync(path.join(stack.dir, 'gen/out/bundle.js'), 'x');
    const ev = (await log.next(
      isFileRestart,
      15_000,
      'a restart for a file in it',
    )) as HealingEvent;
    expect(ev.reason.files?.paths).toContain('gen/out/bundle.js');
    expect(fileRestarts(log).length).toBe(before + 1);
    await pause();
    // Deleted and created again: still watched.
    fs.rmSync(path.join(stack.dir, 'gen/out'), { recursive: true });
    await log.next(isFileRestart, 15_000, 'a restart for the deletion');
    await pause();
    fs.mkdirSync(path.join(stack.dir, 'gen/out'));
    await pause();
    fs.writeFileSync(path.join(stack.dir, 'gen/out/again.js'), 'x');
    await log.waitFor(
      (e) => isFileRestart(e) && (e.reason.files?.paths.includes('gen/out/again.js') ?? false),
      15_000,
      'a restart for a file in the recreated folder',
    );
  });

  it('a watched file that does not exist yet restarts the service when it appears and when it changes', async () => {
    const { log, stack } = await start(
      stackYaml('{ paths: [config/local.json], debounce: 200ms }'),
    );
    fs.mkdirSync(path.join(stack.dir, 'config'));
    fs.writeFileSync(path.join(stack.dir, 'config/other.json'), '{}');
    await settle();
    expect(fileRestarts(log)).toHaveLength(0); // a sibling is not the watched file
    fs.writeFileSync(path.join(stack.dir, 'config/local.json'), '{}');
    const ev = (await log.waitFor(isFileRestart, 15_000, 'a restart for the file')) as HealingEvent;
    expect(ev.reason.files?.paths).toEqual(['config/local.json']);
    await pause();
    fs.writeFileSync(path.join(stack.dir, 'config/local.json'), '{"a":1}');
    await log.next(isFileRestart, 15_000, 'a restart for its change');
  });

  it('new folders with files inside a watched folder are seen (mkdir -p then write)', async () => {
    const { log, stack } = await start(stackYaml('{ paths: [src/], debounce: 200ms }'), {
      'src/main.js': 'v1',
    });
    fs.mkdirSync(path.join(stack.dir, 'src/a/b/c'), { recursive: true });
    await log.waitFor(isFileRestart, 15_000, 'restart for the new folders');
    await settle();
    fs.writeFileSync(path.join(stack.dir, 'src/a/b/c/deep.js'), 'x');
    const ev = (await log.next(isFileRestart, 15_000, 'restart for the deep file')) as HealingEvent;
    expect(ev.reason.files?.paths).toEqual(['src/a/b/c/deep.js']);
  });

  it('ignore patterns and .gitignore are honoured', async () => {
    const { log, stack } = await start(
      stackYaml('{ paths: [.], ignore: ["**/*.test.js", "tmp/"], debounce: 200ms }'),
      { '.gitignore': 'node_modules/\ndist\n*.log\n', 'src/main.js': 'v1' },
    );
    fs.mkdirSync(path.join(stack.dir, 'node_modules/pkg'), { recursive: true });
    fs.mkdirSync(path.join(stack.dir, 'dist'));
    fs.mkdirSync(path.join(stack.dir, 'tmp'));
    await settle();
    const base = fileRestarts(log).length; // creating ignored folders restarts nothing
    expect(base).toBe(0);
    fs.writeFileSync(path.join(stack.dir, 'node_modules/pkg/index.js'), 'x');
    fs.writeFileSync(path.join(stack.dir, 'dist/bundle.js'), 'x');
    fs.writeFileSync(path.join(stack.dir, 'server.log'), 'x');
    fs.writeFileSync(path.join(stack.dir, 'src/main.test.js'), 'x');
    fs.writeFileSync(path.join(stack.dir, 'tmp/scratch'), 'x');
    await settle();
    expect(fileRestarts(log)).toHaveLength(0);
    fs.writeFileSync(path.join(stack.dir, 'src/main.js'), 'v2');
    const ev = (await log.waitFor(isFileRestart, 15_000, 'a file restart')) as HealingEvent;
    expect(ev.reason.files?.paths).toEqual(['src/main.js']);
  });

  it('gitignore: false watches what .gitignore lists', async () => {
    const { log, stack } = await start(
      stackYaml('{ paths: [.], gitignore: false, debounce: 200ms }'),
      { '.gitignore': 'dist/\n' },
    );
    fs.mkdirSync(path.join(stack.dir, 'dist'));
    fs.writeFileSync(path.join(stack.dir, 'dist/bundle.js'), 'x');
    const ev = (await log.waitFor(isFileRestart, 15_000, 'a file restart')) as HealingEvent;
    expect(ev.reason.files?.paths.some((p) => p.startsWith('dist'))).toBe(true);
  });

  it('action run: restarts after the command succeeds, with its output in the log', async () => {
    const { sup, log, stack } = await start(
      stackYaml(
        `{ paths: [src/], debounce: 200ms, action: run, run: "echo building && cp src/main.js build.js" }`,
      ),
      { 'src/main.js': 'v1' },
    );
    fs.writeFileSync(path.join(stack.dir, 'src/main.js'), 'v2');
    await log.waitFor(isFileRestart, 15_000, 'a restart after the build');
    expect(fs.readFileSync(path.join(stack.dir, 'build.js'), 'utf8')).toBe('v2');
    const lines = sup
      .runner('app')
      .logs.tail(100)
      .map((l) => l.line);
    expect(lines).toContain('[watch] building');
    expect(lines.some((l) => l.startsWith('[watch] ') && l.includes('succeeded'))).toBe(true);
  });

  it('action run: a failing command keeps the running instance and reports the error', async () => {
    const { sup, log, stack } = await start(
      stackYaml(
        `{ paths: [src/], debounce: 200ms, action: run, run: "echo 'src/main.js: syntax error' >&2; exit 3" }`,
      ),
      { 'src/main.js': 'v1' },
    );
    const pid = sup.runner('app').pid;
    fs.writeFileSync(path.join(stack.dir, 'src/main.js'), 'v2');
    const failed = (await log.waitFor(
      (e) => e.type === 'healing_event' && e.action === 'watch_run_failed',
      15_000,
      'the failed run',
    )) as HealingEvent;
    expect(failed.reason.message).toContain('exited with code 3');
    expect(failed.reason.message).toContain('syntax error');
    await settle();
    expect(fileRestarts(log)).toHaveLength(0);
    expect(sup.runner('app').pid).toBe(pid);
    expect(sup.runner('app').lifecycle).toBe('running');
    expect(sup.watch.view('app')?.last_error).toContain('kept the running instance');
    const lines = sup
      .runner('app')
      .logs.tail(100)
      .map((l) => l.line);
    expect(lines).toContain('[watch] src/main.js: syntax error');
  });

  it('turned off through the API: changes restart nothing; turned on again: they do', async () => {
    const { sup, log, stack } = await start(stackYaml('{ paths: [src/], debounce: 200ms }'), {
      'src/main.js': 'v1',
    });
    const api = createApi(sup, {
      shutdown: () => undefined,
      reload: () => Promise.reject(new Error('no')),
    });
    const off = await api.setWatch({ name: 'app', enabled: false }, { actor: 'cli' });
    expect(off.watch).toMatchObject({ enabled: false, state: 'off' });
    expect((await api.getService({ name: 'app' }, { actor: 'cli' })).watch?.state).toBe('off');
    fs.writeFileSync(path.join(stack.dir, 'src/main.js'), 'v2');
    await settle();
    expect(fileRestarts(log)).toHaveLength(0);
    const on = await api.setWatch({ name: 'app', enabled: true }, { actor: 'ui' });
    expect(on.watch.state).toBe('watching');
    fs.writeFileSync(path.join(stack.dir, 'src/main.js'), 'v3');
    await log.waitFor(isFileRestart, 15_000, 'a file restart after turning it on');
  });

  it('a reload that changes watch: re-arms the watcher without restarting the service', async () => {
    const { sup, log, stack } = await start(stackYaml('{ paths: [src/], debounce: 200ms }'), {
      'src/main.js': 'v1',
      'lib/util.js': 'v1',
    });
    const pid = sup.runner('app').pid;
    stack.write(stackYaml('{ paths: [lib/], debounce: 200ms }'));
    const loaded = loadStack(stack.file, { env: process.env });
    if (!loaded.ok) throw new Error('invalid');
    const changes = await sup.applyConfig(loaded.config);
    expect(changes.updated_in_place).toEqual(['app']);
    expect(sup.runner('app').pid).toBe(pid);
    fs.writeFileSync(path.join(stack.dir, 'src/main.js'), 'v2');
    await settle();
    expect(fileRestarts(log)).toHaveLength(0);
    fs.writeFileSync(path.join(stack.dir, 'lib/util.js'), 'v2');
    const ev = (await log.waitFor(isFileRestart, 15_000, 'a file restart')) as HealingEvent;
    expect(ev.reason.files?.paths).toEqual(['lib/util.js']);
  });
});
