/**
 * The layers are enforced by lint (`npm run lint`, part of `npm run check`): files that break them
 * are placed in the real tree for a moment and linted with the project's own config. Each must
 * fail with the rule and the message that says which boundary it crossed; a clean file next to
 * them must pass, so the failures come from the boundaries and not from the setup.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tag = crypto.randomBytes(4).toString('hex');

interface Probe {
  readonly file: string;
  readonly text: string;
  /** The rule and a piece of its message, or null for the clean control file. */
  readonly expect: { readonly rule: string; readonly message: string } | null;
}

const PROBES: readonly Probe[] = [
  {
    file: `src/main/core/layer-probe-${tag}.ts`,
    text: "import { startHttpServer } from '../transport/http.js';\nexport const x = startHttpServer;\n",
    expect: { rule: 'no-restricted-imports', message: 'core must not import transport' },
  },
  {
    file: `src/main/core/layer-probe-cli-${tag}.ts`,
    text: "import { main } from '../cli/main.js';\nexport const x = main;\n",
    expect: { rule: 'no-restricted-imports', message: 'must not import the CLI' },
  },
  {
    file: `src/main/transport/layer-probe-${tag}.ts`,
    text: "import * as host from '../app/stack-host.js';\nexport const x = host;\n",
    expect: { rule: 'no-restricted-imports', message: 'only the Electron shell imports' },
  },
  {
    file: `src/main/transport/layer-probe-host-${tag}.ts`,
    text: "import { openStack } from '../host/stack.js';\nexport const x = openStack;\n",
    expect: { rule: 'no-restricted-imports', message: 'the host assembles core and transports' },
  },
  {
    file: `src/main/export/layer-probe-${tag}.ts`,
    text: "import { startHttpServer } from '../transport/http.js';\nexport const x = startHttpServer;\n",
    expect: { rule: 'no-restricted-imports', message: 'core must not import transport' },
  },
  {
    file: `src/main/core/layer-probe-export-${tag}.ts`,
    text: "import { writeExport } from '../export/index.js';\nexport const x = writeExport;\n",
    expect: { rule: 'no-restricted-imports', message: 'the stack-file export is a feature' },
  },
  {
    file: `src/main/core/layer-probe-api-${tag}.ts`,
    text: "import { createApi } from '../api/api.js';\nexport const x = createApi;\n",
    expect: { rule: 'no-restricted-imports', message: 'the core never imports it' },
  },
  {
    file: `src/main/core/store/layer-probe-report-${tag}.ts`,
    text: "import { buildReport } from '../../report/index.js';\nexport const x = buildReport;\n",
    expect: { rule: 'no-restricted-imports', message: 'the healing report reads the history' },
  },
  {
    file: `src/main/core/layer-probe-stackfile-${tag}.ts`,
    text: "import { importStack } from '../stackfile/import/index.js';\nexport const x = importStack;\n",
    expect: { rule: 'no-restricted-imports', message: 'the core never imports them' },
  },
  {
    file: `src/main/report/layer-probe-${tag}.ts`,
    text: "import { createApi } from '../api/api.js';\nexport const x = createApi;\n",
    expect: { rule: 'no-restricted-imports', message: 'the API facade' },
  },
  {
    file: `src/renderer/layer-probe-${tag}.ts`,
    text: "import { buildBridge } from '../preload/bridge.js';\nexport const x = buildBridge;\n",
    expect: { rule: 'no-restricted-imports', message: 'must not import the preload' },
  },
  {
    file: `src/shared/layer-probe-${tag}.ts`,
    text: "import fs from 'node:fs';\nexport const x = fs;\n",
    expect: { rule: 'no-restricted-imports', message: 'no Node modules' },
  },
  {
    file: `src/main/core/layer-probe-async-${tag}.ts`,
    text: 'export async function f(): Promise<number> {\n  return 1;\n}\nexport function g(): void {\n  f();\n}\n',
    expect: {
      rule: '@typescript-eslint/no-floating-promises',
      message: 'Promises must be awaited',
    },
  },
  {
    file: `src/main/core/layer-probe-switch-${tag}.ts`,
    text:
      "import type { Lifecycle } from '../../shared/model.js';\n" +
      "export function g(l: Lifecycle): number {\n  switch (l) {\n    case 'running':\n      return 1;\n  }\n  return 0;\n}\n",
    expect: {
      rule: '@typescript-eslint/switch-exhaustiveness-check',
      message: 'Switch is not exhaustive',
    },
  },
  {
    file: `src/main/core/layer-probe-clean-${tag}.ts`,
    text: "import type { Lifecycle } from '../../shared/model.js';\nexport const l: Lifecycle = 'running';\n",
    expect: null,
  },
];

afterAll(() => {
  for (const p of PROBES) fs.rmSync(path.join(root, p.file), { force: true });
});

interface LintResult {
  readonly filePath: string;
  readonly messages: readonly { readonly ruleId: string | null; readonly message: string }[];
}

it('lint refuses imports across the layers, floating promises and partial switches', () => {
  for (const p of PROBES) fs.writeFileSync(path.join(root, p.file), p.text);
  const eslint = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
  const r = spawnSync(
    process.execPath,
    [eslint, '--format', 'json', ...PROBES.map((p) => p.file)],
    { cwd: root, encoding: 'utf8', timeout: 240_000 },
  );
  expect(r.status).toBe(1);
  const results = JSON.parse(r.stdout) as LintResult[];
  for (const p of PROBES) {
    const result = results.find((x) => x.filePath === path.join(root, p.file));
    expect(result, p.file).toBeDefined();
    if (p.expect === null) {
      expect(result!.messages, p.file).toEqual([]);
      continue;
    }
    const hit = result!.messages.find((m) => m.ruleId === p.expect!.rule);
    expect(hit, `${p.file}: ${p.expect.rule}`).toBeDefined();
    expect(hit!.message).toContain(p.expect.message);
  }
}, 300_000);
