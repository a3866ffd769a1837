/**
 * `vigil init` discovery on real project folders: a pnpm monorepo with services, apps and
 * libraries, a Procfile and a docker-compose.yml; a single-package project; an empty folder.
 * Generated stacks are loaded with the stack loader and checked for what Vigil will run.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../core/testing/temp.js';
import type { ServiceSpec, StackConfig } from '../../../shared/model.js';
import { parseStack } from '../../core/config/index.js';
import { NameRegistry } from '../import/index.js';
import { discoverStack, type InitResult } from './index.js';
import { guessServices, localPortsIn, portInScript, runScript } from './guess.js';
import type { PackageFacts } from './scan.js';

const MONOREPO = path.join(import.meta.dirname, 'fixtures', 'monorepo');

afterAll(() => {
  removeTempDirs();
});

function load(r: InitResult): StackConfig {
  expect(r.yaml).not.toBeNull();
  const res = parseStack(r.yaml!, r.outFile, { env: {} });
  if (!res.ok) throw new Error(res.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
  return res.config;
}

function svc(config: StackConfig, name: string): ServiceSpec {
  const s = config.services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name} in ${config.services.map((x) => x.name).join(', ')}`);
  return s;
}

const texts = (r: InitResult, kind: string): string[] =>
  r.notes.filter((n) => n.kind === kind).map((n) => n.text);

describe('a monorepo', () => {
  const r = discoverStack(MONOREPO, { env: {} });
  const config = load(r);

  it('finds a service per package with a dev or start script, and imports the Procfile', () => {
    expect(r.services).toEqual(['mailer', 'api', 'web', 'worker', 'admin']);
    expect(config.services.map((s) => s.name)).toEqual(r.services);
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('runs the dev script (else start) with the package manager from packageManager', () => {
    const api = svc(config, 'api');
    expect(api.command).toEqual({ kind: 'shell', script: 'pnpm run dev' });
    expect(api.cwd).toBe(path.join(MONOREPO, 'services', 'api'));
    expect(svc(config, 'worker').command).toEqual({ kind: 'shell', script: 'pnpm start' });
    expect(svc(config, 'admin').command).toEqual({ kind: 'shell', script: 'pnpm run dev' });
    expect(r.yaml).toContain('# services/api/package.json, script "dev": nest start --watch');
    expect(r.yaml).toContain('# (also has "start": pnpm start)');
  });

  it('guesses ports from scripts and .env files, never one port twice', () => {
    expect(svc(config, 'api').port).toBe(4000);
    expect(svc(config, 'web').port).toBe(3000);
    expect(svc(config, 'admin').port).toBe(5173);
    expect(svc(config, 'worker').port).toBeUndefined();
    expect(r.yaml).toContain('port: 4000 # guessed from services/api/.env (PORT=4000)');
    expect(r.yaml).toContain('port: 3000 # guessed from the "dev" script');
    expect(
      texts(r, 'note').some((t) => t.includes('worker: port 4000 is also guessed for "api"')),
    ).toBe(true);
  });

  it('guesses that a service pointing at another one’s port depends on it', () => {
    expect(svc(config, 'web').dependsOn).toEqual([
      { name: 'api', condition: 'healthy', optional: false },
    ]);
    expect(svc(config, 'worker').dependsOn.map((d) => d.name)).toEqual(['api']);
    expect(svc(config, 'api').dependsOn).toEqual([]);
    expect(texts(r, 'guessed')).toContain('web depends on api (it points at localhost:4000)');
  });

  it('says what it skipped and why, and what it does not run', () => {
    const skipped = texts(r, 'skipped');
    expect(skipped).toContain('packages/ui: no dev or start script');
    expect(skipped).toContain('services/legacy: no package.json');
    expect(
      texts(r, 'note').some((t) => t.startsWith('docker-compose.yml: its services are containers')),
    ).toBe(true);
    expect(texts(r, 'found').some((t) => t.startsWith('Procfile (procfile): mailer'))).toBe(true);
    // The root's turbo "dev" is not a service when the packages are.
    expect(config.services.some((s) => s.name === 'shop')).toBe(false);
  });
});

describe('other folders', () => {
  it('uses the root package when there are no service directories', () => {
    const dir = tempDir({
      'package.json': JSON.stringify({
        name: 'blog',
        scripts: { start: 'node server.js --port=8080' },
      }),
      'yarn.lock': '',
    });
    const r = discoverStack(dir, { env: {} });
    const config = load(r);
    expect(config.services.map((s) => s.name)).toEqual(['blog']);
    expect(svc(config, 'blog').command).toEqual({ kind: 'shell', script: 'yarn start' });
    expect(svc(config, 'blog').port).toBe(8080);
  });

  it('prefers a process-compose file to a Procfile, and names the one it skipped', () => {
    const dir = tempDir({
      'process-compose.yaml': 'processes:\n  api:\n    command: node api.js\n',
      Procfile: 'web: node api.js\n',
    });
    const r = discoverStack(dir, { env: {} });
    expect(load(r).services.map((s) => s.name)).toEqual(['api']);
    expect(texts(r, 'skipped').some((t) => t.startsWith('Procfile: not imported'))).toBe(true);
  });

  it('reports an unreadable package.json and finds nothing in an empty folder', () => {
    const dir = tempDir({ 'services/api/package.json': '{ "scripts": ' });
    const r = discoverStack(dir, { env: {} });
    expect(r.yaml).toBeNull();
    expect(texts(r, 'skipped')[0]).toMatch(/^services\/api\/package.json: not valid JSON/);
    expect(discoverStack(tempDir({}), { env: {} }).yaml).toBeNull();
  });

  it('refuses a path that is not a directory', () => {
    expect(() => discoverStack(path.join(MONOREPO, 'package.json'))).toThrow(/is not a directory/);
  });
});

describe('guesses', () => {
  it('reads ports from script flags and env assignments only', () => {
    expect(portInScript('next dev -p 3001')).toBe(3001);
    expect(portInScript('vite --port=5174 --host')).toBe(5174);
    expect(portInScript('PORT=4100 node server.js')).toBe(4100);
    expect(portInScript('tsc -p tsconfig.json')).toBeUndefined();
    expect(portInScript('node server.js --port 99999')).toBeUndefined();
    expect(localPortsIn('http://localhost:4000/api and redis://127.0.0.1:6379, [::1]:80')).toEqual([
      4000, 6379, 80,
    ]);
    expect(runScript('npm', 'dev')).toBe('npm run dev');
    expect(runScript('yarn', 'dev')).toBe('yarn dev');
    expect(runScript('bun', 'start')).toBe('bun run start');
  });

  it('never guesses a dependency cycle', () => {
    const pkg = (rel: string, port: number, points: number): PackageFacts => ({
      dir: `/p/${rel}`,
      rel,
      scripts: { dev: `serve --port ${port}` },
      envFiles: [{ file: `/p/${rel}/.env`, vars: { PEER: `http://localhost:${points}` } }],
    });
    const g = guessServices([pkg('a', 1111, 2222), pkg('b', 2222, 1111)], {
      pm: 'npm',
      names: new NameRegistry(),
    });
    const deps = g.services.map((s) => (s.dependsOn ?? []).map((d) => d.name));
    expect(deps).toEqual([['b'], []]);
  });
});
