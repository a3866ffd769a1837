/**
 * The service keys of SPEC §11 that describe more than one instance (`replicas`, `ports`,
 * `min_ready`, `balance`, `failover`, `scale`) plus `image`. They are read and checked here; the
 * checks across services (port clashes, backups) are in `checkReplicas`.
 */
import net from 'node:net';
import {
  BALANCE_MODES,
  BALANCE_STRATEGIES,
  SCALE_METRICS,
  type BalanceSpec,
  type FailoverSpec,
  type ScaleSpec,
} from '../../../shared/model.js';
import type { IssueList, Position } from './issues.js';
import { type Entry, type Reader, type Slot } from './reader.js';
import {
  BALANCE_KEYS,
  DEFAULT_CPU_TARGET,
  DEFAULT_FAILBACK_AFTER_MS,
  DEFAULT_SCALE_COOLDOWN_MS,
  DEFAULT_SCALE_WINDOW_MS,
  FAILOVER_KEYS,
  MAX_REPLICAS,
  SCALE_KEYS,
} from './schema.js';
import { suggestion } from './suggest.js';

export interface ReplicaFields {
  readonly image?: string;
  readonly replicas?: number;
  readonly ports?: readonly number[];
  readonly minReady?: number;
  readonly balance?: BalanceSpec;
  readonly failover?: FailoverSpec;
  readonly scale?: ScaleSpec;
}

/** Where the keys that other services' checks point at are. */
export interface ReplicaDraft {
  readonly ports?: { readonly pos: Position; readonly path: string };
  readonly backup?: { readonly pos: Position; readonly path: string };
}

interface Ctx {
  readonly name: string;
  readonly port: number | undefined;
  readonly cores: number;
}

export function readReplicaKeys(
  r: Reader,
  svc: ReadonlyMap<string, Entry>,
  ctx: Ctx,
): { fields: ReplicaFields; draft: ReplicaDraft } {
  const at = (k: string): Entry | undefined => svc.get(k);
  const image = at('image') && r.string(at('image')!, { nonEmpty: true })?.trim();
  if (image !== undefined && /\s/.test(image))
    r.fail(at('image')!, `image ${JSON.stringify(image)} contains spaces`, 'write NAME[:TAG]');

  const replicasEntry = at('replicas');
  const scaleEntry = at('scale');
  let replicas = replicasEntry && r.int(replicasEntry, 1, MAX_REPLICAS);
  let scale: ScaleSpec | undefined;
  if (scaleEntry !== undefined) {
    if (replicasEntry !== undefined) {
      r.issues.error(
        'STACK_INVALID',
        `service "${ctx.name}" sets both "replicas" and "scale"`,
        scaleEntry.keyPos,
        scaleEntry.path,
        'keep `replicas` for a fixed count or `scale` for a range, not both',
      );
    } else {
      scale = readScale(r, scaleEntry, ctx.cores);
      if (scale !== undefined) replicas = scale.min;
    }
  }
  const most = scale?.max ?? replicas ?? 1;
  const count = replicas ?? 1;

  const portsEntry = at('ports');
  const ports = portsEntry && readPorts(r, portsEntry);
  if (ports !== undefined && portsEntry !== undefined) {
    if (ports.length < most)
      r.fail(
        portsEntry,
        `"ports" holds ${ports.length} port${ports.length === 1 ? '' : 's'} for ${most} instance${most === 1 ? '' : 's'}${scale ? ' (scale.max)' : ''}`,
        `give at least ${most} ports, e.g. ${ports[0] ?? 3001}-${(ports[0] ?? 3001) + most - 1}`,
      );
    if (ctx.port !== undefined && ports.includes(ctx.port))
      r.fail(
        portsEntry,
        `"ports" includes ${ctx.port}, the service's front port`,
        'instance ports must differ from `port`, where the balancer listens',
      );
  }

  const minReadyEntry = at('min_ready');
  const minReady = minReadyEntry && r.int(minReadyEntry, 1, MAX_REPLICAS);
  if (minReady !== undefined && minReady > count)
    r.fail(
      minReadyEntry!,
      `"min_ready" is ${minReady} but service "${ctx.name}" runs ${count} instance${count === 1 ? '' : 's'}${scale ? ' at least (scale.min)' : ''}`,
      `use a value between 1 and ${count}`,
    );

  const balanceEntry = at('balance');
  const balance = balanceEntry && readBalance(r, balanceEntry, replicas, scale !== undefined);
  if (balanceEntry !== undefined && ctx.port === undefined)
    r.fail(
      balanceEntry,
      `"balance" needs a front port: service "${ctx.name}" has no "port"`,
      'add `port:` where the balancer listens',
    );

  const failoverEntry = at('failover');
  const failover = failoverEntry && readFailover(r, failoverEntry, ctx.name);
  const backupSlot = failoverEntry && r.table(failoverEntry, { known: null, what: 'failover' });

  return {
    fields: {
      ...(image !== undefined ? { image } : {}),
      ...(replicas !== undefined ? { replicas } : {}),
      ...(ports !== undefined ? { ports } : {}),
      ...(minReady !== undefined ? { minReady } : {}),
      ...(balance !== undefined ? { balance } : {}),
      ...(failover !== undefined ? { failover } : {}),
      ...(scale !== undefined ? { scale } : {}),
    },
    draft: {
      ...(portsEntry !== undefined && ports !== undefined
        ? { ports: { pos: portsEntry.pos, path: portsEntry.path } }
        : {}),
      ...(failover !== undefined && backupSlot?.get('backup') !== undefined
        ? {
            backup: {
              pos: backupSlot.get('backup')!.pos,
              path: backupSlot.get('backup')!.path,
            },
          }
        : {}),
    },
  };
}

