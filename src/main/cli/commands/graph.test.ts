import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memoryIO } from '../io.js';
import { graphCommand } from './graph.js';

const fixtures = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../core/config/fixtures',
);

async function run(argv: string[]) {
  const io = memoryIO({ cwd: fixtures, env: {} });
  const code = await graphCommand(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('vigil graph', () => {
  it('prints the text graph by default', async () => {
    const r = await run(['-f', 'valid.yaml']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toBe(`Service Dependency Graph (shop):
================================

Phase 0 (mixed):
  • db
  • metrics
Phase 1 (parallel):
  • migrate <- db (healthy)
Phase 2 (parallel):
  • api <- migrate (completed), db (healthy) [optional: metrics]
`);
  });

  it('prints mermaid, dot and json', async () => {
    expect((await run(['-f', 'valid.yaml', '--format', 'mermaid'])).out).toContain(
      '  api -.->|started| metrics\n',
    );
    expect((await run(['-f', 'valid.yaml', '--format', 'dot'])).out).toContain(
      '  "api" -> "migrate" [label="completed"];',
    );
    const j = JSON.parse((await run(['-f', 'valid.yaml', '--format', 'json'])).out) as {
      startup_order: string[];
    };
    expect(j.startup_order).toEqual(['db', 'metrics', 'migrate', 'api']);
  });

  it('exits 2 with the errors of an invalid stack on stderr', async () => {
    const r = await run(['-f', 'cycle.yaml']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('cycle.yaml:5:18: error STACK_CYCLE');
    expect(r.err).toContain('a -> b -> c -> a');
  });

  it('exits 2 for an unknown format or option', async () => {
    const r = await run(['-f', 'valid.yaml', '--format', 'svg']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown format "svg"');
    expect((await run(['--bogus'])).code).toBe(2);
    expect((await run(['--help'])).out).toContain('Usage: vigil graph');
  });
});
