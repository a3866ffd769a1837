/**
 * The stream client (`connectStream`, as the CLI and the browser UI use it) against the real
 * server: snapshot, unbatched events, and reconnecting after the server restarts.
 */
import { WebSocket } from 'ws';
import { afterEach, expect, it } from 'vitest';
import type { VigilEvent } from '../../shared/events.js';
import type { StatusResponse } from '../../shared/views.js';
import { connectStream } from '../../shared/client/stream.js';
import { silentLogger } from '../core/logger.js';
import { FakeVigil } from './testing/fake-api.js';
import { startHttpServer, type HttpServerHandle } from './http.js';

const TOKEN = 'stream-client-token-0123456789';
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function waitFor(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const serve = (fake: FakeVigil, port = 0): Promise<HttpServerHandle> =>
  startHttpServer({
    api: fake.api,
    events: fake,
    host: '127.0.0.1',
    port,
    token: TOKEN,
    logger: silentLogger,
    metrics: () => '',
    batchMs: 10,
  });

it('receives the snapshot and unbatched events, and reconnects after a restart', async () => {
  const fake = new FakeVigil();
  let server = await serve(fake);
  cleanup.push(() => server.close());
  const snapshots: StatusResponse[] = [];
  const events: VigilEvent[] = [];
  const statuses: string[] = [];
  const conn = connectStream({
    url: server.url,
    token: TOKEN,
    WebSocket,
    onSnapshot: (s) => snapshots.push(s),
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    backoff: { initialMs: 20, maxMs: 100 },
  });
  cleanup.push(() => conn.close());
  await waitFor('snapshot', () => snapshots.length === 1);
  fake.log('api', 'one');
  fake.log('api', 'two');
  fake.healthEvent('db');
  await waitFor('events', () => events.length === 3);
  expect(events.map((e) => e.type).sort()).toEqual(['health_update', 'log', 'log']);

  const port = server.port;
  await server.close();
  await waitFor('closed', () => statuses.includes('closed'));
  server = await serve(fake, port);
  await waitFor('second snapshot', () => snapshots.length === 2);
  fake.serviceEvent('api', 'stopping');
  await waitFor('event after reconnect', () => events.length === 4);
  expect(events[3]).toMatchObject({ type: 'service_event', to: 'stopping' });
  expect(statuses.filter((s) => s === 'open')).toHaveLength(2);
});

it('keeps retrying a server that refuses the token, without delivering anything', async () => {
  const fake = new FakeVigil();
  const server = await serve(fake);
  cleanup.push(() => server.close());
  const statuses: string[] = [];
  const conn = connectStream({
    url: server.url,
    token: 'wrong',
    WebSocket,
    onSnapshot: () => {
      throw new Error('no snapshot expected');
    },
    onEvent: () => undefined,
    onStatus: (s) => statuses.push(s),
    backoff: { initialMs: 10, maxMs: 20 },
  });
  await waitFor('two attempts', () => statuses.filter((s) => s === 'connecting').length >= 2);
  conn.close();
  expect(fake.listenerCount).toBe(0);
});
