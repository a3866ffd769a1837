/**
 * `vigil export kubernetes` as a pure function: a StackConfig in, Kubernetes objects, YAML files
 * with comments and the notes out. Deployment per long-running service, Job per oneshot, Service
 * per declared port, HPA from `scale`, PodDisruptionBudget from `min_ready`, ConfigMaps and
 * Secrets from env files and env, init containers for dependency order.
 */
import type { ServiceSpec, StackConfig } from '../../shared/model.js';
import { envSources, serviceEnv, type EnvSource } from './k8s-env.js';
import { dependencyWaits, WAITER_ACCOUNT, type Wait } from './k8s-waits.js';
import { serviceNotes, stackNotes } from './k8s-notes.js';
import {
  dnsLabel,
  hostsByPort,
  isLabelValue,
  labelValue,
  objectNames,
  rewriteLoopback,
  seconds,
} from './names.js';
import { argvOf, k8sProbes } from './probes.js';
import { renderDocuments, type Doc } from './render.js';
import type { EnvFileReader, ExportFile, ExportNote, ExportObject, ExportResult } from './types.js';

export interface KubernetesOptions {
  /** Defaults to the stack's name. */
  readonly namespace?: string;
  /** Images by Vigil service name; they win over the services' `image:`. */
  readonly images?: Readonly<Record<string, string>>;
  readonly readEnvFile: EnvFileReader;
}

type Obj = Record<string, unknown>;

