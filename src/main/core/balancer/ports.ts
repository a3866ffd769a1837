/**
 * Instance ports: each instance of a replicated service listens on its own port, from the
 * service's `ports: 3001-3010` range, else a free port on 127.0.0.1 chosen by the kernel. The
 * front port (the balancer's) and every other port of the stack are never handed out, and a range
 * that overlaps them is refused before anything starts.
 */
import net from 'node:net';
import { VigilError } from '../../../shared/errors.js';
import { isPortInUse } from '../process/ports.js';

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

export type PortRangeResult =
  | { readonly ok: true; readonly range: PortRange }
  | { readonly ok: false; readonly message: string };

const RANGE = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/;

/** Parses `3001-3010` (a single port `3001` is a range of one). */
export function parsePortRange(text: string | number): PortRangeResult {
  const raw = String(text);
  const single = /^\s*(\d{1,5})\s*$/.exec(raw);
  const m = single ? [raw, single[1], single[1]] : RANGE.exec(raw);
  if (!m)
    return {
      ok: false,
      message: `"${raw}" is not a port range: write it as FIRST-LAST, for example 3001-3010`,
    };
  const first = Number(m[1]);
  const last = Number(m[2]);
  for (const p of [first, last])
    if (p < 1 || p > 65535)
      return { ok: false, message: `port ${p} in "${raw}" is outside 1-65535` };
  if (first > last)
    return {
      ok: false,
      message: `"${raw}" runs backwards: the first port must not be above the last (${last}-${first}?)`,
    };
  return { ok: true, range: { first, last } };
}

export interface PortClaim {
  /** Who claims the ports: `api (front port)`, `api (instances)`, `db`. */
  readonly owner: string;
  readonly range: PortRange;
}

export interface PortClash {
  readonly a: string;
  readonly b: string;
  readonly first: number;
  readonly last: number;
  readonly message: string;
}

/** Every pair of claims that overlap (pure). */
export function findPortClashes(claims: readonly PortClaim[]): PortClash[] {
  const out: PortClash[] = [];
  for (let i = 0; i < claims.length; i++) {
    for (let j = i + 1; j < claims.length; j++) {
      const x = claims[i]!;
      const y = claims[j]!;
      const first = Math.max(x.range.first, y.range.first);
      const last = Math.min(x.range.last, y.range.last);
      if (first > last) continue;
      const where = first === last ? `port ${first}` : `ports ${first}-${last}`;
      out.push({
        a: x.owner,
        b: y.owner,
        first,
        last,
        message: `${x.owner} and ${y.owner} both claim ${where}: give the instances a range that no other port of the stack falls in`,
      });
    }
  }
  return out;
}

/** How many instances a range can hold. */
export function rangeSize(r: PortRange): number {
  return r.last - r.first + 1;
}

export interface AllocateOptions {
  readonly service: string;
  readonly count: number;
  /** The service's `ports:` range; without it free ports are picked on `host`. */
  readonly range?: PortRange;
  /** Ports never to hand out: the front port, other services' ports, instances already running. */
  readonly reserved: ReadonlySet<number>;
  readonly host?: string;
  /** Is the port taken by some process (defaults to a real check). */
  readonly inUse?: (port: number, host: string) => Promise<boolean>;
}

/**
 * Ports for `count` new instances. From a range: the lowest ports that are neither reserved nor in
 * use; `PORT_IN_USE` when the range has too few. Without a range: ports the kernel hands out on
 * `host`, held until all are chosen so that none is given twice.
 */
export async function allocatePorts(opts: AllocateOptions): Promise<number[]> {
  const host = opts.host ?? '127.0.0.1';
  const inUse = opts.inUse ?? ((p: number, h: string) => isPortInUse(p, h));
  if (opts.count <= 0) return [];
  if (opts.range) {
    const out: number[] = [];
    const busy: number[] = [];
    for (let p = opts.range.first; p <= opts.range.last && out.length < opts.count; p++) {
      if (opts.reserved.has(p)) continue;
      if (await inUse(p, host)) {
        busy.push(p);
        continue;
      }
      out.push(p);
    }
    if (out.length < opts.count) {
      const r = `${opts.range.first}-${opts.range.last}`;
      throw new VigilError(
        'PORT_IN_USE',
        `${opts.service}: ${opts.count} instance ports are needed and the range ${r} has only ${out.length} free` +
          (busy.length > 0 ? ` (in use by other processes: ${busy.slice(0, 5).join(', ')})` : ''),
        {
          field: `services.${opts.service}.ports`,
          hint: 'widen the range, stop what holds those ports, or lower the replica count',
        },
      );
    }
    return out;
  }
  const held: net.Server[] = [];
  const out: number[] = [];
  try {
    // The kernel never hands out a port that is bound, so holding each keeps them distinct; a
    // reserved port it happens to give is skipped (bounded: the kernel's range is large).
    for (let tries = 0; out.length < opts.count && tries < opts.count + 64; tries++) {
      const s = net.createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen({ port: 0, host, exclusive: true }, () => resolve());
      });
      held.push(s);
      const port = (s.address() as net.AddressInfo).port;
      if (!opts.reserved.has(port)) out.push(port);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(() => r(undefined)))));
  }
  if (out.length < opts.count)
    throw new VigilError(
      'PORT_IN_USE',
      `${opts.service}: could not find ${opts.count} free ports on ${host}`,
      {
        hint: 'give the service a `ports:` range',
      },
    );
  return out;
}
