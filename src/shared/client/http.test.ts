import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { createHttpClient, type FetchLike } from './http.js';

interface Seen {
  url: string;
  init: RequestInit;
}

function fakeFetch(
  respond: (seen: Seen) => Response | Promise<Response>,
): FetchLike & { seen: Seen[] } {
  const seen: Seen[] = [];
  const f = (async (url: string, init?: RequestInit) => {
    const s = { url, init: init ?? {} };
    seen.push(s);
    return respond(s);
  }) as FetchLike & { seen: Seen[] };
  f.seen = seen;
  return f;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('createHttpClient', () => {
  it('builds GET paths and query strings from the contract', async () => {
    const f = fakeFetch(() => json(200, { success: true }));
    const client = createHttpClient({
      baseUrl: 'http://127.0.0.1:9000/',
      token: 't0k',
      fetch: f,
      client: 'cli',
    });
    await client.getLogs({ name: 'api', tail: 5 });
    await client.getHealingHistory({});
    expect(f.seen.map((s) => s.url)).toEqual([
      'http://127.0.0.1:9000/orchestrator/logs/api?tail=5',
      'http://127.0.0.1:9000/orchestrator/healing-history',
    ]);
    expect(f.seen[0]!.init.method).toBe('GET');
    expect(f.seen[0]!.init.body).toBeUndefined();
    expect(f.seen[0]!.init.headers).toMatchObject({
      Authorization: 'Bearer t0k',
      'X-Vigil-Client': 'cli',
    });
  });

  it('sends POST inputs as a JSON body without the path parameters', async () => {
    const f = fakeFetch(() => json(200, { success: true }));
    const client = createHttpClient({ baseUrl: '', fetch: f });
    await client.restartService({ name: 'db', force: true });
    expect(f.seen[0]!.url).toBe('/orchestrator/restart/db');
    expect(f.seen[0]!.init.method).toBe('POST');
    expect(f.seen[0]!.init.body).toBe('{"force":true}');
    expect(f.seen[0]!.init.headers).toMatchObject({ 'Content-Type': 'application/json' });
    expect(f.seen[0]!.init.headers).not.toHaveProperty('Authorization');
  });

  it('encodes path parameters and refuses a missing one before calling', async () => {
    const f = fakeFetch(() => json(200, {}));
    const client = createHttpClient({ baseUrl: 'http://x', fetch: f });
    await client.getService({ name: 'a/b?c' });
    expect(f.seen[0]!.url).toBe('http://x/orchestrator/services/a%2Fb%3Fc');
    await expect(client.stopService({} as { name: string })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      field: 'name',
    });
    expect(f.seen).toHaveLength(1);
  });

  it('turns an error envelope into the VigilError the server threw', async () => {
    const f = fakeFetch(() =>
      json(404, {
        error: {
          code: 'UNKNOWN_SERVICE',
          message: 'unknown service "x"',
          field: 'name',
          hint: 'h',
        },
      }),
    );
    const err = await createHttpClient({ baseUrl: 'http://x', fetch: f })
      .getService({ name: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect(err).toMatchObject({ code: 'UNKNOWN_SERVICE', status: 404, field: 'name', hint: 'h' });
  });

  it('maps a non-envelope error by status, and an unknown code to INTERNAL', async () => {
    const plain = fakeFetch(
      () => new Response('nope', { status: 401, statusText: 'Unauthorized' }),
    );
    await expect(
      createHttpClient({ baseUrl: 'http://x', fetch: plain }).getStats({}),
    ).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'HTTP 401 Unauthorized',
    });
    const odd = fakeFetch(() =>
      json(418, { error: { code: 'TEAPOT', message: 'short and stout' } }),
    );
    await expect(
      createHttpClient({ baseUrl: 'http://x', fetch: odd }).getStats({}),
    ).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'TEAPOT: short and stout',
    });
  });

  it('reports an unreachable server as NOT_RUNNING', async () => {
    const down = fakeFetch(() => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
    });
    await expect(
      createHttpClient({ baseUrl: 'http://127.0.0.1:9', fetch: down }).getStats({}),
    ).rejects.toMatchObject({
      code: 'NOT_RUNNING',
      message: 'cannot reach Vigil at http://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9',
    });
  });

  it('builds a ReportResponse from the raw body and headers', async () => {
    const f = fakeFetch(
      () =>
        new Response('a,b\n', {
          status: 200,
          headers: {
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': 'attachment; filename="r-1.csv"',
          },
        }),
    );
    const report = await createHttpClient({ baseUrl: 'http://x', fetch: f }).getReport({
      since: '1h',
    });
    expect(f.seen[0]!.url).toBe('http://x/orchestrator/report?since=1h');
    expect(report).toEqual({
      format: 'csv',
      content_type: 'text/csv; charset=utf-8',
      filename: 'r-1.csv',
      body: 'a,b\n',
    });
  });

  it('has exactly one method per command', async () => {
    const { COMMAND_NAMES } = await import('../contract.js');
    const client = createHttpClient({ baseUrl: 'http://x', fetch: fakeFetch(() => json(200, {})) });
    expect(Object.keys(client).sort()).toEqual([...COMMAND_NAMES].sort());
  });
});
