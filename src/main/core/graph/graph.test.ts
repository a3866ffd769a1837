import { describe, expect, it } from 'vitest';
import { VigilError } from '../../../shared/errors.js';
import type { ServiceSpec } from '../../../shared/model.js';
import {
  buildGraph,
  computePhases,
  findCycle,
  findCycles,
  transitiveDependencies,
  transitiveDependents,
} from './graph.js';
import { svc } from './testing.js';

const phaseOf = (services: ServiceSpec[]) => {
  const g = buildGraph(services);
  return Object.fromEntries([...g.nodes.values()].map((n) => [n.name, n.phase]));
};

describe('buildGraph', () => {
  it('puts a chain in one phase per link, in startup order, and reverses it for shutdown', () => {
    const g = buildGraph([svc('api', ['cache']), svc('cache', ['db']), svc('db')]);
    expect(g.phases).toEqual([['db'], ['cache'], ['api']]);
    expect(g.startupOrder).toEqual(['db', 'cache', 'api']);
    expect(g.shutdownOrder).toEqual(['api', 'cache', 'db']);
  });

  it('gives a diamond three phases with both middle services side by side in file order', () => {
    const g = buildGraph([
      svc('db'),
      svc('right', ['db']),
      svc('left', ['db']),
      svc('api', ['left', 'right']),
    ]);
    expect(g.phases).toEqual([['db'], ['right', 'left'], ['api']]);
    expect(g.nodes.get('db')!.dependents).toEqual(['right', 'left']);
    expect(g.edges).toEqual([
      { from: 'right', to: 'db', condition: 'healthy', optional: false },
      { from: 'left', to: 'db', condition: 'healthy', optional: false },
      { from: 'api', to: 'left', condition: 'healthy', optional: false },
      { from: 'api', to: 'right', condition: 'healthy', optional: false },
    ]);
  });

  it('takes the longest path: a service after a deep and a shallow dependency goes after the deep one', () => {
    expect(phaseOf([svc('a'), svc('b', ['a']), svc('c', ['b']), svc('x', ['a', 'c'])])).toEqual({
      a: 0,
      b: 1,
      c: 2,
      x: 3,
    });
  });

  it('counts optional dependencies for phases and keeps them in deps and edges', () => {
    const g = buildGraph([
      svc('metrics'),
      svc('api', [{ name: 'metrics', condition: 'started', optional: true }]),
    ]);
    expect(g.nodes.get('api')!.phase).toBe(1);
    expect(g.nodes.get('api')!.deps).toEqual([
      { name: 'metrics', condition: 'started', optional: true },
    ]);
    expect(g.edges).toEqual([{ from: 'api', to: 'metrics', condition: 'started', optional: true }]);
  });

  it('lets an explicit phase override the computed one, and computes dependents from it', () => {
    const g = buildGraph([
      svc('db'),
      svc('api', ['db'], { phase: 4 }),
      svc('web', ['api']),
      svc('late', [], { phase: 2 }),
    ]);
    expect(g.nodes.get('api')).toMatchObject({ phase: 4, explicitPhase: true });
    expect(g.nodes.get('web')).toMatchObject({ phase: 5, explicitPhase: false });
    expect(g.phases).toEqual([['db'], [], ['late'], [], ['api'], ['web']]);
    expect(g.startupOrder).toEqual(['db', 'late', 'api', 'web']);
  });

  it('allows an explicit phase equal to a dependency phase', () => {
    const g = buildGraph([svc('db', [], { phase: 1 }), svc('api', ['db'], { phase: 1 })]);
    expect(g.phases).toEqual([[], ['db', 'api']]);
  });

  it('keeps launch mode and required on the nodes', () => {
    const g = buildGraph([svc('db', [], { launch: 'serial', required: false })]);
    expect(g.nodes.get('db')).toMatchObject({
      launch: 'serial',
      required: false,
      explicitPhase: false,
    });
  });

  it('refuses a graph with a cycle with STACK_CYCLE naming the path', () => {
    let err: unknown;
    try {
      buildGraph([svc('a', ['b']), svc('b', ['a'])]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('STACK_CYCLE');
    expect((err as VigilError).message).toContain('a -> b -> a');
  });

  it('handles 500 services in a long chain and a wide fan-in', () => {
    const chain = Array.from({ length: 500 }, (_, i) => svc(`s${i}`, i === 0 ? [] : [`s${i - 1}`]));
    const g = buildGraph(chain);
    expect(g.phases).toHaveLength(500);
    expect(g.nodes.get('s499')!.phase).toBe(499);
    expect(transitiveDependencies(g, 's499')).toHaveLength(499);
    expect(transitiveDependents(g, 's0')).toHaveLength(499);

    const leaves = Array.from({ length: 499 }, (_, i) => svc(`leaf${i}`));
    const wide = buildGraph([
      ...leaves,
      svc(
        'hub',
        leaves.map((l) => l.name),
      ),
    ]);
    expect(wide.phases[0]).toHaveLength(499);
    expect(wide.phases[1]).toEqual(['hub']);
    expect(wide.edges).toHaveLength(499);
  });
});

describe('findCycle / findCycles', () => {
  const deps = (spec: Record<string, string[]>) =>
    Object.entries(spec).map(([name, ds]) => ({ name, dependsOn: ds.map((d) => ({ name: d })) }));

  it('returns null for acyclic graphs, including diamonds', () => {
    expect(findCycle(deps({ db: [], l: ['db'], r: ['db'], api: ['l', 'r'] }))).toBeNull();
    expect(findCycle([])).toBeNull();
  });

  it('finds a self-dependency as a cycle of length 1', () => {
    expect(findCycle(deps({ a: ['a'] }))).toEqual(['a', 'a']);
  });

  it.each([2, 3, 4, 7, 50])('finds a cycle of length %i as the whole closed path', (n) => {
    const spec: Record<string, string[]> = {};
    for (let i = 0; i < n; i++) spec[`s${i}`] = [`s${(i + 1) % n}`];
    const cycle = findCycle(deps(spec))!;
    expect(cycle).toHaveLength(n + 1);
    expect(cycle[0]).toBe('s0');
    expect(cycle[n]).toBe('s0');
    expect(new Set(cycle).size).toBe(n);
  });

  it('starts the path at the cycle member that comes first in the file', () => {
    expect(findCycle(deps({ x: [], c: ['a'], a: ['b'], b: ['c'] }))).toEqual(['c', 'a', 'b', 'c']);
  });

  it('reports a cycle hanging below an acyclic part', () => {
    expect(findCycle(deps({ api: ['db'], db: ['disk'], disk: ['db'] }))).toEqual([
      'db',
      'disk',
      'db',
    ]);
  });

  it('reports every separate cycle once, in file order', () => {
    const cycles = findCycles(deps({ a: ['b'], b: ['a'], c: [], d: ['e'], e: ['d'], f: ['f'] }));
    expect(cycles).toEqual([
      ['a', 'b', 'a'],
      ['d', 'e', 'd'],
      ['f', 'f'],
    ]);
  });

  it('gives the shortest way round when a component has several loops', () => {
    expect(findCycle(deps({ a: ['b', 'c'], b: ['c'], c: ['a'] }))).toEqual(['a', 'c', 'a']);
  });

  it('ignores dependencies on unknown names', () => {
    expect(findCycle(deps({ a: ['ghost'] }))).toBeNull();
  });

  it('finds a cycle closing a 500-service chain without deep recursion', () => {
    const spec: Record<string, string[]> = {};
    for (let i = 0; i < 500; i++) spec[`s${i}`] = [`s${(i + 1) % 500}`];
    expect(findCycle(deps(spec))).toHaveLength(501);
    const big: Record<string, string[]> = {};
    for (let i = 0; i < 20000; i++) big[`s${i}`] = i === 0 ? [] : [`s${i - 1}`];
    expect(findCycle(deps(big))).toBeNull();
  });
});

describe('computePhases', () => {
  it('returns null when there is a cycle', () => {
    expect(computePhases([{ name: 'a', dependsOn: [{ name: 'a' }] }])).toBeNull();
  });

  it('computes phases with explicit overrides', () => {
    const phases = computePhases([
      { name: 'db', dependsOn: [] },
      { name: 'api', dependsOn: [{ name: 'db' }], phase: 3 },
      { name: 'web', dependsOn: [{ name: 'api' }] },
    ]);
    expect(Object.fromEntries(phases!)).toEqual({ db: 0, api: 3, web: 4 });
  });
});

describe('transitiveDependencies / transitiveDependents', () => {
  const g = buildGraph([
    svc('db'),
    svc('cache'),
    svc('metrics'),
    svc('api', ['db', 'cache', { name: 'metrics', optional: true }]),
    svc('web', ['api']),
    svc('admin', ['db']),
  ]);

  it('lists everything a service needs, optional ones included, in startup order', () => {
    expect(transitiveDependencies(g, 'web')).toEqual(['db', 'cache', 'metrics', 'api']);
    expect(transitiveDependencies(g, 'db')).toEqual([]);
  });

  it('lists everything that needs a service, in startup order', () => {
    expect(transitiveDependents(g, 'db')).toEqual(['api', 'admin', 'web']);
    expect(transitiveDependents(g, 'web')).toEqual([]);
  });

  it('throws UNKNOWN_SERVICE for a name that is not in the graph', () => {
    expect(() => transitiveDependencies(g, 'nope')).toThrow(/no service named "nope"/);
  });
});
