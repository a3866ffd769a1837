/**
 * The OpenAPI 3.1 document, generated from the route table: input schemas come from the contract's
 * zod schemas (path parameters, query parameters for GET, a JSON body for POST), response schemas
 * from its output schemas, kept once each under `components.schemas` and referred to.
 */
import { z } from 'zod';
import {
  COMMAND_NAMES,
  EXTRA_ROUTES,
  MAX_BODY_BYTES,
  contract,
  responseKindOf,
  type CommandName,
} from '../../shared/contract.js';
import { ERROR_CODES } from '../../shared/errors.js';
import { NAMED_OUTPUT_SCHEMAS } from '../../shared/outputs-views.js';
import { EVENT_TYPES } from '../../shared/events.js';
import { BATCHED_EVENT_TYPES } from '../../shared/client/stream.js';
import { ROUTES, type Route } from './routes.js';
import { MAX_JSON_DEPTH, TOKEN_COOKIE } from './security.js';

type Json = Record<string, unknown>;

export interface OpenApiOptions {
  /** The server's own URL, listed under `servers`. */
  readonly serverUrl?: string;
  readonly version?: string;
}

/** `/orchestrator/services/:name` → `/orchestrator/services/{name}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([a-z_]+)/g, '{$1}');
}

function inputSchema(route: Route): { properties: Record<string, Json>; required: string[] } {
  if (route.target.kind !== 'command') return { properties: {}, required: [] };
  const schema = z.toJSONSchema(contract[route.target.name].input, {
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  return {
    properties: (schema['properties'] ?? {}) as Record<string, Json>,
    required: (schema['required'] ?? []) as string[],
  };
}

const SCHEMA_REF = '#/components/schemas/';

interface OutputSchemas {
  /** JSON Schema per name, for `components.schemas`. */
  readonly components: Record<string, Json>;
  /** The component name of each command's declared output schema. */
  readonly byCommand: ReadonlyMap<CommandName, string>;
}

/**
 * Every declared output schema as a JSON Schema component: the named ones (and the pieces they
 * share, which become `$ref`s), then any other under its command's name (`getFooResponse` ->
 * `GetFooResponse`).
 */
function outputSchemas(): OutputSchemas {
  const registry = z.registry<{ id: string }>();
  const names = new Map<z.ZodType, string>();
  for (const [id, schema] of Object.entries(NAMED_OUTPUT_SCHEMAS)) {
    registry.add(schema, { id });
    names.set(schema, id);
  }
  const byCommand = new Map<CommandName, string>();
  for (const name of COMMAND_NAMES) {
    const kind = responseKindOf(name);
    if (kind.kind !== 'json' || !kind.schema) continue;
    let id = names.get(kind.schema);
    if (id === undefined) {
      id = `${name[0]!.toUpperCase()}${name.slice(1)}Response`;
      registry.add(kind.schema, { id });
      names.set(kind.schema, id);
    }
    byCommand.set(name, id);
  }
  const { schemas } = z.toJSONSchema(registry, {
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `${SCHEMA_REF}${id}`,
  });
  const components: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    // Components of an OpenAPI document, not documents of their own.
    const { $id: _id, $schema: _schema, ...rest } = schema as Json;
    components[id] = rest;
  }
  return { components, byCommand };
}

const errorResponse = (description: string): Json => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

const COMMON_ERRORS: Json = {
  '400': errorResponse('Bad input: `error.field` names the first bad field'),
  '401': errorResponse('Missing or wrong token'),
  '403': errorResponse('Host or Origin not allowed'),
  '500': errorResponse('Internal error'),
};