export function exportKubernetes(config: StackConfig, opts: KubernetesOptions): ExportResult {
  const stack = labelValue(config.name) || 'stack';
  const namespace = opts.namespace ?? dnsLabel(config.name);
  const names = objectNames(config.services);
  const nameOf = (s: ServiceSpec): string => names.get(s.name)!;
  const hostByPort = hostsByPort(config.services, nameOf);
  const byName = new Map(config.services.map((s) => [s.name, s]));
  const notes: ExportNote[] = [];
  const files: { path: string; docs: Doc[] }[] = [];
  const note = (service: string | undefined, topic: ExportNote['topic'], message: string): void => {
    notes.push({ ...(service !== undefined ? { service } : {}), topic, message });
  };

  for (const m of stackNotes(config)) note(undefined, m.topic, m.message);
  files.push({
    path: 'namespace.yaml',
    docs: [
      {
        object: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace, labels: { app: stack } },
        },
      },
    ],
  });

  // env files: one ConfigMap (and Secret) each, shared
  const sources = envSources(
    config.services,
    config.dir,
    dnsLabel(config.name, 30),
    opts.readEnvFile,
    hostByPort,
  );
  const envDocs: Doc[] = [];
  for (const src of sources.values()) envDocs.push(...envFileDocs(src, stack, note));
  if (envDocs.length > 0) files.push({ path: 'env-files.yaml', docs: envDocs });

  let needsWaiter = false;
  for (const s of config.services) {
    const name = nameOf(s);
    const svcNotes: string[] = [];
    const push = (topic: ExportNote['topic'], message: string): void => {
      note(s.name, topic, message);
      svcNotes.push(message);
    };
    if (name !== s.name)
      push('key', `named "${name}" in Kubernetes (names there allow only a-z, 0-9 and "-")`);
    const image = opts.images?.[s.name] ?? s.image;
    if (image === undefined)
      push(
        'image',
        `no image: set \`image:\` on services.${s.name} or pass --image ${s.name}=IMAGE; the manifest has image "" so that the API server rejects it`,
      );

    const labels = podLabels(s, name, stack);
    const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': stack };
    const annotations = serviceAnnotations(s, config);

    const env = serviceEnv(s, name, sources, hostByPort);
    for (const n of env.notes) push('network', n);
    const cmd = argvOf(s.command).map((a) => {
      const rw = rewriteLoopback(a, hostByPort);
      for (const c of rw.changes) push('network', `command: ${c}`);
      return rw.text;
    });
    const probes = s.oneshot ? undefined : k8sProbes(s.health, s.liveness, s.startupTimeoutMs);
    for (const n of probes?.notes ?? []) push('probe', n);
    if (s.oneshot && s.health.probe.type !== 'process' && s.health.probe.type !== 'default')
      push(
        'probe',
        `the ${s.health.probe.type} health check of a oneshot is not exported: a Job is done when it exits 0`,
      );

    const waits = dependencyWaits(s, byName, nameOf);
    for (const w of waits) {
      if (w.changed) push('dependency', w.note);
      else svcNotes.push(w.note);
    }
    const initContainers = waits
      .filter((w): w is Wait & { container: Obj } => w.container !== undefined)
      .map((w) => w.container);
    const usesKubectl = waits.some((w) => w.needsAccount);
    if (usesKubectl) needsWaiter = true;

    for (const m of serviceNotes(s, config)) push(m.topic, m.message);

    const ports = containerPorts(s);
    const container: Obj = {
      name,
      image: image ?? '',
      command: cmd,
      ...(ports.length > 0 ? { ports } : {}),
      ...(env.envFrom.length > 0 ? { envFrom: env.envFrom } : {}),
      ...(env.env.length > 0 ? { env: env.env } : {}),
      ...resources(s),
      ...(probes?.startupProbe ? { startupProbe: probes.startupProbe } : {}),
      ...(probes?.readinessProbe ? { readinessProbe: probes.readinessProbe } : {}),
      ...(probes?.livenessProbe ? { livenessProbe: probes.livenessProbe } : {}),
    };
    const podSpec: Obj = {
      ...(usesKubectl ? { serviceAccountName: WAITER_ACCOUNT } : {}),
      terminationGracePeriodSeconds: seconds(s.stop.timeoutMs).value,
      ...(s.oneshot ? { restartPolicy: s.restart.policy === 'never' ? 'Never' : 'OnFailure' } : {}),
      ...(initContainers.length > 0 ? { initContainers } : {}),
      containers: [container],
    };
    const template = { metadata: { labels, annotations }, spec: podSpec };
    const meta = { name, labels, annotations };
    const docs: Doc[] = [];
    if (env.secret !== undefined) {
      docs.push({
        object: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: env.secret.name, labels },
          type: 'Opaque',
          stringData: env.secret.data,
        },
        comment: `Secret-looking env of ${s.name}, in plain text: keep this file out of version control`,
      });
      push(
        'secret',
        `env ${Object.keys(env.secret.data).join(', ')} look${Object.keys(env.secret.data).length === 1 ? 's' : ''} secret: written to Secret ${env.secret.name} in plain text; keep the folder out of version control or use your secret store`,
      );
    }
    const workload: Obj = s.oneshot
      ? {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: meta,
          spec: { backoffLimit: s.maxRestartAttempts, template },
        }
      : {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: meta,
          spec: {
            ...(s.scale === undefined ? { replicas: s.replicas ?? 1 } : {}),
            selector: { matchLabels: selector },
            template,
          },
        };
    docs.push({
      object: workload,
      comment: [
        `${s.oneshot ? 'Job' : 'Deployment'} for services.${s.name}${s.source ? ` (${base(config.file)}:${s.source.line})` : ''}`,
        ...svcNotes.map((n) => `- ${n}`),
      ].join('\n'),
      ...(image === undefined
        ? {
            fieldComments: [
              {
                path: IMAGE_PATH,
                comment: 'NO IMAGE: set one (see above); the API server rejects ""',
              },
            ],
          }
        : {}),
    });
    if (s.port !== undefined && !s.oneshot) {
      docs.push({
        object: {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name, labels, annotations: { 'vigil/service': s.name } },
          spec: {
            selector,
            ports: [{ name: 'main', port: s.port, targetPort: s.port, protocol: 'TCP' }],
            ...(s.balance?.strategy === 'ip_hash' ? { sessionAffinity: 'ClientIP' } : {}),
          },
        },
      });
    }
    if (s.minReady !== undefined && !s.oneshot)
      docs.push({
        object: {
          apiVersion: 'policy/v1',
          kind: 'PodDisruptionBudget',
          metadata: { name, labels },
          spec: { minAvailable: s.minReady, selector: { matchLabels: selector } },
        },
        comment: `min_ready: ${s.minReady}: voluntary disruptions keep at least this many pods`,
      });
    if (s.scale !== undefined && !s.oneshot)
      docs.push({ object: hpa(s, name, labels), comment: hpaComment(s) });
    files.push({ path: `${name}.yaml`, docs });
  }

  if (needsWaiter) files.splice(1, 0, { path: 'rbac.yaml', docs: waiterRbac(stack, namespace) });

  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace,
    resources: files.map((f) => f.path),
  };
  const header = [
    `Kubernetes manifests of the stack "${config.name}", written by \`vigil export kubernetes\` from ${base(config.file)}.`,
    `Apply with: kubectl apply -k .`,
    ...(notes.length > 0
      ? [
          '',
          'What does not carry over as it is (also in each file):',
          ...notes.map((n) => `- ${n.service ?? 'stack'}: ${n.message}`),
        ]
      : []),
  ].join('\n');
  const out: ExportFile[] = [
    {
      path: 'kustomization.yaml',
      text: renderDocuments([{ object: kustomization, comment: header }]),
    },
  ];
  const objects: ExportObject[] = [];
  for (const f of files) {
    out.push({
      path: f.path,
      text: `# Part of the stack "${config.name}", written by \`vigil export kubernetes\`; see kustomization.yaml.\n${renderDocuments(f.docs)}`,
    });
    for (const d of f.docs) objects.push({ file: f.path, object: d.object });
  }
  return { files: out, objects, notes };
}

