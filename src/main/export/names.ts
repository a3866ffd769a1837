/**
 * Names and label values as Kubernetes accepts them, and the rewrite of loopback addresses: a
 * stack on one machine reaches `db` at 127.0.0.1:5433, a cluster or a Compose network at db:5433.
 */
import type { ServiceSpec } from '../../shared/model.js';

/** A DNS-1035 label (Service names): lowercase letters, digits and "-", starting with a letter. */
export function dnsLabel(name: string, max = 63): string {
  let s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!/^[a-z]/.test(s)) s = `s-${s}`;
  s = s.slice(0, max).replace(/-+$/g, '');
  return s === '' || s === 's' ? 'vigil' : s;
}

/** Kubernetes names for every service, unique, in stack order. */
export function objectNames(services: readonly ServiceSpec[]): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const s of services) {
    const base = dnsLabel(s.name, 50);
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
    used.add(name);
    out.set(s.name, name);
  }
  return out;
}

const LABEL_VALUE_RE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export function isLabelValue(v: string): boolean {
  return LABEL_VALUE_RE.test(v);
}

/** A label value from any text: disallowed characters become "-", at most 63 characters. */
export function labelValue(v: string): string {
  const s = v
    .replace(/[^-A-Za-z0-9_.]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return s;
}

export interface Rewrite {
  readonly text: string;
  /** `127.0.0.1:7301 -> db:7301` for each change. */
  readonly changes: readonly string[];
}

const LOOPBACK_RE = /\b(127\.0\.0\.1|localhost|0\.0\.0\.0):(\d{1,5})\b/g;

/** Replaces loopback addresses of other services' declared ports by their host names. */
export function rewriteLoopback(text: string, hostByPort: ReadonlyMap<number, string>): Rewrite {
  const changes: string[] = [];
  const out = text.replace(LOOPBACK_RE, (all, _host: string, port: string) => {
    const host = hostByPort.get(Number(port));
    if (host === undefined) return all;
    const to = `${host}:${port}`;
    const change = `${all} -> ${to}`;
    if (!changes.includes(change)) changes.push(change);
    return to;
  });
  return { text: out, changes };
}

/** Declared port -> host name (the Kubernetes Service or Compose service). */
export function hostsByPort(
  services: readonly ServiceSpec[],
  nameOf: (s: ServiceSpec) => string,
): ReadonlyMap<number, string> {
  const m = new Map<number, string>();
  for (const s of services) if (s.port !== undefined && !s.oneshot) m.set(s.port, nameOf(s));
  return m;
}

/** Whole seconds, at least 1, rounded up; `rounded` when that changed the value. */
export function seconds(ms: number): { value: number; rounded: boolean } {
  const value = Math.max(1, Math.ceil(ms / 1000));
  return { value, rounded: value * 1000 !== ms };
}

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
