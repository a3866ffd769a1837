import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { memoryIO } from '../io.js';
import { run } from '../main.js';

const DEMO = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../../../../examples/demo/vigil.yaml',
);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-export-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('vigil export', () => {
  it('writes the demo as a kustomize folder and lists what changes', async () => {
    const io = memoryIO({ cwd: tmp });
    const code = await run(
      [
        'export',
        'kubernetes',
        '-f',
        DEMO,
        '-o',
        'k8s',
        '--namespace',
        'shop',
        '--image',
        'db=ghcr.io/acme/db:1',
      ],
      io,
    );
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const out = io.out();
    expect(out).toMatch(/^wrote 10 files to k8s\/ \(namespace shop\)$/m);
    expect(out).toMatch(/^needs an image \(6\):$/m);
    expect(out).not.toMatch(/^ {2}db: no image/m);
    expect(out).toMatch(/^ {2}api: depends_on cache \(healthy, optional\): not waited for/m);
    expect(out).toMatch(/^next: kubectl apply -k k8s$/m);
    const k = parse(fs.readFileSync(path.join(tmp, 'k8s', 'kustomization.yaml'), 'utf8')) as {
      namespace: string;
    };
    expect(k.namespace).toBe('shop');
    expect(fs.readFileSync(path.join(tmp, 'k8s', 'db.yaml'), 'utf8')).toMatch(
      /image: ghcr.io\/acme\/db:1/,
    );
  });

  it('writes a Compose file; --json gives the notes', async () => {
    const io = memoryIO({ cwd: tmp });
    expect(await run(['export', 'compose', '-f', DEMO, '-o', 'c/compose.yaml', '--json'], io)).toBe(
      0,
    );
    const j = JSON.parse(io.out()) as {
      ok: boolean;
      written: string[];
      notes: { topic: string }[];
    };
    expect(j.ok).toBe(true);
    expect(j.written).toEqual([path.join(tmp, 'c', 'compose.yaml')]);
    expect(j.notes.some((n) => n.topic === 'image')).toBe(true);
  });

  it('says what is wrong with the arguments', async () => {
    const cases: [string[], number, RegExp][] = [
      [['export'], 2, /say what to export to: kubernetes or compose/],
      [['export', 'helm'], 2, /unknown target "helm"/],
      [
        ['export', 'kubernetes', '-f', DEMO, '--image', 'api'],
        2,
        /--image "api": write NAME=IMAGE/,
      ],
      [['export', 'kubernetes', '-f', DEMO, '--namespace', 'Bad_NS'], 2, /not a namespace name/],
      [
        ['export', 'compose', '-f', DEMO, '--namespace', 'x'],
        2,
        /--namespace is for kubernetes only/,
      ],
      [
        ['export', 'kubernetes', '-f', DEMO, '-o', 'k2', '--image', 'nope=x:1'],
        1,
        /--image names "nope", not a service of this stack\n {2}services: db, cache/,
      ],
    ];
    for (const [argv, code, message] of cases) {
      const io = memoryIO({ cwd: tmp });
      expect(await run(argv, io), argv.join(' ')).toBe(code);
      expect(io.err()).toMatch(message);
    }
  });

  it('refuses an invalid stack and writes nothing', async () => {
    fs.writeFileSync(
      path.join(tmp, 'bad.yaml'),
      'services:\n  a:\n    command: x\n    replicas: 0\n',
    );
    const io = memoryIO({ cwd: tmp });
    expect(await run(['export', 'kubernetes', '-f', 'bad.yaml', '-o', 'never'], io)).toBe(2);
    expect(io.err()).toMatch(/bad.yaml:4:15/);
    expect(io.err()).toMatch(/is not valid; nothing written/);
    expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
  });
});
