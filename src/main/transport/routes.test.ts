import { describe, expect, it } from 'vitest';
import { COMMAND_NAMES, EXTRA_ROUTES } from '../../shared/contract.js';
import { buildOpenApiDocument, openApiPath } from './openapi.js';
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
  it('documents a declared output schema, and a JSON object where none is declared', () => {
    const doc = buildOpenApiDocument({ serverUrl: 'http://127.0.0.1:9000' }) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const ok = (path: string, method: string) =>
      (
        doc.paths[path]![method]!.responses['200'] as {
          content: Record<string, { schema: { type?: string; properties?: object } }>;
        }
      ).content;
    const restart = ok('/orchestrator/restart/{name}', 'post')['application/json']!.schema;
    expect(Object.keys(restart.properties ?? {})).toEqual(
      expect.arrayContaining(['service', 'lifecycle', 'restart_count', 'message']),
    );
    // Scale and failover answer with the service's instances after the action.
    for (const p of ['/orchestrator/scale/{name}', '/orchestrator/failover/{name}']) {
      const schema = ok(p, 'post')['application/json']!.schema as {
        properties?: Record<string, { properties?: Record<string, unknown> }>;
      };
      expect(Object.keys(schema.properties ?? {})).toEqual(
        expect.arrayContaining(['service', 'message', 'replicas']),
      );
      expect(Object.keys(schema.properties?.['replicas']?.properties ?? {})).toEqual([
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
    expect(ok('/orchestrator/status', 'get')['application/json']!.schema).toEqual({
      type: 'object',
    });
    expect(Object.keys(ok('/orchestrator/report', 'get'))).toEqual([
      'text/markdown',
      'text/html',
      'application/json',
      'text/csv',
    ]);
  });
});
