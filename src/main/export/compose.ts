/**
 * `vigil export compose` as a pure function: one Compose file with health checks, `depends_on`
 * conditions, restart policies, resource limits and replicas, and the notes of what changes.
 * Env files stay files (referenced relative to the Compose file), so a shared file appears once.
 */
import path from 'node:path';
import type { DependencySpec, ServiceSpec, StackConfig } from '../../shared/model.js';
import { isSecretEnvKey } from '../core/config/env.js';
import { serviceNotes, stackNotes } from './k8s-notes.js';
import { formatMs, hostsByPort, rewriteLoopback } from './names.js';
import { argvOf, composeHealthcheck } from './probes.js';
import { renderDocuments } from './render.js';
import type { EnvFileReader, ExportNote, ExportResult } from './types.js';

export interface ComposeOptions {
  /** Folder the Compose file is written to: env_file paths are made relative to it. */
  readonly outDir: string;
  /** File name written in the result. */
  readonly fileName?: string;
  readonly images?: Readonly<Record<string, string>>;
  readonly readEnvFile: EnvFileReader;
}

type Obj = Record<string, unknown>;

export function exportCompose(config: StackConfig, opts: ComposeOptions): ExportResult {
  const notes: ExportNote[] = stackNotes(config).map((m) => ({
    topic: m.topic,
    message: m.message,
  }));
  const hostByPort = hostsByPort(config.services, (s) => s.name);
  const byName = new Map(config.services.map((s) => [s.name, s]));
  const services: Record<string, Obj> = {};
  const comments: { path: (string | number)[]; comment: string }[] = [];
  for (const s of config.services) {
    const push = (topic: ExportNote['topic'], message: string): void => {
      notes.push({ service: s.name, topic, message });
    };
    const image = opts.images?.[s.name] ?? s.image;
    if (image === undefined) {
      push(
        'image',
        `no image: set \`image:\` on services.${s.name} or pass --image ${s.name}=IMAGE (or add a build: section)`,
      );
      comments.push({
        path: ['services', s.name, 'image'],
        comment: 'NO IMAGE: set one; Compose refuses ""',
      });
    }
    const command = argvOf(s.command).map((a) => {
      const rw = rewriteLoopback(a, hostByPort);
      for (const c of rw.changes) push('network', `command: ${c}`);
      return rw.text;
    });
    // env files are referenced as they are; the values Vigil would pass that differ are set here
    const secrets = new Set<string>();
    const fileVars = new Map<string, string>();
    for (const f of s.envFileList ?? [])
      for (const [k, v] of opts.readEnvFile(f) ?? []) {
        fileVars.set(k, v);
        if (isSecretEnvKey(k)) secrets.add(k);
      }
    const envFiles = (s.envFileList ?? []).map((f) =>
      path.relative(opts.outDir, f).split(path.sep).join('/'),
    );
    const environment: Record<string, string> = {};
    const wanted: [string, string][] = Object.keys(s.env)
      .sort()
      .map((k) => [k, s.env[k]!]);
    if (s.port !== undefined && s.env.PORT === undefined) wanted.push(['PORT', String(s.port)]);
    for (const [k, v] of wanted) {
      const rw = rewriteLoopback(v, hostByPort);
      for (const c of rw.changes) push('network', `env ${k}: ${c}`);
      if (fileVars.get(k) === rw.text) continue;
      environment[k] = rw.text;
      if (isSecretEnvKey(k)) secrets.add(k);
    }
    if (secrets.size > 0)
      push(
        'secret',
        `env ${[...secrets].join(', ')} look${secrets.size === 1 ? 's' : ''} secret and stay${secrets.size === 1 ? 's' : ''} in plain text (in the Compose file or its env files); keep them out of version control or use Compose secrets`,
      );

    const health = s.oneshot ? { notes: [] } : composeHealthcheck(s.health);
    for (const n of health.notes) push('probe', n);
    const dependsOn: Record<string, Obj> = {};
    for (const d of s.dependsOn) {
      const cond = composeCondition(d, byName.get(d.name)!);
      if (cond.note) push('dependency', `depends_on ${d.name} (${d.condition}): ${cond.note}`);
      dependsOn[d.name] = { condition: cond.condition, ...(d.optional ? { required: false } : {}) };
      if (d.optional)
        push(
          'dependency',
          `depends_on ${d.name} is optional -> required: false (Compose still waits for it when it is defined)`,
        );
    }
    for (const m of serviceNotes(s, config, 'compose')) push(m.topic, m.message);

    const many = (s.replicas ?? 1) > 1 || s.scale !== undefined;
    const ports: string[] = [];
    if (s.port !== undefined && !s.oneshot) {
      if (many)
        push(
          'replicas',
          `port ${s.port} is exposed, not published: replicas cannot share one host port`,
        );
      else ports.push(`127.0.0.1:${s.port}:${s.port}`);
    }
    const limits: Obj = {};
    if (s.limits.memoryBytes !== undefined) limits.memory = `${s.limits.memoryBytes}b`;
    if (s.limits.cpuPercent !== undefined) limits.cpus = String(s.limits.cpuPercent / 100);
    const labels: Record<string, string> = {
      'vigil.service': s.name,
      'vigil.priority': s.priority,
      'vigil.required': String(s.required),
      ...(s.version ? { 'vigil.version': s.version } : {}),
      ...(s.capabilities.length > 0 ? { 'vigil.capabilities': s.capabilities.join(',') } : {}),
    };
    services[s.name] = {
      image: image ?? '',
      command,
      ...(envFiles.length > 0 ? { env_file: envFiles } : {}),
      ...(Object.keys(environment).length > 0 ? { environment } : {}),
      ...(ports.length > 0 ? { ports } : {}),
      ...(many && s.port !== undefined ? { expose: [String(s.port)] } : {}),
      ...(health.healthcheck !== undefined ? { healthcheck: health.healthcheck } : {}),
      ...(Object.keys(dependsOn).length > 0 ? { depends_on: dependsOn } : {}),
      restart: restartOf(s),
      stop_signal: s.stop.signal,
      stop_grace_period: formatMs(s.stop.timeoutMs),
      ...(many || Object.keys(limits).length > 0
        ? {
            deploy: {
              ...(many ? { replicas: s.replicas ?? 1 } : {}),
              ...(Object.keys(limits).length > 0 ? { resources: { limits } } : {}),
            },
          }
        : {}),
      labels,
    };
  }
  const header = [
    `Compose file of the stack "${config.name}", written by \`vigil export compose\` from ${path.basename(config.file)}.`,
    'Run with: docker compose up',
    ...(notes.length > 0
      ? [
          '',
          'What does not carry over as it is:',
          ...notes.map((n) => `- ${n.service ?? 'stack'}: ${n.message}`),
        ]
      : []),
  ].join('\n');
  const object = { name: composeName(config.name), services };
  const fileName = opts.fileName ?? 'compose.yaml';
  return {
    files: [
      {
        path: fileName,
        text: renderDocuments([{ object, comment: header, fieldComments: comments }]),
      },
    ],
    objects: [{ file: fileName, object }],
    notes,
  };
}

/** Compose project names: lowercase letters, digits, "-" and "_", starting with a letter or digit. */
function composeName(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '');
  return s === '' ? 'stack' : s;
}

function restartOf(s: ServiceSpec): string {
  switch (s.restart.policy) {
    case 'always':
      return s.oneshot ? `on-failure:${s.maxRestartAttempts}` : 'unless-stopped';
    case 'on-failure':
      return `on-failure:${s.maxRestartAttempts}`;
    case 'never':
      return 'no';
  }
}

function composeCondition(
  d: DependencySpec,
  target: ServiceSpec,
): { condition: string; note?: string } {
  if (d.condition === 'completed') return { condition: 'service_completed_successfully' };
  if (d.condition === 'started') return { condition: 'service_started' };
  if (target.oneshot)
    return {
      condition: 'service_completed_successfully',
      note: `${d.name} is a oneshot: waits for it to exit 0`,
    };
  const p = target.health.probe.type;
  if (p === 'log' || p === 'process')
    return {
      condition: 'service_started',
      note: `${d.name} has no Compose healthcheck (its ${p} probe), so "healthy" becomes "started"`,
    };
  return { condition: 'service_healthy' };
}
