/** `vigil import` and `vigil init` run in-process on real files in temp folders. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../core/testing/temp.js';
import { loadStack } from '../../core/config/index.js';
import { memoryIO } from '../io.js';
import { run } from '../main.js';

afterAll(() => {
  removeTempDirs();
});

const PROCFILE = `web: node server.js\nworker: node worker.js\nnot a process line\n`;

describe('vigil import', () => {
  it('writes vigil.yaml beside the input, lists what it could not map, and the file loads', async () => {
    const dir = tempDir({ Procfile: PROCFILE });
    const io = memoryIO({ cwd: dir });
    expect(await run(['import', 'Procfile'], io)).toBe(0);
    expect(io.out()).toContain(
      'Imported 2 services from Procfile (procfile) into vigil.yaml: web, worker',
    );
    expect(io.out()).toContain('Procfile:3:1: not a "type: command" line');
    expect(io.out()).toContain('then run `vigil up`');
    const loaded = loadStack(path.join(dir, 'vigil.yaml'), { env: {} });
    expect(loaded.ok && loaded.config.services.map((s) => s.name)).toEqual(['web', 'worker']);
  });

  it('never overwrites without --force', async () => {
    const dir = tempDir({ Procfile: PROCFILE, 'vigil.yaml': '# mine\n' });
    const io = memoryIO({ cwd: dir });
    expect(await run(['import', 'Procfile'], io)).toBe(1);
    expect(io.err()).toContain('already exists; pass --force to overwrite it');
    expect(fs.readFileSync(path.join(dir, 'vigil.yaml'), 'utf8')).toBe('# mine\n');
    expect(await run(['import', 'Procfile', '--force'], memoryIO({ cwd: dir }))).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'vigil.yaml'), 'utf8')).toContain('services:');
  });

  it('writes where -o says, or prints with -o -', async () => {
    const dir = tempDir({ 'app/Procfile': PROCFILE });
    const io = memoryIO({ cwd: dir });
    expect(await run(['import', 'app/Procfile', '-o', 'stacks/dev.yaml'], io)).toBe(0);
    const out = path.join(dir, 'stacks', 'dev.yaml');
    const loaded = loadStack(out, { env: {} });
    expect(loaded.ok && loaded.config.services[0]?.cwd).toBe(path.join(dir, 'app'));
    expect(io.out()).toContain('`vigil up -f stacks/dev.yaml`');

    const printed = memoryIO({ cwd: dir });
    expect(await run(['import', 'app/Procfile', '-o', '-'], printed)).toBe(0);
    expect(printed.out()).toMatch(/^# Imported from Procfile/);
    expect(printed.err()).toContain('Procfile:3:1');
    expect(fs.existsSync(path.join(dir, 'app', 'vigil.yaml'))).toBe(false);
  });

  it('gives machine output with --json', async () => {
    const dir = tempDir({ Procfile: PROCFILE });
    const io = memoryIO({ cwd: dir });
    expect(await run(['import', 'Procfile', '--json'], io)).toBe(0);
    const out = JSON.parse(io.out()) as Record<string, unknown>;
    expect(out).toMatchObject({
      format: 'procfile',
      written: true,
      file: path.join(dir, 'vigil.yaml'),
      services: ['web', 'worker'],
      problems: [],
    });
    expect((out.warnings as { line: number }[])[0]?.line).toBe(3);
  });

  it('refuses a Docker Compose file plainly, with exit 2', async () => {
    const dir = tempDir({ 'docker-compose.yml': 'services:\n  db:\n    image: postgres:16\n' });
    const io = memoryIO({ cwd: dir });
    expect(await run(['import', 'docker-compose.yml'], io)).toBe(2);
    expect(io.err()).toContain('docker-compose.yml is a Docker Compose file');
    expect(io.err()).toContain('hint:');
    expect(fs.existsSync(path.join(dir, 'vigil.yaml'))).toBe(false);
  });

  it('exits 2 for usage errors and files it cannot read', async () => {
    const dir = tempDir({});
    for (const args of [
      ['import'],
      ['import', 'a', 'b'],
      ['import', '--bogus', 'x'],
      ['import', 'missing.yaml'],
    ]) {
      const io = memoryIO({ cwd: dir });
      expect(await run(args, io), args.join(' ')).toBe(2);
    }
  });
});

describe('vigil init', () => {
  const project = (): string =>
    tempDir({
      'services/api/package.json': JSON.stringify({ scripts: { dev: 'node api.js --port 4000' } }),
      'services/web/package.json': JSON.stringify({ scripts: { start: 'node web.js' } }),
      'services/web/.env': 'PORT=3000\nAPI=http://localhost:4000\n',
      'package-lock.json': '{}',
    });

  it('prints what it found and guessed, and writes a stack that loads', async () => {
    const dir = project();
    const io = memoryIO({ cwd: dir });
    expect(await run(['init'], io)).toBe(0);
    const out = io.out();
    expect(out).toContain(
      'found    services/api/package.json: script "dev" -> service "api" (npm run dev)',
    );
    expect(out).toContain('guessed  api: port 4000, from the "dev" script');
    expect(out).toContain('guessed  web depends on api (it points at localhost:4000)');
    expect(out).toContain('Wrote vigil.yaml: 2 services (api, web)');
    const loaded = loadStack(path.join(dir, 'vigil.yaml'), { env: {} });
    expect(loaded.ok && loaded.config.services.map((s) => [s.name, s.port])).toEqual([
      ['api', 4000],
      ['web', 3000],
    ]);
  });

  it('takes a folder, never overwrites without --force, and prints with --dry-run', async () => {
    const dir = project();
    const parent = path.dirname(dir);
    fs.writeFileSync(path.join(dir, 'vigil.yaml'), '# mine\n');
    const refused = memoryIO({ cwd: parent });
    expect(await run(['init', path.basename(dir)], refused)).toBe(1);
    expect(refused.err()).toContain('already exists; pass --force');
    expect(fs.readFileSync(path.join(dir, 'vigil.yaml'), 'utf8')).toBe('# mine\n');

    const dry = memoryIO({ cwd: dir });
    expect(await run(['init', '--dry-run'], dry)).toBe(0);
    expect(dry.out()).toMatch(/^# Written by `vigil init`/);
    expect(dry.err()).toContain('found');
    expect(fs.readFileSync(path.join(dir, 'vigil.yaml'), 'utf8')).toBe('# mine\n');

    expect(await run(['init', '--force'], memoryIO({ cwd: dir }))).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'vigil.yaml'), 'utf8')).toContain('services:');
  });

  it('says when there is nothing to run, and gives --json output', async () => {
    const empty = tempDir({ 'README.md': '# nothing\n' });
    const io = memoryIO({ cwd: empty });
    expect(await run(['init'], io)).toBe(1);
    expect(io.out()).toContain('Nothing to run found');
    expect(fs.existsSync(path.join(empty, 'vigil.yaml'))).toBe(false);

    const dir = project();
    const json = memoryIO({ cwd: dir });
    expect(await run(['init', '--json'], json)).toBe(0);
    const out = JSON.parse(json.out()) as {
      written: boolean;
      services: string[];
      notes: unknown[];
    };
    expect(out.written).toBe(true);
    expect(out.services).toEqual(['api', 'web']);
    expect(out.notes.length).toBeGreaterThan(0);
  });

  it('exits 2 for a folder that does not exist', async () => {
    const io = memoryIO({ cwd: os.tmpdir() });
    expect(await run(['init', 'no-such-folder-for-vigil-init'], io)).toBe(2);
    expect(io.err()).toContain('is not a directory');
  });
});
