/**
 * The balancer of one replicated service: listens on the front port and sends each request (http)
 * or connection (tcp) to a ready instance. The owner (the service's runner) tells it which
 * instances exist and which are ready; the balancer takes an instance out by itself when a
 * connection to it is refused (passive ejection), and it comes back only when the owner marks it
 * ready again, after a probe passed. With a failover backup, traffic goes to the backup's
 * instances while none of the service's own is ready (see failover.ts).
 */
import http from 'node:http';
import net from 'node:net';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import {
  INITIAL_FAILOVER_STATE,
  stepFailover,
  type FailoverInput,
  type FailoverRoute,
  type FailoverState,
} from './failover.js';
import { handleRequest } from './http-proxy.js';
import { Pool, closeConnections, type Instance } from './pool.js';
import type { Router } from './router.js';
import { handleConnection } from './tcp-proxy.js';
import { handleUpgrade } from './upgrade-proxy.js';
import type { BalancerEvent, BalancerOptions, InstanceSpec, InstanceStats } from './types.js';

export interface DrainResult {
  readonly id: string;
  /** False when the timeout passed with requests still in flight. */
  readonly drained: boolean;
  /** Requests or connections still in flight when it resolved. */
  readonly left: number;
}

export interface FailoverStatus {
  readonly route: FailoverRoute;
  readonly pinned: boolean;
  readonly backup: string | null;
}

export class Balancer {
  private readonly primary: Pool;
  private readonly backup: Pool;
  private readonly server: http.Server | net.Server;
  private failover: FailoverState = INITIAL_FAILOVER_STATE;
  private failbackTimer: TimerHandle | null = null;
  private closed = false;
  private readonly router: Router;

