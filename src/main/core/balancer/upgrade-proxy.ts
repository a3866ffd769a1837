/**
 * WebSocket (and any other) upgrades in http mode: each gets its own connection to an instance;
 * once the instance answers 101 the two sockets are piped both ways, and the connection counts
 * as active until either side closes. A connection refused before it opened is retried once
 * elsewhere, as for requests.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { INSTANCE_HEADER, whenConnected, type HttpProxyOptions } from './http-proxy.js';
import { begin, end, type Instance } from './pool.js';
import { connectFailure, type Router } from './router.js';

/** The raw head of an HTTP/1.1 message. */
function head(
  firstLine: string,
  rawHeaders: readonly string[],
  extra: readonly [string, string][],
): string {
  let s = `${firstLine}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    s += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  for (const [k, v] of extra) s += `${k}: ${v}\r\n`;
  return `${s}\r\n`;
}

export function handleUpgrade(
  router: Router,
  opts: HttpProxyOptions,
  req: http.IncomingMessage,
  client: Duplex,
  clientHead: Buffer,
): void {
  const clientIp = req.socket.remoteAddress ?? '';
  const headers: http.OutgoingHttpHeaders = { ...req.headers };
  const xff = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = xff ? `${String(xff)}, ${clientIp}` : clientIp;
  if (!req.headers['x-forwarded-proto']) headers['x-forwarded-proto'] = 'http';
  client.on('error', () => client.destroy());

  const attempt = (inst: Instance, tried: Set<string>): void => {
    const t0 = router.now();
    begin(inst);
    let settled = false;
    const settle = (ok: boolean, latency: number | null): void => {
      if (settled) return;
      settled = true;
      end(inst, ok, latency, router.now());
    };
    const up = http.request({
      host: inst.host,
      port: inst.port,
      method: req.method,
      path: req.url,
      headers,
      agent: false,
    });
    const conn = whenConnected(up, opts.connectTimeoutMs, () => undefined);
    up.end();
    client.once('close', () => {
      if (!settled) up.destroy();
    });

    up.once('upgrade', (ures, upSocket, upHead) => {
      const latency = router.now() - t0;
      client.write(
        head(
          `HTTP/1.1 ${ures.statusCode ?? 101} ${ures.statusMessage ?? 'Switching Protocols'}`,
          ures.rawHeaders,
          [[INSTANCE_HEADER, inst.id]],
        ),
      );
      if (upHead.length > 0) client.write(upHead);
      if (clientHead.length > 0) upSocket.write(clientHead);
      upSocket.pipe(client);
      client.pipe(upSocket);
      const close = (): void => {
        settle(true, latency);
        upSocket.destroy();
        client.destroy();
      };
      upSocket.once('close', close);
      client.once('close', close);
      upSocket.on('error', close);
    });

    up.once('response', (ures) => {
      // The instance refused the upgrade with an ordinary response: pass it on and close.
      const latency = router.now() - t0;
      client.write(
        head(`HTTP/1.1 ${ures.statusCode ?? 502} ${ures.statusMessage ?? ''}`, ures.rawHeaders, [
          [INSTANCE_HEADER, inst.id],
        ]),
      );
      ures.pipe(client);
      ures.once('end', () => {
        settle(true, latency);
        client.end();
      });
    });

    up.once('error', (err: NodeJS.ErrnoException) => {
      settle(false, null);
      const reason = connectFailure(err);
      if (!conn.connected()) {
        router.refused(inst, reason);
        tried.add(inst.id);
        const next = tried.size === 1 ? router.choose(clientIp, tried) : null;
        if (next) {
          router.retried(inst, next, reason);
          attempt(next, tried);
          return;
        }
      }
      client.end(
        head(
          'HTTP/1.1 502 Bad Gateway',
          [],
          [
            ['content-type', 'application/json'],
            ['connection', 'close'],
            [INSTANCE_HEADER, inst.id],
          ],
        ) +
          JSON.stringify({
            error: { code: 'BAD_GATEWAY', message: `${router.service}: ${inst.id}: ${reason}` },
          }),
      );
    });
  };

  const first = router.choose(clientIp);
  if (!first) {
    router.noInstance();
    const body = JSON.stringify({
      error: { code: 'NOT_RUNNING', message: `${router.service}: no instance is ready` },
    });
    client.end(
      head(
        'HTTP/1.1 503 Service Unavailable',
        [],
        [
          ['content-type', 'application/json'],
          ['content-length', String(Buffer.byteLength(body))],
          ['connection', 'close'],
        ],
      ) + body,
    );
    return;
  }
  attempt(first, new Set());
}
