import { describe, expect, it } from 'vitest';
import { DISPLAY_STATUSES } from '../../../shared/model.js';
import { view } from '../../testing/support.js';
import { STATUS_TONE, TONE_COLOR, healthTone, statusColor, statusLabel } from './colors.js';
import {
  edgeHighlights,
  failurePath,
  isDown,
  toFlowEdges,
  toFlowNodes,
  SERVICE_NODE_TYPE,
  nodeNote,
} from './flow.js';
import { NODE_WIDTH, layoutGraph, maxRowsFor, structureKey, structureOf } from './layout.js';
import { neighbour } from './navigation.js';

const shop = () => {
  const services = {
    db: view('db', { phase: 0 }),
    cache: view('cache', { phase: 0 }),
    api: view('api', { phase: 1, deps: { db: 'healthy', cache: 'started' }, optional: ['cache'] }),
    web: view('web', { phase: 2, deps: { api: 'started' } }),
    ghostdep: view('ghostdep', { phase: 1, deps: { missing: 'healthy' } }),
  };
  const order = ['cache', 'db', 'api', 'ghostdep', 'web'];
  return { services, order };
};

describe('structureOf', () => {
  it('has one node per service and an edge per known dependency, dependency first', () => {
    const { services, order } = shop();
    const g = structureOf(services, order);
    expect(g.nodes.map((n) => n.name)).toEqual(order);
    expect(g.edges).toEqual([
      { from: 'db', to: 'api', condition: 'healthy', optional: false },
      { from: 'cache', to: 'api', condition: 'started', optional: true },
      { from: 'api', to: 'web', condition: 'started', optional: false },
    ]);
  });

  it('its key changes with the structure, not with a status', () => {
    const { services, order } = shop();
    const k1 = structureKey(structureOf(services, order));
    const sick = {
      ...services,
      db: view('db', { phase: 0, lifecycle: 'backoff', health: 'unhealthy' }),
    };
    expect(structureKey(structureOf(sick, order))).toBe(k1);
    const moved = { ...services, web: view('web', { phase: 3, deps: { api: 'started' } }) };
    expect(structureKey(structureOf(moved, order))).not.toBe(k1);
  });
});

describe('layoutGraph', () => {
  it('puts each phase in its own column, left to right', () => {
    const { services, order } = shop();
    const pos = layoutGraph(structureOf(services, order));
    expect(pos.size).toBe(5);
    const x = (n: string) => pos.get(n)!.x;
    expect(x('db')).toBe(x('cache'));
    expect(x('api')).toBeGreaterThan(x('db'));
    expect(x('ghostdep')).toBe(x('api'));
    expect(x('web')).toBeGreaterThan(x('api'));
    // nodes of one column do not overlap
    expect(Math.abs(pos.get('db')!.y - pos.get('cache')!.y)).toBeGreaterThanOrEqual(84);
  });

  it('lays out top to bottom when asked', () => {
    const { services, order } = shop();
    const pos = layoutGraph(structureOf(services, order), 'TB');
    expect(pos.get('web')!.y).toBeGreaterThan(pos.get('api')!.y);
    expect(pos.get('api')!.y).toBeGreaterThan(pos.get('db')!.y);
  });

  it('wraps a crowded phase into several columns (200 services)', () => {
    const services: Record<string, ReturnType<typeof view>> = {};
    const order: string[] = [];
    for (let i = 0; i < 200; i++) {
      const name = `svc-${String(i).padStart(3, '0')}`;
      services[name] = view(name, {
        phase: i < 150 ? 0 : 1,
        deps: i < 150 ? {} : { 'svc-000': 'healthy' },
      });
      order.push(name);
    }
    const pos = layoutGraph(structureOf(services, order));
    expect(pos.size).toBe(200);
    const columns = new Set([...pos.values()].map((p) => p.x));
    expect(columns.size).toBeGreaterThan(2);
    const perColumn = new Map<number, number>();
    for (const p of pos.values()) perColumn.set(p.x, (perColumn.get(p.x) ?? 0) + 1);
    for (const n of perColumn.values()) expect(n).toBeLessThanOrEqual(maxRowsFor(200));
    // phase 1 is to the right of every phase-0 column
    const phase0 = Math.max(...order.slice(0, 150).map((n) => pos.get(n)!.x));
    expect(pos.get('svc-199')!.x).toBeGreaterThanOrEqual(phase0 + NODE_WIDTH);
    // no two nodes share a position
    expect(new Set([...pos.values()].map((p) => `${p.x},${p.y}`)).size).toBe(200);
  });

  it('returns nothing for an empty graph', () => {
    expect(layoutGraph({ nodes: [], edges: [] }).size).toBe(0);
  });
});

