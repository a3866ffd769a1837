import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportCompose } from './compose.js';
import { composeProblems, exampleStacks, loadOk, tempStack } from './testing/support.js';
import { readEnvFileFromDisk, writeExport } from './write.js';

const STACK = `version: 1
name: Shop
env_file: shared.env
services:
  db:
    command: [postgres]
    port: 5432
    image: postgres:17
    health: { exec: pg_isready, interval: 2s, timeout: 1s, failure_threshold: 5, start_period: 10s }
    limits: { memory: 1GB, cpu: 50% }
    stop: { signal: SIGINT, timeout: 20s }
  migrate:
    command: node migrate.js
    oneshot: true
    depends_on: [db]
  api:
    command: node api.js
    port: 3000
    replicas: 3
    env: { DB_URL: 'postgres://127.0.0.1:5432/shop', API_TOKEN: abc }
    health: { http: { path: /health } }
    depends_on:
      migrate: completed
      worker: { condition: healthy, optional: true }
  worker:
    command: node worker.js
    health: { log: ready }
    restart: { policy: never }
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function shop() {
  const dir = tempStack({ 'vigil.yaml': STACK, 'shared.env': 'LOG_LEVEL=info\n' });
  dirs.push(dir);
  const config = loadOk(path.join(dir, 'vigil.yaml'));
  const r = exportCompose(config, { outDir: dir, readEnvFile: readEnvFileFromDisk });
  return { dir, r, doc: parse(r.files[0]!.text) as Obj };
}

describe('the Compose file validates against the Compose specification', () => {
  it.each(exampleStacks())('example $name', ({ file }) => {
    const r = exportCompose(loadOk(file), {
      outDir: path.dirname(file),
      readEnvFile: readEnvFileFromDisk,
    });
    expect(composeProblems(parse(r.files[0]!.text))).toEqual([]);
  });

  it('the edge cases, and the schema catches a broken file', () => {
    const { doc } = shop();
    expect(composeProblems(doc)).toEqual([]);
    expect(
      composeProblems({
        ...doc,
        services: { x: { restart: 'always', depends_on: { db: { condition: 'ready' } } } },
      }),
    ).not.toEqual([]);
  });
});

describe('what maps to what in Compose', () => {
  it('health checks, conditions, restart, limits, replicas, stop', () => {
    const { doc, r } = shop();
    const s = doc.services;
    expect(doc.name).toBe('shop');
    expect(s.db.healthcheck).toEqual({
      test: ['CMD-SHELL', 'pg_isready'],
      interval: '2s',
      timeout: '1s',
      retries: 5,
      start_period: '10s',
      start_interval: '200ms',
    });
    expect(s.db.deploy).toEqual({ resources: { limits: { memory: '1073741824b', cpus: '0.5' } } });
    expect(s.db).toMatchObject({
      stop_signal: 'SIGINT',
      stop_grace_period: '20s',
      restart: 'unless-stopped',
      ports: ['127.0.0.1:5432:5432'],
    });
    expect(s.migrate.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(s.migrate.restart).toBe('on-failure:7');
    expect(s.api.depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      worker: { condition: 'service_started', required: false },
    });
    expect(s.api.healthcheck.test).toEqual([
      'CMD-SHELL',
      'wget -q -T 2 -O /dev/null http://127.0.0.1:3000/health || exit 1',
    ]);
    expect(s.api.deploy).toEqual({ replicas: 3 });
    expect(s.api.ports).toBeUndefined();
    expect(s.api.expose).toEqual(['3000']);
    expect(s.worker.restart).toBe('no');
    expect(s.worker.healthcheck).toBeUndefined();
    const notes = r.notes.map((n) => `${n.service}: ${n.message}`);
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^api: depends_on worker \(healthy\): worker has no Compose healthcheck \(its log probe\), so "healthy" becomes "started"/,
        ),
        expect.stringMatching(/^api: port 3000 is exposed, not published/),
        expect.stringMatching(/^api: env API_TOKEN looks secret/),
        expect.stringMatching(/^api: env DB_URL: 127.0.0.1:5432 -> db:5432/),
        expect.stringMatching(/^worker: the log probe/),
      ]),
    );
  });

  it('env files stay files, once, relative to the Compose file; only differing values are repeated', () => {
    const { doc } = shop();
    for (const name of ['db', 'migrate', 'api', 'worker'])
      expect(doc.services[name].env_file).toEqual(['shared.env']);
    expect(doc.services.api.environment).toEqual({
      API_TOKEN: 'abc',
      DB_URL: 'postgres://db:5432/shop',
      PORT: '3000',
    });
    expect(doc.services.migrate.environment).toBeUndefined();
  });

  it('writes the file, and will not overwrite one it did not write', () => {
    const { dir } = shop();
    const config = loadOk(path.join(dir, 'vigil.yaml'));
    const out = path.join(dir, 'compose.yaml');
    fs.writeFileSync(out, 'services: {}\n');
    const refused = writeExport(config, { target: 'compose', out });
    expect(refused).toMatchObject({
      ok: false,
      message: expect.stringMatching(/was not written by vigil export/),
    });
    expect(fs.readFileSync(out, 'utf8')).toBe('services: {}\n');
    expect(writeExport(config, { target: 'compose', out, force: true }).ok).toBe(true);
    expect(writeExport(config, { target: 'compose', out }).ok).toBe(true);
    expect(composeProblems(parse(fs.readFileSync(out, 'utf8')))).toEqual([]);
  });
});
