/** What the proxies (http, tcp) need from the balancer: an instance to use, and where to report. */
import type { Instance } from './pool.js';

export interface Router {
  readonly service: string;
  /** An eligible instance of the pool that takes traffic now, or null. */
  choose(clientIp: string, exclude?: ReadonlySet<string>): Instance | null;
  /** A connection to the instance failed before anything was sent: take it out (passive ejection). */
  refused(inst: Instance, reason: string): void;
  /** A request is sent again, to another instance. */
  retried(from: Instance, to: Instance, reason: string): void;
  /** Nothing was ready for a request or connection. */
  noInstance(): void;
  /** Milliseconds, monotonic (latency figures). */
  now(): number;
}

/** Errors that mean the instance never accepted the connection (the request did not reach it). */
export function connectFailure(err: NodeJS.ErrnoException): string {
  return err.code ?? err.message;
}