describe('toFlowNodes and toFlowEdges', () => {
  it('maps every service to a node at its laid-out position, with its state', () => {
    const { services, order } = shop();
    const g = structureOf(services, order);
    const pos = layoutGraph(g);
    const nodes = toFlowNodes(g, pos, services, 'api');
    expect(nodes).toHaveLength(5);
    const api = nodes.find((n) => n.id === 'api')!;
    expect(api.type).toBe(SERVICE_NODE_TYPE);
    expect(api.position).toEqual(pos.get('api'));
    expect(api.data).toMatchObject({
      name: 'api',
      status: 'healthy',
      tone: 'ok',
      restarts: 0,
      selected: true,
      registered: false,
    });
    expect(nodes.find((n) => n.id === 'db')!.data.selected).toBe(false);
  });

  it('marks a service that registered itself over the API', () => {
    const { services, order } = shop();
    const withHook = { ...services, db: { ...services['db']!, registered: true } };
    const nodes = toFlowNodes(structureOf(withHook, order), new Map(), withHook, null);
    expect(nodes.find((n) => n.id === 'db')!.data.registered).toBe(true);
    expect(nodes.find((n) => n.id === 'api')!.data.registered).toBe(false);
  });

  it('reuses node objects whose data did not change', () => {
    const { services, order } = shop();
    const g = structureOf(services, order);
    const pos = layoutGraph(g);
    const first = toFlowNodes(g, pos, services, null);
    const prev = new Map(first.map((n) => [n.id, n]));
    const changed = { ...services, db: { ...services.db, restart_count: 2 } };
    const second = toFlowNodes(g, pos, changed, null, prev);
    expect(second.find((n) => n.id === 'web')).toBe(prev.get('web'));
    expect(second.find((n) => n.id === 'db')).not.toBe(prev.get('db'));
    expect(second.find((n) => n.id === 'db')!.data.restarts).toBe(2);
  });

  it('labels edges with their condition and dashes optional ones', () => {
    const { services, order } = shop();
    const g = structureOf(services, order);
    const edges = toFlowEdges(g, new Map());
    const cache = edges.find((e) => e.id === 'cache->api')!;
    expect(cache.label).toBe('started (optional)');
    expect(cache.style?.strokeDasharray).toBeDefined();
    expect(cache.className).toContain('vg-edge-optional');
    const db = edges.find((e) => e.id === 'db->api')!;
    expect(db.label).toBe('healthy');
    expect(db.style).toBeUndefined();
    expect(db.source).toBe('db');
    expect(db.target).toBe('api');
  });

  it('highlights blocked-by edges and the path to a failing dependency', () => {
    const { services, order } = shop();
    const sick = {
      ...services,
      db: view('db', { phase: 0, lifecycle: 'backoff', health: 'unhealthy' }),
      api: {
        ...view('api', {
          phase: 1,
          lifecycle: 'waiting',
          deps: { db: 'healthy', cache: 'started' },
          optional: ['cache'],
        }),
        blocked_by: ['db'],
      },
    };
    const g = structureOf(sick, order);
    const none = edgeHighlights(g, sick, null);
    expect(none.get('db->api')).toBe('blocked');
    expect(none.has('api->web')).toBe(false);

    const fromWeb = failurePath(g, sick, 'web');
    expect([...fromWeb.edges].sort()).toEqual(['api->web', 'db->api']);
    expect([...fromWeb.nodes].sort()).toEqual(['api', 'db', 'web']);
    const hl = edgeHighlights(g, sick, 'web');
    expect(hl.get('api->web')).toBe('failing');
    expect(hl.get('db->api')).toBe('failing');
    expect(hl.has('cache->api')).toBe(false);

    const edges = toFlowEdges(g, hl);
    expect(edges.find((e) => e.id === 'db->api')!.className).toContain('vg-edge-failing');
    const nodes = toFlowNodes(g, layoutGraph(g), sick, 'web');
    expect(nodes.find((n) => n.id === 'cache')!.data.dimmed).toBe(true);
    expect(nodes.find((n) => n.id === 'db')!.data.dimmed).toBe(false);
    expect(nodes.find((n) => n.id === 'api')!.data.blockedBy).toBe('db');
  });

  it('a healthy selection has no failure path and dims nothing', () => {
    const { services, order } = shop();
    const g = structureOf(services, order);
    expect(failurePath(g, services, 'web').edges.size).toBe(0);
    expect(toFlowNodes(g, layoutGraph(g), services, 'web').some((n) => n.data.dimmed)).toBe(false);
  });

  it('counts stopped and failed services as down, but not completed jobs', () => {
    expect(isDown(view('a', { lifecycle: 'stopped' }))).toBe(true);
    expect(isDown(view('a', { lifecycle: 'failed' }))).toBe(true);
    expect(isDown(view('a', { lifecycle: 'completed' }))).toBe(false);
    expect(isDown(view('a', { lifecycle: 'running', health: 'degraded' }))).toBe(false);
  });
});

