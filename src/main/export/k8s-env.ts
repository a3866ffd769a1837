/**
 * A service's environment in Kubernetes: each env file becomes one ConfigMap (and one Secret for
 * its secret-looking keys), shared by every service that reads it; the keys a service sets itself
 * (or that differ from its files) go into the container's `env`, secret ones through a Secret.
 */
import path from 'node:path';
import type { ServiceSpec } from '../../shared/model.js';
import { isSecretEnvKey } from '../core/config/env.js';
import { dnsLabel, rewriteLoopback } from './names.js';
import type { EnvFileReader } from './types.js';

export interface EnvSource {
  /** Absolute path of the env file. */
  readonly file: string;
  /** Relative to the stack folder, for comments. */
  readonly shown: string;
  readonly configMap: string;
  readonly secret: string;
  readonly data: Readonly<Record<string, string>>;
  readonly secretData: Readonly<Record<string, string>>;
  readonly rewrites: readonly string[];
}

export interface ServiceEnv {
  readonly envFrom: readonly Record<string, unknown>[];
  readonly env: readonly Record<string, unknown>[];
  /** The service's own Secret (secret-looking keys it sets itself), when it has any. */
  readonly secret?: { readonly name: string; readonly data: Readonly<Record<string, string>> };
  readonly notes: readonly string[];
}

/** Every env file of the stack, once, with names that do not clash. */
export function envSources(
  services: readonly ServiceSpec[],
  dir: string,
  stack: string,
  read: EnvFileReader,
  hostByPort: ReadonlyMap<number, string>,
): ReadonlyMap<string, EnvSource> {
  const out = new Map<string, EnvSource>();
  const used = new Set<string>();
  for (const s of services)
    for (const file of s.envFileList ?? []) {
      if (out.has(file)) continue;
      const shown = path.relative(dir, file) || path.basename(file);
      const base = dnsLabel(`${stack}-env-${shown.replace(/^\.+/, '')}`, 55);
      let name = base;
      for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
      used.add(name);
      const vars = read(file) ?? new Map<string, string>();
      const data: Record<string, string> = {};
      const secretData: Record<string, string> = {};
      const rewrites: string[] = [];
      for (const [k, v] of [...vars].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const rw = rewriteLoopback(v, hostByPort);
        rewrites.push(...rw.changes.map((c) => `${k}: ${c}`));
        (isSecretEnvKey(k) ? secretData : data)[k] = rw.text;
      }
      out.set(file, {
        file,
        shown,
        configMap: name,
        secret: `${name}-secret`,
        data,
        secretData,
        rewrites,
      });
    }
  return out;
}

export function serviceEnv(
  s: ServiceSpec,
  objectName: string,
  sources: ReadonlyMap<string, EnvSource>,
  hostByPort: ReadonlyMap<number, string>,
): ServiceEnv {
  const notes: string[] = [];
  const envFrom: Record<string, unknown>[] = [];
  const fromFiles = new Map<string, string>();
  for (const file of s.envFileList ?? []) {
    const src = sources.get(file);
    if (src === undefined) continue;
    if (Object.keys(src.data).length > 0) envFrom.push({ configMapRef: { name: src.configMap } });
    if (Object.keys(src.secretData).length > 0) envFrom.push({ secretRef: { name: src.secret } });
    for (const [k, v] of Object.entries(src.data)) fromFiles.set(k, v);
    for (const [k, v] of Object.entries(src.secretData)) fromFiles.set(k, v);
  }
  const env: Record<string, unknown>[] = [];
  const secret: Record<string, string> = {};
  const secretName = `${objectName}-env`;
  const keys = Object.keys(s.env).sort();
  const wanted = new Map<string, string>();
  for (const k of keys) wanted.set(k, s.env[k]!);
  if (s.port !== undefined && !wanted.has('PORT')) wanted.set('PORT', String(s.port));
  for (const [k, raw] of wanted) {
    const rw = rewriteLoopback(raw, hostByPort);
    if (fromFiles.get(k) === rw.text) continue;
    notes.push(...rw.changes.map((c) => `env ${k}: ${c}`));
    if (isSecretEnvKey(k)) {
      secret[k] = rw.text;
      env.push({ name: k, valueFrom: { secretKeyRef: { name: secretName, key: k } } });
    } else env.push({ name: k, value: rw.text });
  }
  return {
    envFrom,
    env,
    ...(Object.keys(secret).length > 0 ? { secret: { name: secretName, data: secret } } : {}),
    notes,
  };
}