function base(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

const IMAGE_PATH = ['spec', 'template', 'spec', 'containers', 0, 'image'] as const;

function envFileDocs(
  src: EnvSource,
  stack: string,
  note: (s: string | undefined, t: ExportNote['topic'], m: string) => void,
): Doc[] {
  const labels = {
    app: stack,
    'app.kubernetes.io/part-of': stack,
    'app.kubernetes.io/managed-by': 'vigil',
  };
  const docs: Doc[] = [];
  for (const r of src.rewrites) note(undefined, 'network', `${src.shown}: ${r}`);
  if (Object.keys(src.data).length > 0)
    docs.push({
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: src.configMap, labels, annotations: { 'vigil/env-file': src.shown } },
        data: src.data,
      },
      comment: `env_file ${src.shown}`,
    });
  const secretKeys = Object.keys(src.secretData);
  if (secretKeys.length > 0) {
    note(
      undefined,
      'secret',
      `${src.shown}: ${secretKeys.join(', ')} look${secretKeys.length === 1 ? 's' : ''} secret: written to Secret ${src.secret} in plain text; keep the folder out of version control or use your secret store`,
    );
    docs.push({
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: src.secret, labels, annotations: { 'vigil/env-file': src.shown } },
        type: 'Opaque',
        stringData: src.secretData,
      },
      comment: `Secret-looking keys of env_file ${src.shown}, in plain text: keep this file out of version control`,
    });
  }
  return docs;
}

function podLabels(s: ServiceSpec, name: string, stack: string): Record<string, string> {
  return {
    app: stack,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/part-of': stack,
    'app.kubernetes.io/managed-by': 'vigil',
    'app.kubernetes.io/component': s.oneshot ? 'job' : 'service',
    ...(s.version !== undefined && s.version !== '' && isLabelValue(s.version)
      ? { 'app.kubernetes.io/version': s.version }
      : {}),
    'vigil/priority': s.priority,
    'vigil/required': String(s.required),
  };
}