describe('status colours', () => {
  it('gives each display status its tone', () => {
    expect(STATUS_TONE).toEqual({
      healthy: 'ok',
      degraded: 'warn',
      unhealthy: 'bad',
      timeout: 'bad',
      quarantined: 'quarantine',
      stopped: 'off',
    });
    expect(statusColor('healthy')).toBe(TONE_COLOR.ok);
    expect(statusColor('quarantined')).toBe(TONE_COLOR.quarantine);
    for (const s of DISPLAY_STATUSES) expect(statusColor(s)).toMatch(/^#[0-9a-f]{6}$/);
    expect(new Set(Object.values(TONE_COLOR)).size).toBe(5);
  });

  it('says "starting" rather than "degraded" while a service boots', () => {
    expect(statusLabel('degraded', 'starting')).toBe('starting');
    expect(statusLabel('degraded', 'running')).toBe('degraded');
    expect(statusLabel('quarantined', 'quarantined')).toBe('quarantined');
    expect(healthTone('timeout')).toBe('bad');
    expect(healthTone('unknown')).toBe('off');
  });
});

describe('neighbour', () => {
  const pos = new Map([
    ['a', { x: 0, y: 0 }],
    ['b', { x: 0, y: 100 }],
    ['c', { x: 300, y: 10 }],
    ['d', { x: 300, y: 200 }],
  ]);
  const order = ['a', 'b', 'c', 'd'];

  it('moves to the nearest node in the arrow direction', () => {
    expect(neighbour(pos, order, 'a', 'right')).toBe('c');
    expect(neighbour(pos, order, 'a', 'down')).toBe('b');
    expect(neighbour(pos, order, 'c', 'left')).toBe('a');
    expect(neighbour(pos, order, 'c', 'down')).toBe('d');
    expect(neighbour(pos, order, 'd', 'up')).toBe('c');
  });

  it('stays put at an edge and starts from the first node when nothing is selected', () => {
    expect(neighbour(pos, order, 'a', 'left')).toBeNull();
    expect(neighbour(pos, order, null, 'right')).toBe('a');
  });
});

describe('layout direction in node data', () => {
  it('tells nodes which sides their edges use', () => {
    const { services, order } = shop();
    const g = structureOf(services, order);
    const lr = toFlowNodes(g, layoutGraph(g), services, null);
    expect(lr.every((n) => n.data.direction === 'LR')).toBe(true);
    const tb = toFlowNodes(g, layoutGraph(g, 'TB'), services, null, undefined, 'TB');
    expect(tb.every((n) => n.data.direction === 'TB')).toBe(true);
  });
});

describe('nodeNote', () => {
  it('says why a starting service is not ready (no countdown on the canvas) or what it started without', () => {
    const starting = {
      ...view('search', { lifecycle: 'starting', health: 'timeout' }),
      not_ready: {
        failed_checks: 25,
        last_failure: 'timed out after 200ms',
        startup_deadline: new Date(0).toISOString(),
      },
    };
    expect(nodeNote(starting)).toBe('not ready: timed out after 200ms, 25 checks');
    const without = {
      ...view('gateway'),
      started_without: [{ service: 'tracing', reason: 'exited with code 7' }],
    };
    expect(nodeNote(without)).toBe('started without tracing: exited with code 7');
    expect(nodeNote(view('db'))).toBe('');
  });
});
