/**
 * Hostile and broken stack files, through the real CLI: each one is refused with its file, line
 * and column, exit code 2, and nothing starts. A broken file given to a running Vigil (hot reload)
 * is rejected and the running stack keeps its last good configuration. Values that look like
 * shell reach the service verbatim.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadStack } from '../src/main/core/config/index.js';
import { freePorts } from '../src/main/core/testing/fixtures.js';
import {
  Tracker,
  buildCli,
  isReady,
  makeStack,
  runVigil,
  serviceDetail,
  sleep,
  stopVigil,
} from './harness.js';
import { ENV_DUMP, HTTP_SERVICE, IDLE } from './services.js';

const t = new Tracker();
beforeAll(() => buildCli());
afterEach(() => t.killAll());
afterAll(() => t.cleanup());

const FILES = { 'svc.mjs': HTTP_SERVICE, 'idle.mjs': IDLE, 'env.mjs': ENV_DUMP };

interface BadCase {
  readonly name: string;
  readonly yaml: string | (() => string);
  /** Where the error must point: line (and column when given). */
  readonly line?: number;
  readonly col?: number;
  /** What the message must say. */
  readonly says: RegExp;
}

const aliasBomb = (): string => {
  const rows = ['version: 1', `x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++) {
    const prev = names[i - 1]!;
    rows.push(`x-${names[i]}: &${names[i]} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  rows.push('services:', '  api:', '    command: node idle.mjs', '    capabilities: *i');
  return rows.join('\n') + '\n';
};

const huge = (): string => {
  const filler = `# ${'x'.repeat(1022)}\n`;
  return `version: 1\nservices:\n  api:\n    command: node idle.mjs\n${filler.repeat(50 * 1024)}`;
};

const CASES: readonly BadCase[] = [
  {
    name: 'invalid YAML',
    yaml: `version: 1\nservices:\n  api:\n    command: [node, idle.mjs\n  web:\n    command: node idle.mjs\n`,
    says: /yaml|flow|collection|expected/i,
  },
  {
    name: 'a cycle',
    yaml: `version: 1\nservices:\n  a:\n    command: node idle.mjs\n    depends_on: [b]\n  b:\n    command: node idle.mjs\n    depends_on: [c]\n  c:\n    command: node idle.mjs\n    depends_on: [a]\n`,
    says: /cycle|circular/i,
  },
  {
    name: 'an unknown dependency',
    yaml: `version: 1\nservices:\n  cache:\n    command: node idle.mjs\n  api:\n    command: node idle.mjs\n    depends_on: [cahce]\n`,
    line: 7,
    says: /cahce/,
  },
  {
    name: 'duplicate service names',
    yaml: `version: 1\nservices:\n  api:\n    command: node idle.mjs\n  api:\n    command: node idle.mjs\n`,
    line: 5,
    says: /duplicate|unique|more than once|twice/i,
  },
  {
    name: 'duplicate ports',
    yaml: `version: 1\nservices:\n  a:\n    command: node idle.mjs\n    port: 45123\n  b:\n    command: node idle.mjs\n    port: 45123\n`,
    line: 8,
    says: /45123/,
  },
  {
    name: 'an unknown key',
    yaml: `version: 1\nservices:\n  api:\n    comand: node idle.mjs\n`,
    line: 4,
    col: 5,
    says: /comand/,
  },
  {
    name: 'a 50 MB file',
    yaml: huge,
    says: /MB|large|limit/i,
  },
  {
    name: 'a YAML alias bomb',
    yaml: aliasBomb,
    says: /alias/i,
  },
  {
    name: 'a missing command',
    yaml: `version: 1\nservices:\n  api:\n    port: 45124\n`,
    line: 3,
    says: /command/,
  },
  {
    name: 'a missing cwd',
    yaml: `version: 1\nservices:\n  api:\n    command: node idle.mjs\n    cwd: ./not-there\n`,
    line: 5,
    says: /not-there/,
  },
  {
    name: 'a __proto__ service',
    yaml: `version: 1\nservices:\n  __proto__:\n    command: node idle.mjs\n`,
    line: 3,
    says: /__proto__|name/,
  },
  {
    name: 'a service name with ../',
    yaml: `version: 1\nservices:\n  "../../etc/evil":\n    command: node idle.mjs\n`,
    line: 3,
    says: /name/,
  },
  {
    name: 'a service name with HTML',
    yaml: `version: 1\nservices:\n  "<img src=x onerror=alert(1)>":\n    command: node idle.mjs\n`,
    line: 3,
    says: /name/,
  },
];

describe('bad stack files through `vigil up`', () => {
  for (const c of CASES) {
    it(`refuses ${c.name} with its location, exit 2, and starts nothing`, async () => {
      const stack = makeStack(t, typeof c.yaml === 'function' ? c.yaml() : c.yaml, FILES);
      const run = runVigil(t, { stack });
      const r = await run.exit;
      const err = run.stderr.join('\n');
      expect(r.code, err).toBe(2);
      expect(err).toMatch(c.says);
      const where = new RegExp(`vigil\\.yaml:${c.line ?? '\\d+'}:${c.col ?? '\\d+'}`);
      expect(err).toMatch(where);
      expect(run.events).toEqual([]);
      expect(t.tagged()).toEqual([]);
      // The prototype of every object is untouched by whatever the file held.
      expect(({} as Record<string, unknown>).command).toBeUndefined();
    }, 30_000);
  }

  it('a __proto__ key inside env or settings pollutes nothing and is reported or kept verbatim', () => {
    const stack = makeStack(
      t,
      `version: 1\nservices:\n  api:\n    command: node idle.mjs\n    env:\n      __proto__: { polluted: "yes" }\n      constructor: x\n`,
      FILES,
    );
    const loaded = loadStack(stack.file, { env: {} });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    if (loaded.ok) {
      const env = loaded.config.services[0]!.env;
      expect(
        Object.getPrototypeOf(env) === Object.prototype || Object.getPrototypeOf(env) === null,
      ).toBe(true);
      expect((env as Record<string, unknown>).polluted).toBeUndefined();
    } else {
      expect(loaded.errors[0]!.line).toBe(6);
    }
  });
});

describe('env values reach the service verbatim', () => {
  it('shell metacharacters, %, quotes and $ signs are passed as they are written', async () => {
    const values: Record<string, string> = {
      SUBSHELL: '$(touch pwned-subshell)',
      BACKTICK: '`touch pwned-backtick`',
      CHAIN: 'a;b|c&&d>e<f',
      PERCENT: '100% %s %d %n %% %PATH%',
      QUOTES: `it's "quoted" \\ back`,
      GLOB: '*?[abc]~',
      DOLLAR: 'cost $5 and $HOME',
      NEWLINE_FREE: 'tab\there',
    };
    const yamlValue = (v: string): string => JSON.stringify(v).replace(/\$\$/g, '$$$$');
    const envYaml = Object.entries(values)
      .map(([k, v]) => `      ${k}: ${yamlValue(v)}`)
      .join('\n');
    const keys = Object.keys(values).join(',');
    const stack = makeStack(
      t,
      `version: 1
services:
  shell:
    command: node env.mjs
    env:
      DUMP_KEYS: "${keys},FROM_FILE"
${envYaml}
    env_file: ./svc.env
  argv:
    command: [node, env.mjs]
    env:
      DUMP_KEYS: "${keys},FROM_FILE"
${envYaml}
    env_file: ./svc.env
`,
      { ...FILES, 'svc.env': `FROM_FILE='$(touch pwned-file) 50%'\n` },
    );
    const run = runVigil(t, { stack, keepLogs: true });
    await run.waitFor(isReady, 20_000, 'ready');
    for (const svc of ['shell', 'argv']) {
      const ev = await run.waitFor(
        (e) => e.type === 'log' && e.service === svc && e.line.startsWith('env '),
        10_000,
        `${svc} env`,
      );
      const got = JSON.parse(ev.type === 'log' ? ev.line.slice(4) : '{}') as Record<string, string>;
      for (const [k, v] of Object.entries(values)) expect(got[k], `${svc} ${k}`).toBe(v);
      expect(got.FROM_FILE).toBe('$(touch pwned-file) 50%');
    }
    const pwned = fs.readdirSync(stack.dir).filter((f) => f.startsWith('pwned'));
    expect(pwned).toEqual([]);
    expect((await stopVigil(run)).code).toBe(0);
  }, 30_000);
});

describe('hot reload with a broken file', () => {
  it('rejects each broken version with its location and keeps the running stack untouched', async () => {
    const [p1, p2] = await freePorts(2);
    const good = `version: 1
services:
  db:
    command: node svc.mjs
    port: ${p1}
  api:
    command: node svc.mjs
    port: ${p2}
    depends_on: [db]
`;
    const stack = makeStack(t, good, FILES);
    const run = runVigil(t, { stack });
    await run.waitFor(isReady, 20_000, 'ready');
    const api = await run.api();
    const before = await Promise.all(['db', 'api'].map((n) => serviceDetail(api, n)));
    const broken = [
      good.replace('depends_on: [db]', 'depends_on: [dbb]'),
      good.replace(`port: ${p2}`, `port: ${p1}`),
      good + '  db:\n    command: node svc.mjs\n',
      good.replace(
        '    command: node svc.mjs\n    port: ' + p1,
        '    command: [node, svc.mjs\n    port: ' + p1,
      ),
      good.replace('  api:', '  "../api":'),
      good + `    x: ${'[1'.repeat(2000)}\n`,
    ];
    for (const text of broken) {
      stack.write(text);
      const r = await api.post('/orchestrator/reload');
      const body = r.json as {
        success?: boolean;
        applied?: boolean;
        errors?: { file: string; line: number; col: number; message: string }[];
        error?: { code: string; message: string };
      };
      if (r.status === 200) {
        expect(body.applied, r.text).toBe(false);
        expect(body.errors?.length, r.text).toBeGreaterThan(0);
        expect(body.errors![0]!.line).toBeGreaterThan(0);
        expect(body.errors![0]!.file).toBe(stack.file);
      } else {
        expect(r.status, r.text).toBe(400);
        expect(body.error?.message, r.text).toMatch(/vigil\.yaml:\d+:\d+/);
      }
    }
    // The file watcher sees broken versions too, and rejects them the same way.
    stack.write(broken[0]!);
    await run.next(
      (e) => e.type === 'status_update' && e.event === 'config-rejected',
      10_000,
      'config-rejected from the watcher',
    );
    await sleep(300);
    const after = await Promise.all(['db', 'api'].map((n) => serviceDetail(api, n)));
    for (let i = 0; i < 2; i++) {
      expect(after[i]!.pid).toBe(before[i]!.pid);
      expect(after[i]!.generation).toBe(before[i]!.generation);
      expect(after[i]!.lifecycle).toBe('running');
    }
    expect(
      run.events.some((e) => e.type === 'status_update' && e.event === 'config-reloaded'),
    ).toBe(false);
    // A good file is applied again afterwards.
    stack.write(
      good.replace('    depends_on: [db]\n', '    depends_on: [db]\n    priority: high\n'),
    );
    const ok = await api.post('/orchestrator/reload');
    expect((ok.json as { applied?: boolean }).applied, ok.text).toBe(true);
    expect((await stopVigil(run)).code).toBe(0);
    expect(path.isAbsolute(stack.file)).toBe(true);
  }, 60_000);
});