/** `3001-3010`, a single port, or a list of ports and ranges. */
function readPorts(r: Reader, slot: Slot): number[] | undefined {
  const items = r.isList(slot) ? (r.items(slot) ?? []) : [slot];
  const out: number[] = [];
  let ok = true;
  for (const item of items) {
    const v = r.value(item);
    if (typeof v === 'number') {
      const p = r.int(item, 1, 65535);
      if (p === undefined) ok = false;
      else out.push(p);
      continue;
    }
    const m = typeof v === 'string' ? /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(v) : null;
    if (m === null) {
      r.expected(item, 'a port, a range like 3001-3010 or a list of them');
      ok = false;
      continue;
    }
    const from = Number(m[1]);
    const to = Number(m[2]);
    if (from < 1 || to > 65535 || from > to) {
      r.fail(item, `${JSON.stringify(v)} is not a port range`, 'write FIRST-LAST, e.g. 3001-3010');
      ok = false;
      continue;
    }
    if (to - from + 1 > MAX_REPLICAS) {
      r.fail(item, `the range ${JSON.stringify(v)} holds more than ${MAX_REPLICAS} ports`);
      ok = false;
      continue;
    }
    for (let p = from; p <= to; p++) out.push(p);
  }
  if (!ok) return undefined;
  const seen = new Set<number>();
  for (const p of out) {
    if (seen.has(p)) return r.fail(slot, `"ports" lists port ${p} twice`, 'list each port once');
    seen.add(p);
  }
  if (out.length === 0) return r.fail(slot, '"ports" must list at least one port');
  return out;
}

