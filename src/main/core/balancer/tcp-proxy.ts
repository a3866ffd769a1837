/**
 * The `tcp` mode: each client connection goes to one instance and is piped both ways. The client's
 * bytes wait (paused) until the connection to the instance is open, so a refused connection has
 * sent nothing and is tried once more on another instance. The connection counts as active until
 * either side closes.
 */
import net from 'node:net';
import { begin, end, type Instance } from './pool.js';
import { connectFailure, type Router } from './router.js';

export interface TcpProxyOptions {
  readonly connectTimeoutMs: number;
}

export function handleConnection(router: Router, opts: TcpProxyOptions, client: net.Socket): void {
  const clientIp = client.remoteAddress ?? '';
  client.pause();
  client.setNoDelay(true);
  let clientClosed = false;
  client.once('close', () => {
    clientClosed = true;
  });
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
    const up = net.connect({ host: inst.host, port: inst.port, noDelay: true });
    let connected = false;
    const timer = setTimeout(() => {
      const err: NodeJS.ErrnoException = new Error('connect timed out');
      err.code = 'ETIMEDOUT';
      up.destroy(err);
    }, opts.connectTimeoutMs);

    up.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      const latency = router.now() - t0;
      if (clientClosed) {
        settle(true, latency);
        up.destroy();
        return;
      }
      up.pipe(client);
      client.pipe(up);
      client.resume();
      const close = (): void => {
        settle(true, latency);
        up.destroy();
        client.destroy();
      };
      up.once('close', close);
      client.once('close', close);
    });

    up.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (connected) {
        // Bytes may have reached the instance: never sent again; the client sees the reset.
        settle(false, null);
        client.destroy();
        return;
      }
      settle(false, null);
      const reason = connectFailure(err);
      router.refused(inst, reason);
      tried.add(inst.id);
      const next = tried.size === 1 && !clientClosed ? router.choose(clientIp, tried) : null;
      if (next) {
        router.retried(inst, next, reason);
        attempt(next, tried);
        return;
      }
      client.destroy();
    });
  };

  const first = router.choose(clientIp);
  if (!first) {
    router.noInstance();
    client.destroy();
    return;
  }
  attempt(first, new Set());
}
