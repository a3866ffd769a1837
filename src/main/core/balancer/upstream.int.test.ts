/**
 * The plain-socket response reader against a real socket that answers with hand-written bytes:
 * framings Node's own server never produces, split at awkward places.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamPool, type UpstreamHead } from './upstream.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server that answers each request head with the next of `replies` (each a list of writes). */
async function rawServer(
  replies: readonly (readonly string[])[],
  opts: { closeAfter?: boolean } = {},
): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  let conns = 0;
  const s = net.createServer((socket) => {
    conns++;
    let buf = '';
    socket.on('data', async (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        const reply = replies[n++ % replies.length]!;
        for (const part of reply) {
          socket.write(part);
          await new Promise((r) => setTimeout(r, 5));
        }
        if (opts.closeAfter) socket.end();
      }
    });
    socket.on('error', () => undefined);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { port: (s.address() as net.AddressInfo).port, connections: () => conns };
}

interface Result {
  head: UpstreamHead | null;
  body: string;
  error: string | null;
  connected: boolean | null;
}

function exchange(pool: UpstreamPool, method = 'GET'): Promise<Result> {
  return new Promise((resolve) => {
    const r: Result = { head: null, body: '', error: null, connected: null };
    pool.request(`${method} / HTTP/1.1\r\nHost: x\r\n\r\n`, method === 'HEAD', 2000, {
      head: (h) => (r.head = h),
      data: (c) => {
        r.body += c.toString('latin1');
        return true;
      },
      end: () => resolve(r),
      error: (e, connected) => {
        r.error = e.code ?? e.message;
        r.connected = connected;
        resolve(r);
      },
    });
  });
}

describe('UpstreamPool', () => {
  it('reads a sized response split mid-header and reuses the connection', async () => {
    const srv = await rawServer([
      ['HTTP/1.1 200 OK\r\nContent-Le', 'ngth: 5\r\nConnection: keep-alive\r\n\r\nhe', 'llo'],
    ]);
    const pool = new UpstreamPool('127.0.0.1', srv.port);
    const a = await exchange(pool);
    expect(a.head).toEqual({
      status: 200,
      statusMessage: 'OK',
      headers: ['Content-Length', '5'],
      sized: true,
    });
    expect(a.body).toBe('hello');
    const b = await exchange(pool);
    expect(b.body).toBe('hello');
    expect(srv.connections()).toBe(1);
    pool.destroy();
  });

  it('decodes chunked bodies with extensions and trailers, split anywhere', async () => {
    const srv = await rawServer([
      [
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r',
        '\nwiki\r\n5;ext=1\r\npedia\r',
        '\n0\r\nX-Trailer: t\r\n\r\n',
      ],
    ]);
    const pool = new UpstreamPool('127.0.0.1', srv.port);
    const r = await exchange(pool);
    expect(r.head?.sized).toBe(false);
    expect(r.head?.headers).toEqual(['Transfer-Encoding', 'chunked']);
    expect(r.body).toBe('wikipedia');
    expect((await exchange(pool)).body).toBe('wikipedia');
    expect(srv.connections()).toBe(1);
    pool.destroy();
  });

  it('skips interim 1xx answers, and reads no body for HEAD, 204 and 304', async () => {
    const srv = await rawServer([
      ['HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'],
      ['HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n'],
      ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'],
    ]);
    const pool = new UpstreamPool('127.0.0.1', srv.port);
    const a = await exchange(pool);
    expect(a.head?.status).toBe(204);
    expect(a.body).toBe('');
    expect((await exchange(pool)).head?.status).toBe(304);
    const head = await exchange(pool, 'HEAD');
    expect(head.head).toMatchObject({ status: 200, sized: true });
    expect(srv.connections()).toBe(1);
    pool.destroy();
  });

  it('reads to the end of the connection when there is no length, and does not reuse it', async () => {
    const srv = await rawServer([['HTTP/1.0 200 OK\r\n\r\nall of ', 'it']], { closeAfter: true });
    const pool = new UpstreamPool('127.0.0.1', srv.port);
    const r = await exchange(pool);
    expect(r.body).toBe('all of it');
    expect(r.head?.sized).toBe(false);
    await exchange(pool);
    expect(srv.connections()).toBe(2);
    pool.destroy();
  });

  it('closes after Connection: close', async () => {
    const srv = await rawServer([
      ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'],
    ]);
    const pool = new UpstreamPool('127.0.0.1', srv.port);
    expect((await exchange(pool)).body).toBe('ok');
    expect((await exchange(pool)).body).toBe('ok');
    expect(srv.connections()).toBe(2);
    pool.destroy();
  });

  it('says whether the request could have reached the instance', async () => {
    const dead = net.createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const refused = await exchange(new UpstreamPool('127.0.0.1', port));
    expect(refused).toMatchObject({ error: 'ECONNREFUSED', connected: false });

    // accepts, reads the request, then resets mid-response
    const s = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
        setTimeout(() => socket.resetAndDestroy(), 20);
      });
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const cut = await exchange(
      new UpstreamPool('127.0.0.1', (s.address() as net.AddressInfo).port),
    );
    expect(cut).toMatchObject({ error: 'ECONNRESET', connected: true, body: 'partial' });
  });

  it('fails a response without a status line as a protocol error', async () => {
    const srv = await rawServer([['SSH-2.0-OpenSSH\r\n\r\n']]);
    const r = await exchange(new UpstreamPool('127.0.0.1', srv.port));
    expect(r).toMatchObject({ error: 'EPROTO', connected: true });
  });
});