function readScale(r: Reader, slot: Entry, cores: number): ScaleSpec | undefined {
  const t = r.table(slot, { known: SCALE_KEYS, what: 'scale' });
  if (t === null) return undefined;
  const need = (k: string): Entry | undefined => {
    const e = t.get(k);
    if (e === undefined)
      r.issues.error(
        'STACK_INVALID',
        `"scale" needs "${k}"`,
        slot.pos,
        slot.path,
        'write `scale: { min: 1, max: 4, metric: cpu, target: 70% }`',
      );
    return e;
  };
  const minE = need('min');
  const maxE = need('max');
  const min = minE && r.int(minE, 1, MAX_REPLICAS);
  const max = maxE && r.int(maxE, 1, MAX_REPLICAS);
  if (min !== undefined && max !== undefined && min > max)
    r.fail(maxE!, `scale "max" (${max}) is less than "min" (${min})`, 'make max at least min');
  const metricE = t.get('metric');
  const metric = (metricE && r.oneOf(metricE, SCALE_METRICS)) ?? 'cpu';
  const targetE = t.get('target');
  let target: number | undefined = metric === 'cpu' ? DEFAULT_CPU_TARGET : undefined;
  if (targetE !== undefined) target = readTarget(r, targetE, metric, cores);
  else if (metric !== 'cpu')
    r.fail(
      slot,
      `"scale" with metric ${metric} needs a "target"`,
      metric === 'connections'
        ? 'write the connections per instance, e.g. `target: 100`'
        : 'write the p95 latency to hold, e.g. `target: 200ms`',
    );
  const cooldownMs = (t.get('cooldown') && r.duration(t.get('cooldown')!)) ?? undefined;
  const windowMs =
    (t.get('window') && r.duration(t.get('window')!, { positive: true })) ?? undefined;
  if (min === undefined || max === undefined || target === undefined) return undefined;
  return {
    min,
    max: Math.max(min, max),
    metric,
    target,
    cooldownMs: cooldownMs ?? DEFAULT_SCALE_COOLDOWN_MS,
    windowMs: windowMs ?? DEFAULT_SCALE_WINDOW_MS,
  };
}

function readTarget(
  r: Reader,
  slot: Slot,
  metric: ScaleSpec['metric'],
  cores: number,
): number | undefined {
  const v = r.value(slot);
  switch (metric) {
    case 'cpu': {
      const max = 100 * cores;
      const m = typeof v === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v) : null;
      const pct = typeof v === 'number' ? v : m ? Number(m[1]) : undefined;
      if (pct === undefined || !(pct > 0) || pct > max)
        return r.fail(
          slot,
          `the cpu target must be a percentage above 0 and at most ${max}%, not ${r.describe(slot.node)}`,
          'write e.g. `target: 70%`',
        );
      return pct;
    }
    case 'connections': {
      if (typeof v !== 'number' || !(v > 0))
        return r.expected(slot, 'a number of connections per instance above 0');
      return v;
    }
    case 'latency_p95':
      return r.duration(slot, { positive: true });
  }
}

function readBalance(
  r: Reader,
  slot: Entry,
  replicas: number | undefined,
  scaled: boolean,
): BalanceSpec | undefined {
  const t = r.table(slot, { known: BALANCE_KEYS, what: 'balance' });
  if (t === null) return undefined;
  const written =
    (t.get('strategy') && r.oneOf(t.get('strategy')!, BALANCE_STRATEGIES)) ?? 'round_robin';
  // Round robin with weights is a weighted round robin, as in the common proxies: the spec's own
  // example writes it that way.
  const strategy =
    written === 'round_robin' && t.get('weights') !== undefined ? 'weighted' : written;
  const mode = (t.get('mode') && r.oneOf(t.get('mode')!, BALANCE_MODES)) ?? 'http';
  const wE = t.get('weights');
  let weights: number[] | undefined;
  if (wE !== undefined) {
    if (strategy !== 'weighted') {
      r.fail(
        wE,
        `"weights" is only used with strategy weighted or round_robin, not ${strategy}`,
        'set `strategy: weighted` (or `round_robin`) or remove `weights`',
      );
    } else if (scaled) {
      r.fail(
        wE,
        '"weights" needs a fixed instance count, but the service scales',
        'use `replicas: N` instead of `scale`, or another strategy',
      );
    } else {
      const items = r.items(wE, 'a list of weights') ?? [];
      const ws = items.map((i) => r.int(i, 1, 1000));
      if (ws.every((w) => w !== undefined)) {
        weights = ws as number[];
        const n = replicas ?? 1;
        if (weights.length !== n)
          r.fail(
            wE,
            `"weights" lists ${weights.length} weight${weights.length === 1 ? '' : 's'} for ${n} instance${n === 1 ? '' : 's'}`,
            `give one weight per instance (${n})`,
          );
      }
    }
  } else if (strategy === 'weighted') {
    r.fail(
      t.get('strategy')!,
      'strategy weighted needs "weights"',
      'add `weights: [3, 1, 1]`, one per instance',
    );
  }
  const hostE = t.get('host');
  const host = hostE && r.string(hostE, { nonEmpty: true })?.trim();
  if (host !== undefined && net.isIP(host) === 0 && host !== 'localhost')
    r.fail(
      hostE!,
      `"host" ${JSON.stringify(host)} is not an IP address`,
      'write 127.0.0.1 (the default), 0.0.0.0 to listen on every interface, or an address of this machine',
    );
  return {
    strategy,
    mode,
    ...(weights !== undefined ? { weights } : {}),
    ...(host !== undefined ? { host } : {}),
  };
}

