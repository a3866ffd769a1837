import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { validateCommand } from './validate.js';

const fixtures = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../core/config/fixtures',
);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-validate-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function run(
  argv: string[],
  opts: { cwd?: string; env?: Record<string, string>; tty?: boolean } = {},
) {
  const io = memoryIO({ cwd: opts.cwd ?? fixtures, env: opts.env ?? {}, tty: opts.tty ?? false });
  const code = await validateCommand(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('vigil validate on broken fixtures', () => {
  it.each([
    ['cycle.yaml', 'STACK_CYCLE', '5:18'],
    ['self-dependency.yaml', 'STACK_CYCLE', '5:18'],
    ['unknown-dependency.yaml', 'STACK_UNKNOWN_DEPENDENCY', '8:7'],
    ['bad-indentation.yaml.txt', 'STACK_YAML', '6:6'],
    ['duplicate-port.yaml', 'STACK_INVALID', '8:11'],
    ['duplicate-service.yaml', 'STACK_INVALID', '7:3'],
    ['unknown-key.yaml', 'STACK_INVALID', '5:5'],
    ['bad-duration.yaml', 'STACK_INVALID', '3:26'],
    ['bad-service-name.yaml', 'STACK_INVALID', '5:3'],
    ['bad-size.yaml', 'STACK_INVALID', '6:15'],
    ['bad-cpu.yaml', 'STACK_INVALID', '5:35'],
    ['bad-signal.yaml', 'STACK_INVALID', '5:21'],
    ['bad-version.yaml', 'STACK_INVALID', '1:10'],
    ['early-phase.yaml', 'STACK_INVALID', '10:12'],
    ['missing-command.yaml', 'STACK_INVALID', '3:3'],
    ['reset-missing.yaml', 'STACK_INVALID', '5:15'],
    ['missing-cwd.yaml', 'STACK_INVALID', '5:10'],
    ['missing-env-file.yaml', 'STACK_INVALID', '5:15'],
    ['alias-bomb.yaml', 'STACK_TOO_LARGE', '1:1'],
  ])('%s: exit 2 naming %s at its line and column', async (name, code, at) => {
    const r = await run(['-f', name]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`${name}:${at}: error ${code}`);
    expect(r.out.trimEnd().split('\n').at(-1)).toBe(`${name}: 1 error`);
  });

  it('shows the offending line with a caret and the hint', async () => {
    const r = await run(['-f', 'unknown-dependency.yaml']);
    expect(r.out).toContain(
      '   8 |       cach: healthy\n     |       ^\n  hint: did you mean "cache"?',
    );
  });

  it('colours the report only on a terminal, and never with NO_COLOR', async () => {
    expect((await run(['-f', 'unknown-key.yaml'], { tty: true })).out).toContain('\u001b[');
    expect(
      (await run(['-f', 'unknown-key.yaml'], { tty: true, env: { NO_COLOR: '1' } })).out,
    ).not.toContain('\u001b[');
  });
});

describe('vigil validate on a valid stack', () => {
  it('prints a summary and exits 0', async () => {
    const r = await run(['-f', 'valid.yaml']);
    expect(r).toEqual({ code: 0, out: 'valid.yaml: 4 services in 3 phases, OK\n', err: '' });
  });

  it('finds vigil.yaml in the current directory', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'cwd-'));
    fs.copyFileSync(path.join(fixtures, 'valid.yaml'), path.join(dir, 'vigil.yaml'));
    const r = await run([], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.out).toBe('vigil.yaml: 4 services in 3 phases, OK\n');
  });

  it('prints warnings and counts them in the summary', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'warn-'));
    fs.writeFileSync(path.join(dir, 'vigil.yaml'), 'services:\n  api:\n    command: run ${NOPE}\n');
    const r = await run([], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'vigil.yaml:3:18: warning STACK_INVALID at services.api.command: variable NOPE is not set',
    );
    expect(r.out).toContain('vigil.yaml: 1 service in 1 phase, OK (1 warning)\n');
  });

  it('reads variables from the given environment', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'env-'));
    fs.writeFileSync(
      path.join(dir, 'vigil.yaml'),
      'services:\n  api:\n    command: run\n    port: ${PORT}\n',
    );
    expect((await run([], { cwd: dir, env: { PORT: '8080' } })).code).toBe(0);
    expect((await run([], { cwd: dir, env: { PORT: 'x' } })).code).toBe(2);
  });
});

describe('vigil validate --json', () => {
  it('prints ok, errors, warnings and services with secrets masked', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'json-'));
    fs.writeFileSync(
      path.join(dir, 'vigil.yaml'),
      'services:\n  db: { command: a }\n  api:\n    command: b\n    depends_on: [db]\n    env: { API_TOKEN: hunter2, PORT: "1" }\n',
    );
    const r = await run(['--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as {
      ok: boolean;
      errors: unknown[];
      warnings: unknown[];
      services: Record<string, unknown>[];
    };
    expect(j.ok).toBe(true);
    expect(j.errors).toEqual([]);
    expect(j.services.map((s) => [s.name, s.effectivePhase])).toEqual([
      ['db', 0],
      ['api', 1],
    ]);
    expect(j.services[1]!.env).toEqual({ API_TOKEN: '***', PORT: '1' });
    expect(r.out).not.toContain('hunter2');
  });

  it('prints the errors of an invalid stack and exits 2', async () => {
    const r = await run(['--json', '-f', 'cycle.yaml']);
    expect(r.code).toBe(2);
    const j = JSON.parse(r.out) as {
      ok: boolean;
      errors: { code: string; line: number; col: number }[];
      services: unknown[];
    };
    expect(j.ok).toBe(false);
    expect(j.errors).toMatchObject([{ code: 'STACK_CYCLE', line: 5, col: 18 }]);
    expect(j.services).toEqual([]);
  });
});

describe('vigil validate errors of use', () => {
  it('exits 2 naming the files it looked for when there is no stack file', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const r = await run([], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.out).toContain('STACK_NOT_FOUND');
    expect(r.out).toContain(`looked for vigil.yaml and vigil.yml in ${dir}`);
  });

  it('exits 2 for a -f file that does not exist', async () => {
    const r = await run(['-f', 'nope.yaml']);
    expect(r.code).toBe(2);
    expect(r.out).toContain('STACK_NOT_FOUND');
  });

  it('exits 2 with usage for unknown options and stray arguments, 0 for --help', async () => {
    const bad = await run(['--frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Usage: vigil validate');
    expect((await run(['extra'])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: vigil validate [-f FILE] [--json]');
  });
});