  private constructor(
    private readonly opts: BalancerOptions,
    private readonly clock: Clock,
  ) {
    const windowMs = opts.statsWindowMs ?? 30_000;
    const rng = opts.rng ?? Math.random;
    this.primary = new Pool('primary', opts.strategy, windowMs, rng);
    this.backup = new Pool('backup', opts.strategy, windowMs, rng);
    const connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
    this.router = {
      service: opts.service,
      choose: (ip, exclude) => this.routed().choose(ip, exclude),
      refused: (inst, reason) => this.eject(inst, reason),
      retried: (from, to, reason) =>
        this.emit({ type: 'retried', from: from.id, to: to.id, reason }),
      noInstance: () => this.emit({ type: 'no_instance', pool: this.routed().name }),
      now: () => performance.now(),
    };
    const p = { connectTimeoutMs };
    if (opts.mode === 'http') {
      const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) =>
        handleRequest(this.router, p, req, res),
      );
      server.on('upgrade', (req, socket, head) => handleUpgrade(this.router, p, req, socket, head));
      // No request timeout: long responses and streams are the instance's business.
      server.requestTimeout = 0;
      server.headersTimeout = 60_000;
      server.keepAliveTimeout = 30_000;
      this.server = server;
    } else {
      this.server = net.createServer({ noDelay: true }, (socket) =>
        handleConnection(this.router, p, socket),
      );
    }
  }

  /** Starts listening; rejects with the listen error (EADDRINUSE...) when the port is taken. */
  static async start(opts: BalancerOptions, clock: Clock = systemClock): Promise<Balancer> {
    const b = new Balancer(opts, clock);
    await new Promise<void>((resolve, reject) => {
      b.server.once('error', reject);
      b.server.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' }, () => {
        b.server.off('error', reject);
        resolve();
      });
    });
    return b;
  }

  get address(): { readonly host: string; readonly port: number } {
    const a = this.server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  // --- instances ------------------------------------------------------------------------------

  /** Makes the service's instances exactly `list`: new ones join not ready, missing ones leave. */
  setInstances(list: readonly InstanceSpec[]): void {
    this.setPool(this.primary, list);
  }

  /** The failover backup's instances (another service's), the same way. */
  setBackupInstances(list: readonly InstanceSpec[]): void {
    this.setPool(this.backup, list);
  }

  add(spec: InstanceSpec): void {
    this.primary.upsert(spec);
    this.observe();
  }

  remove(id: string): boolean {
    const ok = this.primary.remove(id) || this.backup.remove(id);
    this.observe();
    return ok;
  }

  /**
   * The instance's probe passed: it takes traffic (and comes back if it was ejected or had been
   * drained).
   */
  markReady(id: string): void {
    const inst = this.find(id);
    if (!inst) return;
    const wasEjected = inst.ejected;
    inst.ownerReady = true;
    inst.ejected = false;
    inst.draining = false;
    this.poolOf(inst).refresh();
    if (wasEjected) this.emit({ type: 'restored', id });
    this.observe();
  }

  /** The instance's probe failed, or it is stopping: no new traffic. */
  markNotReady(id: string): void {
    const inst = this.find(id);
    if (!inst) return;
    inst.ownerReady = false;
    this.poolOf(inst).refresh();
    this.observe();
  }

  /**
   * No new traffic to the instance; resolves when nothing of it is in flight any more, or when
   * `timeoutMs` has passed (`drained: false`, with what is left). The instance stays out of the
   * pool until `markReady` (a new generation) or `remove`.
   */
  drain(id: string, timeoutMs: number): Promise<DrainResult> {
    const inst = this.find(id);
    if (!inst) return Promise.resolve({ id, drained: true, left: 0 });
    inst.draining = true;
    this.poolOf(inst).refresh();
    this.observe();
    return new Promise((resolve) => {
      let done = false;
      const finish = (drained: boolean): void => {
        if (done) return;
        done = true;
        timer.cancel();
        inst.onIdle = inst.onIdle.filter((w) => w !== onIdle);
        // Idle keep-alive connections to it close now, from this side.
        if (drained) closeConnections(inst);
        this.emit({ type: 'drained', id, timedOut: !drained, left: inst.active });
        resolve({ id, drained, left: inst.active });
      };
      const onIdle = (): void => finish(true);
      const timer = this.clock.setTimeout(() => finish(false), timeoutMs);
      if (inst.active === 0) finish(true);
      else inst.onIdle.push(onIdle);
    });
  }

  // --- failover -------------------------------------------------------------------------------

  /** Sends traffic to the backup and keeps it there until `manualFailback`. */
  manualFailover(): { readonly ok: boolean; readonly reason: string | null } {
    return this.stepFailover('manual_failover');
  }

  manualFailback(): { readonly ok: boolean; readonly reason: string | null } {
    return this.stepFailover('manual_failback');
  }

  failoverStatus(): FailoverStatus {
    return {
      route: this.failover.route,
      pinned: this.failover.pinned,
      backup: this.opts.failover?.backup ?? null,
    };
  }

  // --- views ----------------------------------------------------------------------------------

  stats(): InstanceStats[] {
    const now = performance.now();
    return [...this.primary.stats(now), ...this.backup.stats(now)];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failbackTimer?.cancel();
    this.failbackTimer = null;
    const done = new Promise<void>((r) => this.server.close(() => r()));
    if (this.server instanceof http.Server) this.server.closeAllConnections();
    this.primary.destroy();
    this.backup.destroy();
    await done;
  }

  // --- inside ---------------------------------------------------------------------------------

  private setPool(pool: Pool, list: readonly InstanceSpec[]): void {
    const keep = new Set(list.map((s) => s.id));
    for (const inst of pool.all()) if (!keep.has(inst.id)) pool.remove(inst.id);
    for (const spec of list) pool.upsert(spec);
    this.observe();
  }

  private find(id: string): Instance | undefined {
    return this.primary.get(id) ?? this.backup.get(id);
  }

  private poolOf(inst: Instance): Pool {
    return inst.pool === 'primary' ? this.primary : this.backup;
  }

  private routed(): Pool {
    return this.failover.route === 'backup' ? this.backup : this.primary;
  }

  private eject(inst: Instance, reason: string): void {
    if (inst.ejected || inst.removed) return;
    inst.ejected = true;
    this.poolOf(inst).refresh();
    this.emit({ type: 'ejected', id: inst.id, reason });
    this.observe();
  }

  private observe(): void {
    this.stepFailover('observe');
  }

  private stepFailover(type: FailoverInput['type']): {
    readonly ok: boolean;
    readonly reason: string | null;
  } {
    if (this.closed) return { ok: false, reason: 'the balancer is closed' };
    const d = stepFailover(
      {
        hasBackup: this.opts.failover !== undefined,
        failbackAfterMs: this.opts.failover?.failbackAfterMs ?? 0,
      },
      this.failover,
      { type, primaryReady: this.primary.readyCount(), backupReady: this.backup.readyCount() },
      this.clock.now(),
    );
    this.failover = d.state;
    for (const e of d.events) this.emit(e);
    this.failbackTimer?.cancel();
    this.failbackTimer = null;
    if (d.wakeAt !== null) {
      this.failbackTimer = this.clock.setTimeout(
        () => this.observe(),
        Math.max(0, d.wakeAt - this.clock.now()),
      );
    }
    return { ok: d.rejected === null, reason: d.rejected };
  }

  private emit(ev: BalancerEvent): void {
    try {
      this.opts.onEvent?.(ev);
    } catch {
      // a listener's failure is the listener's
    }
  }
}
