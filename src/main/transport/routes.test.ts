import { describe, expect, it } from 'vitest';
import {
  COMMAND_NAMES,
  EXTRA_ROUTES,
  contract,
  responseKindOf,
  type CommandName,
} from '../../shared/contract.js';
import { buildOpenApiDocument, openApiPath } from './openapi.js';
import { WITHOUT_OUTPUT_SCHEMA } from './testing/outputs.js';
import { ROUTES, isApiPath, matchRoute } from './routes.js';
import { safeSegments } from './static.js';

describe('route table', () => {
  it('has one route per command and per extra route, none ambiguous', () => {
    expect(ROUTES).toHaveLength(COMMAND_NAMES.length + Object.keys(EXTRA_ROUTES).length);
    const keys = ROUTES.map((r) => `${r.method} ${r.path.replace(/:[a-z_]+/g, ':')}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(ROUTES.filter((r) => !r.authenticated).map((r) => r.path)).toEqual(['/healthz']);
  });

  it('matches commands, decoding parameters', () => {
    const m = matchRoute('GET', '/orchestrator/services/my%2Dapi/history');
    expect(m).toMatchObject({
      kind: 'found',
      route: { target: { kind: 'command', name: 'getServiceHistory' } },
      params: { name: 'my-api' },
    });
    expect(matchRoute('GET', '/orchestrator/services/api')).toMatchObject({
      kind: 'found',
      route: { target: { name: 'getService' } },
    });
    expect(matchRoute('GET', '/metrics')).toMatchObject({
      kind: 'found',
      route: { target: { kind: 'extra', name: 'metrics' } },
    });
  });

  it('tells a wrong method from an unknown path', () => {
    expect(matchRoute('GET', '/orchestrator/restart/api')).toEqual({
      kind: 'method_not_allowed',
      allow: ['POST'],
    });
    expect(matchRoute('DELETE', '/orchestrator/status')).toEqual({
      kind: 'method_not_allowed',
      allow: ['GET'],
    });
    expect(matchRoute('GET', '/orchestrator/restart/')).toEqual({ kind: 'not_found' });
    expect(matchRoute('GET', '/orchestrator/status/')).toEqual({ kind: 'not_found' });
    expect(matchRoute('GET', '/orchestrator/STATUS')).toEqual({ kind: 'not_found' });
    expect(matchRoute('GET', '/orchestrator/services/%E0%A4%A')).toEqual({
      kind: 'bad_path',
      param: 'name',
    });
  });

  it('knows which paths are the API', () => {
    expect(['/orchestrator', '/orchestrator/x', '/metrics', '/metrics/x'].every(isApiPath)).toBe(
      true,
    );
    expect(['/', '/index.html', '/orchestratorx', '/healthz', '/metricsx'].some(isApiPath)).toBe(
      false,
    );
  });
});

describe('OpenAPI document', () => {
  const doc = buildOpenApiDocument({ serverUrl: 'http://127.0.0.1:9000' }) as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: { securitySchemes: Record<string, unknown> };
  };

  it('lists every route under its OpenAPI path', () => {
    for (const r of ROUTES)
      expect(doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()], r.path).toBeDefined();
    expect(openApiPath('/a/:name/b')).toBe('/a/{name}/b');
  });

  it('uses the contract schemas and a bearer scheme', () => {
    expect(doc.components.securitySchemes['bearer']).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
    const history = doc.paths['/orchestrator/healing-history']!['get']!;
    expect(history['parameters']).toContainEqual({
      name: 'limit',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 10000 },
    });
    const register = doc.paths['/orchestrator/register']!['post']!;
    expect(register['requestBody']).toMatchObject({
      content: {
        'application/json': { schema: { required: ['name', 'url'], additionalProperties: false } },
      },
    });
    expect(doc.paths['/healthz']!['get']!['security']).toEqual([]);
  });

  it('documents the batched stream shape', () => {
    const stream = doc.paths['/orchestrator/stream']!['get']!;
    expect(stream['description']).toMatch(/`health_update` and `log` events are batched/);
    expect(stream['description']).toMatch(/ARRAY/);
  });
});

describe('safeSegments', () => {
  it('refuses traversal, NUL and backslashes, encoded or not', () => {
    for (const p of [
      '/..',
      '/a/../b',
      '/%2e%2e/x',
      '/%2E./x',
      '/a/%2e',
      '/a%00',
      '/a%5c..',
      '/a\\b',
      '/%',
      'x',
    ]) {
      expect(safeSegments(p), p).toBeNull();
    }
    expect(safeSegments('/')).toEqual([]);
    expect(safeSegments('/assets//app.js')).toEqual(['assets', 'app.js']);
    expect(safeSegments('/a%20b.txt')).toEqual(['a b.txt']);
  });
});

describe('OpenAPI response schemas', () => {
  type Schema = {
    $ref?: string;
    type?: string | string[];
    properties?: Record<string, Schema>;
    anyOf?: Schema[];
    items?: Schema;
  };
  const doc = buildOpenApiDocument({ serverUrl: 'http://127.0.0.1:9000' }) as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, Schema & Record<string, unknown>> };
  };
  const components = doc.components.schemas;
  const ok = (path: string, method: string) =>
    (
      doc.paths[path]![method]!.responses['200'] as {
        content: Record<string, { schema: Schema }>;
      }
    ).content;
  /** A `$ref` followed to its component. */
  const resolve = (s: Schema): Schema => {
    if (!s.$ref) return s;
    expect(s.$ref).toMatch(/^#\/components\/schemas\//);
    const target = components[s.$ref.slice('#/components/schemas/'.length)];
    expect(target, s.$ref).toBeDefined();
    return resolve(target!);
  };
  const route = (name: CommandName) =>
    [openApiPath(contract[name].path), contract[name].method.toLowerCase()] as const;

  it('every JSON command documents its declared output schema, not a bare object', () => {
    for (const name of COMMAND_NAMES) {
      const kind = responseKindOf(name);
      if (kind.kind !== 'json') continue;
      const schema = ok(...route(name))['application/json']!.schema;
      if (WITHOUT_OUTPUT_SCHEMA.has(name)) {
        // Listed as still without a schema: the list is wrong once one is declared.
        expect(kind.schema, name).toBeUndefined();
        expect(schema).toEqual({ type: 'object' });
        continue;
      }
      expect(kind.schema, name).toBeDefined();
      expect(schema.$ref, name).toBeDefined();
      const body = resolve(schema);
      expect(body.type, name).toBe('object');
      expect(Object.keys(body.properties ?? {}).length, name).toBeGreaterThan(0);
    }
  });

  it('shows the real fields, sharing the common pieces as components', () => {
    const restart = resolve(ok('/orchestrator/restart/{name}', 'post')['application/json']!.schema);
    expect(Object.keys(restart.properties ?? {})).toEqual(
      expect.arrayContaining(['service', 'lifecycle', 'restart_count', 'message']),
    );
    // Scale and failover answer with the service's instances after the action.
    for (const p of ['/orchestrator/scale/{name}', '/orchestrator/failover/{name}']) {
      const schema = resolve(ok(p, 'post')['application/json']!.schema);
      expect(Object.keys(schema.properties ?? {})).toEqual(
        expect.arrayContaining(['service', 'message', 'replicas']),
      );
      expect(Object.keys(resolve(schema.properties!['replicas']!).properties ?? {})).toEqual([
        'desired',
        'ready',
        'min_ready',
        'instances',
        'balancer',
        'failover',
        'scale',
        'rollout',
      ]);
    }
    const status = resolve(ok('/orchestrator/status', 'get')['application/json']!.schema);
    expect(status.properties?.['services']?.items).toEqual({
      $ref: '#/components/schemas/ServiceView',
    });
    const service = components['ServiceView']!;
    expect(service.properties?.['replicas']).toEqual({
      anyOf: [{ $ref: '#/components/schemas/ReplicasView' }, { type: 'null' }],
    });
    expect(service['additionalProperties']).toBe(false);
    const detail = resolve(ok('/orchestrator/services/{name}', 'get')['application/json']!.schema);
    expect(Object.keys(detail.properties ?? {})).toEqual(
      expect.arrayContaining(['name', 'replicas', 'spec', 'health_history', 'log_file']),
    );
    const healing = components['HealingEvent']!;
    expect(healing.properties?.['reason']).toEqual({ $ref: '#/components/schemas/Reason' });
    expect(Object.keys(healing.properties?.['replica']?.properties ?? {})).toEqual([
      'instance',
      'from',
      'to',
      'metric',
      'pool',
    ]);
    const logs = resolve(ok('/orchestrator/logs/{name}', 'get')['application/json']!.schema);
    expect(logs.properties?.['lines']?.items).toEqual({ $ref: '#/components/schemas/LogLine' });
    expect(components['LogLine']!['required']).toEqual(['seq', 'ts', 'stream', 'line']);
    expect(Object.keys(ok('/orchestrator/report', 'get'))).toEqual([
      'text/markdown',
      'text/html',
      'application/json',
      'text/csv',
    ]);
  });

  it('every $ref points at a component; components are plain schemas of this document', () => {
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.push(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) {
      expect(ref).toMatch(/^#\/components\/schemas\/[A-Za-z]+$/);
      expect(components[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
    for (const [id, schema] of Object.entries(components)) {
      expect(schema['$id'], id).toBeUndefined();
      expect(schema['$schema'], id).toBeUndefined();
      expect(schema['$defs'], id).toBeUndefined();
    }
  });
});