const STREAM_DESCRIPTION = [
  'WebSocket (upgrade this GET). The token goes in `?token=`, the Authorization header or the cookie.',
  '',
  'Every message is JSON `{seq, ts, type, payload}`; `seq` increases by one per message on each',
  "connection. The first message is `type: 'snapshot'` with the whole state (as GET /orchestrator/status).",
  `Then \`type\` is one of ${EVENT_TYPES.map((t) => `\`${t}\``).join(', ')}.`,
  `${BATCHED_EVENT_TYPES.map((t) => `\`${t}\``).join(' and ')} events are batched: they are collected`,
  'and sent periodically (every 100 ms by default) as ONE message per type whose `payload` is an ARRAY of',
  'events; every other type is sent at once with one event as `payload` (pending batches are sent first,',
  'so order is kept). Send `{"type":"resync"}` to get a fresh snapshot (the sequence continues); do so',
  'when a `seq` is skipped. A client that does not read fast enough is closed with code 4008 ("too slow").',
].join('\n');

function operation(route: Route, outputs: OutputSchemas): Json {
  const { properties, required } = inputSchema(route);
  const parameters: Json[] = route.params.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: properties[name] ?? { type: 'string' },
  }));
  const op: Json = {};
  const t = route.target;
  if (t.kind === 'command') {
    const def = contract[t.name];
    op['operationId'] = t.name;
    op['summary'] = def.summary;
    op['tags'] = [def.mutates ? 'actions' : 'queries'];
    const rest = Object.keys(properties).filter((k) => !route.params.includes(k));
    if (route.method === 'GET') {
      for (const name of rest) {
        parameters.push({
          name,
          in: 'query',
          required: required.includes(name),
          schema: properties[name],
        });
      }
    } else if (route.method === 'POST') {
      const body: Json = {
        type: 'object',
        properties: Object.fromEntries(rest.map((k) => [k, properties[k]])),
        additionalProperties: false,
      };
      const bodyRequired = required.filter((k) => rest.includes(k));
      if (bodyRequired.length > 0) body['required'] = bodyRequired;
      op['requestBody'] = {
        required: false,
        description: `JSON, at most ${MAX_BODY_BYTES} bytes, nesting depth at most ${MAX_JSON_DEPTH}; an empty body means \`{}\`.`,
        content: { 'application/json': { schema: body } },
      };
    }
    const kind = responseKindOf(t.name);
    let ok: Json;
    switch (kind.kind) {
      case 'json':
        ok = {
          description: 'OK',
          content: {
            'application/json': {
              schema: outputs.byCommand.has(t.name)
                ? { $ref: `${SCHEMA_REF}${outputs.byCommand.get(t.name)!}` }
                : { type: 'object' },
            },
          },
        };
        break;
      case 'attachment':
        ok = {
          description: `A document in the requested \`${kind.formatField}\`, as an attachment`,
          content: Object.fromEntries(
            Object.values(kind.formats).map((mime) => [
              mime,
              { schema: mime === 'application/json' ? { type: 'object' } : { type: 'string' } },
            ]),
          ),
        };
        break;
    }
    op['responses'] = {
      '200': ok,
      ...COMMON_ERRORS,
      ...(route.params.length > 0 ? { '404': errorResponse('Unknown service') } : {}),
      ...(route.method === 'DELETE' ? { '409': errorResponse('Conflicting operation') } : {}),
      ...(route.method === 'POST'
        ? {
            '409': errorResponse('Conflicting operation'),
            '413': errorResponse('Body too large'),
            '415': errorResponse('Content-Type is not application/json'),
          }
        : {}),
    };
  } else {
    op['operationId'] = t.name;
    switch (t.name) {
      case 'stream':
        op['summary'] = 'Live events: a snapshot, then every change';
        op['description'] = STREAM_DESCRIPTION;
        parameters.push({
          name: 'token',
          in: 'query',
          required: false,
          schema: { type: 'string' },
        });
        op['responses'] = {
          '101': { description: 'Switching to the WebSocket protocol' },
          ...COMMON_ERRORS,
        };
        break;
      case 'openapi':
        op['summary'] = 'This document';
        op['responses'] = {
          '200': {
            description: 'OpenAPI 3.1',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          ...COMMON_ERRORS,
        };
        break;
      case 'metrics':
        op['summary'] = 'Prometheus metrics';
        op['responses'] = {
          '200': {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } },
          },
          ...COMMON_ERRORS,
        };
        break;
      case 'liveness':
        op['summary'] = 'Liveness: answers {"ok":true} and nothing else; no token needed';
        op['security'] = [];
        op['responses'] = {
          '200': {
            description: 'Vigil is up',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { ok: { const: true } }, required: ['ok'] },
              },
            },
          },
        };
        break;
    }
  }
  if (parameters.length > 0) op['parameters'] = parameters;
  return op;
}

export function buildOpenApiDocument(opts: OpenApiOptions = {}): Json {
  const outputs = outputSchemas();
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of ROUTES) {
    const key = openApiPath(route.path);
    (paths[key] ??= {})[route.method.toLowerCase()] = operation(route, outputs);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Vigil API',
      version: opts.version ?? '1.0.0',
      description:
        'Control and observe the services Vigil supervises. Every route except /healthz needs the token.',
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    security: [{ bearer: [] }, { cookie: [] }],
    tags: [
      { name: 'queries', description: 'Read state and history' },
      { name: 'actions', description: 'Change state (POST with a JSON body, or DELETE)' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'The token from <data-dir>/api-token',
        },
        cookie: { type: 'apiKey', in: 'cookie', name: TOKEN_COOKIE },
      },
      schemas: {
        ...outputs.components,
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.keys(ERROR_CODES) },
                message: { type: 'string' },
                field: { type: 'string' },
                hint: { type: 'string' },
                location: {
                  type: 'object',
                  properties: {
                    file: { type: 'string' },
                    line: { type: 'integer' },
                    col: { type: 'integer' },
                  },
                },
              },
            },
          },
        },
      },
    },
    'x-stream': { path: EXTRA_ROUTES.stream, batched: BATCHED_EVENT_TYPES },
  };
}