function readFailover(r: Reader, slot: Entry, name: string): FailoverSpec | undefined {
  const t = r.table(slot, { known: FAILOVER_KEYS, what: 'failover' });
  if (t === null) return undefined;
  const b = t.get('backup');
  if (b === undefined) {
    r.fail(
      slot,
      '"failover" needs a "backup" service',
      'add `backup: NAME` of the service that stands in',
    );
    return undefined;
  }
  const backup = r.string(b, { nonEmpty: true });
  if (backup === undefined) return undefined;
  if (backup === name) {
    r.fail(b, `service "${name}" cannot be its own failover backup`, 'name another service');
    return undefined;
  }
  const f = t.get('failback_after');
  return { backup, failbackAfterMs: (f && r.duration(f)) ?? DEFAULT_FAILBACK_AFTER_MS };
}

export interface ReplicaCheckInput {
  readonly name: string;
  readonly port?: number;
  readonly ports?: readonly number[];
  readonly failover?: FailoverSpec;
  readonly keyPos: Position;
  readonly path: string;
  readonly replica: ReplicaDraft;
}

/** Instance ports clashing with other services' ports, unknown backups, backup cycles. */
export function checkReplicas(list: readonly ReplicaCheckInput[], issues: IssueList): void {
  const owner = new Map<number, string>();
  for (const s of list) if (s.port !== undefined) owner.set(s.port, s.name);
  for (const s of list) {
    if (s.ports === undefined || s.replica.ports === undefined) continue;
    for (const p of s.ports) {
      const other = owner.get(p);
      if (other !== undefined && other !== s.name) {
        issues.error(
          'STACK_INVALID',
          `instance port ${p} of service "${s.name}" is already used by service "${other}"`,
          s.replica.ports.pos,
          s.replica.ports.path,
          'choose ports no other service declares',
        );
        break;
      }
    }
    for (const p of s.ports) if (!owner.has(p)) owner.set(p, s.name);
  }
  const byName = new Map(list.map((s) => [s.name, s]));
  const names = [...byName.keys()];
  for (const s of list) {
    const backup = s.failover?.backup;
    const at = s.replica.backup;
    if (backup === undefined || at === undefined) continue;
    if (!byName.has(backup)) {
      issues.error(
        'STACK_INVALID',
        `failover backup "${backup}" of service "${s.name}" is not defined in this stack`,
        at.pos,
        at.path,
        suggestion(backup, names, 'defined services'),
      );
      continue;
    }
    const chain = [s.name];
    let cur: string | undefined = backup;
    while (cur !== undefined && !chain.includes(cur)) {
      chain.push(cur);
      cur = byName.get(cur)?.failover?.backup;
    }
    if (cur === s.name)
      issues.error(
        'STACK_CYCLE',
        `failover cycle ${[...chain, s.name].join(' -> ')}: each would hand traffic to the other`,
        at.pos,
        at.path,
        'remove `failover` from one of them',
      );
  }
}
