import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { httpGet } from './sockets.js';

const HOST = '127.0.0.1';
const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
});

/** A TCP server that answers every connection with `reply(requestText)` (raw bytes). */
async function rawServer(
  reply: (req: string, socket: net.Socket) => void,
): Promise<{ port: number; requests: string[] }> {
  const requests: string[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        requests.push(text);
        reply(text, socket);
        text = '';
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, HOST, r));
  return { port: (server.address() as net.AddressInfo).port, requests };
}

const get = (port: number, readBody = true, timeoutMs = 2_000) =>
  httpGet({ host: HOST, port, path: '/health', timeoutMs, readBody: () => readBody });

describe('httpGet on the wire', () => {
  it('skips interim 1xx responses and reports the final status', async () => {
    const { port } = await rawServer((_, s) =>
      s.end(
        'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      ),
    );
    expect(await get(port, false)).toEqual({ kind: 'response', status: 200, body: '' });
  });

  it('reads a chunked body of a failing answer, split across packets', async () => {
    const { port } = await rawServer((_, s) => {
      s.write('HTTP/1.1 500 Internal\r\nTransfer-Encoding: chunked\r\n\r\n7\r\ndb is d');
      setTimeout(() => s.end('\r\n4\r\nown!\r\n0\r\n\r\n'), 30);
    });
    expect(await get(port)).toEqual({ kind: 'response', status: 500, body: 'db is down!' });
  });

  it('keeps apart the heads and bodies of many probes that arrive in pieces at the same time', async () => {
    // Every probe reads into one shared buffer: interleaved partial reads must not mix.
    const { port } = await rawServer((req, s) => {
      const id = /X-Id: (\d+)/.exec(req)![1]!;
      const body = `body of ${id} `.repeat(3);
      const parts = [
        'HTTP/1.',
        `1 5${id.padStart(2, '0')} Down\r\nContent-Le`,
        `ngth: ${body.length}\r\n`,
        `\r\n${body.slice(0, 5)}`,
        body.slice(5),
      ];
      let i = 0;
      const next = (): void => {
        if (s.destroyed) return;
        s.write(parts[i]!);
        i += 1;
        if (i < parts.length) setTimeout(next, 3 + ((Number(id) * 7) % 11));
        else s.end();
      };
      next();
    });
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, n) =>
        httpGet({
          host: HOST,
          port,
          path: '/health',
          headers: { 'X-Id': String(n) },
          timeoutMs: 5_000,
          readBody: () => true,
        }),
      ),
    );
    outcomes.forEach((out, n) =>
      expect(out).toEqual({
        kind: 'response',
        status: 500 + n,
        body: `body of ${n} `.repeat(3),
      }),
    );
  });

  it('reads a Content-Length body without waiting for the close', async () => {
    const { port } = await rawServer((_, s) =>
      s.write('HTTP/1.1 503 No\r\nContent-Length: 4\r\n\r\nbusy'),
    );
    expect(await get(port, true, 5_000)).toEqual({ kind: 'response', status: 503, body: 'busy' });
  });

  it('calls an answer that is not HTTP HPE_INVALID_CONSTANT, and a close before any status ECONNRESET', async () => {
    const ssh = await rawServer((_, s) => s.end('SSH-2.0-OpenSSH_9.6\r\n'));
    expect(await get(ssh.port)).toEqual({
      kind: 'error',
      code: 'HPE_INVALID_CONSTANT',
      connected: true,
    });
    const rude = await rawServer((_, s) => s.destroy());
    expect(await get(rude.port)).toMatchObject({
      kind: 'error',
      code: 'ECONNRESET',
      connected: true,
    });
  });

  it('sends exactly one well-formed request with Host and Connection: close', async () => {
    const { port, requests } = await rawServer((_, s) => s.end('HTTP/1.1 200 OK\r\n\r\n'));
    expect(await get(port, false)).toMatchObject({ kind: 'response', status: 200 });
    expect(requests).toEqual([
      `GET /health HTTP/1.1\r\nHost: ${HOST}:${port}\r\nConnection: close\r\n\r\n`,
    ]);
  });

  it('never sends a header value carrying CR/LF', async () => {
    const { port, requests } = await rawServer((_, s) => s.end('HTTP/1.1 200 OK\r\n\r\n'));
    const out = await httpGet({
      host: HOST,
      port,
      path: '/health',
      headers: { 'X-Token': 'a\r\nX-Admin: yes' },
      timeoutMs: 1_000,
      readBody: () => false,
    });
    expect(out).toEqual({ kind: 'error', code: 'ERR_INVALID_CHAR', connected: false });
    expect(requests).toEqual([]);
  });
});