function serviceAnnotations(s: ServiceSpec, config: StackConfig): Record<string, string> {
  return {
    'vigil/service': s.name,
    ...(s.version !== undefined && s.version !== '' ? { 'vigil/version': s.version } : {}),
    ...(s.capabilities.length > 0 ? { 'vigil/capabilities': s.capabilities.join(',') } : {}),
    ...(s.dependsOn.length > 0
      ? {
          'vigil/depends-on': s.dependsOn
            .map((d) => `${d.name}:${d.condition}${d.optional ? ':optional' : ''}`)
            .join(','),
        }
      : {}),
    ...(s.source
      ? { 'vigil/source': `${base(config.file)}:${s.source.line}:${s.source.col}` }
      : {}),
  };
}

function containerPorts(s: ServiceSpec): Obj[] {
  const ports = new Set<number>();
  if (s.port !== undefined) ports.add(s.port);
  for (const p of [s.health.probe, s.liveness?.probe])
    if (p !== undefined && (p.type === 'http' || p.type === 'tcp' || p.type === 'default'))
      ports.add(p.port);
  return [...ports].map((containerPort) => ({ containerPort, protocol: 'TCP' }));
}

/** limits -> limits and requests alike (the pod gets what Vigil allowed, no more, no less). */
function resources(s: ServiceSpec): { resources?: Obj } {
  const q: Record<string, string> = {};
  if (s.limits.memoryBytes !== undefined) q.memory = memoryQuantity(s.limits.memoryBytes);
  if (s.limits.cpuPercent !== undefined)
    q.cpu = `${Math.max(1, Math.round(s.limits.cpuPercent * 10))}m`;
  return Object.keys(q).length === 0 ? {} : { resources: { limits: q, requests: { ...q } } };
}

export function memoryQuantity(bytes: number): string {
  for (const [unit, size] of [
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const)
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

function hpa(s: ServiceSpec, name: string, labels: Record<string, string>): Obj {
  const sc = s.scale!;
  const metric =
    sc.metric === 'cpu'
      ? {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'AverageValue', averageValue: `${Math.round(sc.target * 10)}m` },
          },
        }
      : {
          type: 'Pods',
          pods: {
            metric: {
              name: sc.metric === 'connections' ? 'vigil_connections' : 'vigil_latency_p95_ms',
            },
            target: { type: 'AverageValue', averageValue: String(sc.target) },
          },
        };
  const window = Math.min(3600, seconds(sc.cooldownMs).value);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, labels },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: sc.min,
      maxReplicas: sc.max,
      metrics: [metric],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: window },
        scaleDown: { stabilizationWindowSeconds: window },
      },
    },
  };
}

function hpaComment(s: ServiceSpec): string {
  const sc = s.scale!;
  return [
    `scale: ${sc.min}..${sc.max} on ${sc.metric}; the Deployment leaves replicas to this autoscaler`,
    sc.metric === 'cpu'
      ? `cpu target ${sc.target}% of one core = ${Math.round(sc.target * 10)}m per pod`
      : `needs a metrics adapter serving the pod metric ${sc.metric === 'connections' ? 'vigil_connections' : 'vigil_latency_p95_ms'}`,
    `cooldown -> stabilizationWindowSeconds; window is the metrics pipeline's own`,
  ].join('\n');
}

function waiterRbac(stack: string, namespace: string): Doc[] {
  const labels = {
    app: stack,
    'app.kubernetes.io/part-of': stack,
    'app.kubernetes.io/managed-by': 'vigil',
  };
  const meta = { name: WAITER_ACCOUNT, labels };
  return [
    {
      object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta },
      comment: 'Lets init containers wait for Jobs (dependencies with condition completed)',
    },
    {
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: meta,
        rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] }],
      },
    },
    {
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta,
        subjects: [{ kind: 'ServiceAccount', name: WAITER_ACCOUNT, namespace }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: WAITER_ACCOUNT },
      },
    },
  ];
}
