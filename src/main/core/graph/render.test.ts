import { describe, expect, it } from 'vitest';
import { buildGraph } from './graph.js';
import { renderGraph } from './render.js';
import { svc } from './testing.js';

const shop = buildGraph([
  svc('db', [], { launch: 'serial' }),
  svc('cache'),
  svc('metrics', [], { required: false }),
  svc('api', [
    'db',
    { name: 'cache', condition: 'started' },
    { name: 'metrics', condition: 'started', optional: true },
  ]),
  svc('my-worker', ['api']),
]);

describe('renderGraph text', () => {
  it('lists phases with their launch mode and each service with its dependencies and conditions', () => {
    expect(
      renderGraph(buildGraph([svc('db', [], { launch: 'serial' }), svc('api', ['db'])]), 'text', {
        stackName: 'shop',
      }),
    ).toBe(`Service Dependency Graph (shop):
================================

Phase 0 (serial):
  • db
Phase 1 (parallel):
  • api <- db (healthy)
`);
  });

  it('lists optional dependencies apart and calls a phase with both launch modes mixed', () => {
    const text = renderGraph(shop, 'text');
    expect(text.split('\n')[0]).toBe('Service Dependency Graph:');
    expect(text).toContain('Phase 0 (mixed):\n  • db\n  • cache\n  • metrics\n');
    expect(text).toContain('  • api <- db (healthy), cache (started) [optional: metrics]\n');
    expect(text).toContain('Phase 2 (parallel):\n  • my-worker <- api (healthy)\n');
  });

  it('skips phases that no service uses', () => {
    const text = renderGraph(buildGraph([svc('late', [], { phase: 3 })]), 'text');
    expect(text).toContain('Phase 3 (parallel):\n  • late');
    expect(text).not.toContain('Phase 0');
  });
});

describe('renderGraph mermaid', () => {
  const m = renderGraph(shop, 'mermaid', { stackName: 'shop' });

  it('is a top-down graph with one subgraph per phase', () => {
    expect(m).toContain('graph TD\n');
    expect(m).toContain(
      '  subgraph phase0["Phase 0"]\n    db["db"]\n    cache["cache"]\n    metrics["metrics"]\n  end',
    );
    expect(m).toContain('title: "shop"');
  });

  it('labels edges with the condition and dashes optional ones', () => {
    expect(m).toContain('  api -->|healthy| db\n');
    expect(m).toContain('  api -->|started| cache\n');
    expect(m).toContain('  api -.->|started| metrics\n');
  });

  it('turns names into safe node ids and keeps the name as the label', () => {
    expect(m).toContain('my_worker["my-worker"]');
    expect(m).toContain('  my_worker -->|healthy| api\n');
    const odd = renderGraph(buildGraph([svc('end'), svc('1st', ['end'])]), 'mermaid');
    expect(odd).toContain('s_end["end"]');
    expect(odd).toContain('s_1st -->|healthy| s_end');
  });
});

describe('renderGraph dot', () => {
  const d = renderGraph(shop, 'dot', { stackName: 'shop "main"' });

  it('is a digraph with ranked phases, labelled edges and dashed optional edges', () => {
    expect(d.startsWith('digraph "shop \\"main\\"" {\n')).toBe(true);
    expect(d).toContain(
      '  subgraph phase1 {\n    rank=same;\n    "api" [label="api\\nphase 1"];\n  }',
    );
    expect(d).toContain('  "api" -> "db" [label="healthy"];');
    expect(d).toContain('  "api" -> "metrics" [label="started", style=dashed];');
    expect(d).toContain('"metrics" [label="metrics\\nphase 0", style="rounded,dashed"];');
    expect(d.trimEnd().endsWith('}')).toBe(true);
  });
});

describe('renderGraph json', () => {
  it('has nodes, edges, phases and both orders', () => {
    const j = JSON.parse(renderGraph(shop, 'json', { stackName: 'shop' })) as Record<
      string,
      unknown
    >;
    expect(j.stack).toBe('shop');
    expect(j.phases).toEqual([['db', 'cache', 'metrics'], ['api'], ['my-worker']]);
    expect(j.startup_order).toEqual(['db', 'cache', 'metrics', 'api', 'my-worker']);
    expect(j.shutdown_order).toEqual(['my-worker', 'api', 'metrics', 'cache', 'db']);
    expect((j.edges as unknown[]).length).toBe(4);
    expect((j.nodes as unknown[])[3]).toEqual({
      name: 'api',
      phase: 1,
      explicit_phase: false,
      launch: 'parallel',
      required: true,
      depends_on: [
        { name: 'db', condition: 'healthy', optional: false },
        { name: 'cache', condition: 'started', optional: false },
        { name: 'metrics', condition: 'started', optional: true },
      ],
      dependents: ['my-worker'],
    });
  });

  it('renders 500 services in every format', () => {
    const big = buildGraph(
      Array.from({ length: 500 }, (_, i) => svc(`s${i}`, i < 2 ? [] : [`s${i - 1}`, `s${i - 2}`])),
    );
    for (const f of ['text', 'mermaid', 'dot'] as const)
      expect(renderGraph(big, f)).toContain('s499');
    expect((JSON.parse(renderGraph(big, 'json')) as { edges: unknown[] }).edges).toHaveLength(996);
  });
});
