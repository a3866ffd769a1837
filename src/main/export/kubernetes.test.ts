import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { exportKubernetes } from './kubernetes.js';
import { writeExport, readEnvFileFromDisk } from './write.js';
import { exampleStacks, kubernetesProblems, loadOk, tempStack } from './testing/support.js';
import type { ExportResult } from './types.js';

/** A stack with the edge cases: oneshot chain, optional deps, replicas with scale, exec probes, no port, secrets. */
const EDGE = `version: 1
name: Edge Stack
env_file: shared.env
settings: { on_critical: shutdown }
services:
  db:
    command: [postgres, -D, /data]
    port: 5432
    image: postgres:17
    health:
      exec: pg_isready -h 127.0.0.1
      interval: 500ms
    limits: { memory: 512MB, cpu: 150% }
    stop: { signal: SIGINT, timeout: 20s }
  schema:
    command: node migrate.js
    oneshot: true
    depends_on: { db: healthy }
  seed:
    command: node seed.js
    oneshot: true
    env_file: seed.env
    depends_on: { schema: completed }
  api_v2:
    command: node api.js --db 127.0.0.1:5432
    port: 3000
    scale: { min: 2, max: 6, metric: cpu, target: 60%, cooldown: 90s }
    min_ready: 2
    balance: { strategy: ip_hash, mode: tcp }
    failover: { backup: stub }
    liveness: { http: { path: /live }, interval: 10s, failure_threshold: 5 }
    env:
      API_TOKEN: s3cret
      MODE: prod
    depends_on:
      db: healthy
      seed: completed
      worker: { condition: started, optional: true }
      queue: started
  stub:
    command: node stub.js
    port: 3100
    replicas: 3
    balance: { strategy: weighted, weights: [3, 1, 1] }
  worker:
    command: node worker.js
    health:
      log: ready
  queue:
    command: node queue.js
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function edge(): { dir: string; result: ExportResult } {
  const dir = tempStack({
    'vigil.yaml': EDGE,
    'shared.env': 'LOG_LEVEL=info\nDB_PASSWORD=hunter2\n',
    'seed.env': 'SEED_URL=http://localhost:5432/x\n',
  });
  dirs.push(dir);
  const config = loadOk(path.join(dir, 'vigil.yaml'));
  return { dir, result: exportKubernetes(config, { readEnvFile: readEnvFileFromDisk }) };
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const find = (r: ExportResult, kind: string, name: string): Obj => {
  const o = r.objects.find(
    (x) => x.object.kind === kind && (x.object.metadata as Obj).name === name,
  );
  if (o === undefined) throw new Error(`no ${kind}/${name}`);
  return o.object as Obj;
};
const container = (o: Obj): Obj => o.spec.template.spec.containers[0];

describe('every generated object validates against the Kubernetes API schemas', () => {
  it.each(exampleStacks())('example $name', ({ file }) => {
    const r = exportKubernetes(loadOk(file), { readEnvFile: readEnvFileFromDisk });
    expect(r.objects.length).toBeGreaterThan(2);
    expect(kubernetesProblems(r.objects)).toEqual([]);
  });

  it('the edge-case stack', () => {
    const { result } = edge();
    expect(kubernetesProblems(result.objects)).toEqual([]);
  });

  it('the validator catches a broken object (it is not a rubber stamp)', () => {
    const { result } = edge();
    const broken = structuredClone(find(result, 'Deployment', 'db'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(kubernetesProblems([{ file: 'x.yaml', object: broken }])[0]).toMatch(/containerPort/);
  });
});

describe('what maps to what', () => {
  it('a Deployment per long-running service, a Job per oneshot, a Service per declared port', () => {
    const { result } = edge();
    const kinds = result.objects.map(
      (o) => `${String(o.object.kind)}/${String((o.object.metadata as Obj).name)}`,
    );
    expect(kinds.filter((k) => k.startsWith('Deployment/'))).toEqual([
      'Deployment/db',
      'Deployment/api-v2',
      'Deployment/stub',
      'Deployment/worker',
      'Deployment/queue',
    ]);
    expect(kinds.filter((k) => k.startsWith('Job/'))).toEqual(['Job/schema', 'Job/seed']);
    expect(kinds.filter((k) => k.startsWith('Service/'))).toEqual([
      'Service/db',
      'Service/api-v2',
      'Service/stub',
    ]);
    expect(find(result, 'Job', 'seed').spec).toMatchObject({
      backoffLimit: 7,
      template: { spec: { restartPolicy: 'OnFailure' } },
    });
  });

  it('health -> readiness and startup probes, liveness -> livenessProbe, thresholds and timeouts kept', () => {
    const { result } = edge();
    const db = container(find(result, 'Deployment', 'db'));
    expect(db.readinessProbe).toEqual({
      exec: { command: ['sh', '-c', 'pg_isready -h 127.0.0.1'] },
      periodSeconds: 1,
      timeoutSeconds: 2,
      failureThreshold: 3,
      successThreshold: 2,
    });
    expect(db.startupProbe).toMatchObject({
      exec: db.readinessProbe.exec,
      periodSeconds: 1,
      failureThreshold: 60,
      successThreshold: 1,
    });
    expect(db.livenessProbe).toBeUndefined();
    const api = container(find(result, 'Deployment', 'api-v2'));
    expect(api.readinessProbe).toMatchObject({ tcpSocket: { port: 3000 } });
    expect(api.livenessProbe).toEqual({
      httpGet: { path: '/live', port: 3000 },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 5,
      successThreshold: 1,
    });
    expect(container(find(result, 'Deployment', 'worker')).readinessProbe).toBeUndefined();
    expect(result.notes).toContainEqual({
      service: 'db',
      topic: 'probe',
      message: 'health interval 500ms is rounded up to 1s',
    });
    expect(
      result.notes.find((n) => n.service === 'worker' && n.topic === 'probe')?.message,
    ).toMatch(/log probe .* no Kubernetes equivalent/);
  });

  it('dependency order: init containers for healthy/started/completed, optional ones do not block', () => {
    const { result } = edge();
    const api = find(result, 'Deployment', 'api-v2').spec.template.spec;
    expect(api.initContainers.map((c: Obj) => c.name)).toEqual(['wait-db', 'wait-seed']);
    expect(api.initContainers[0].command[2]).toBe(
      'until nc -z -w 2 db 5432; do echo waiting for db; sleep 2; done',
    );
    expect(api.initContainers[1].command).toEqual([
      'kubectl',
      'wait',
      '--for=condition=complete',
      'job/seed',
      '--timeout=-1s',
    ]);
    expect(api.serviceAccountName).toBe('vigil-wait');
    expect(find(result, 'Job', 'seed').spec.template.spec.initContainers[0].command).toContain(
      'job/schema',
    );
    expect(find(result, 'Role', 'vigil-wait').rules).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] },
    ]);
    const deps = result.notes
      .filter((n) => n.topic === 'dependency')
      .map((n) => `${n.service}: ${n.message}`);
    expect(deps).toEqual([
      expect.stringMatching(/^api_v2: depends_on worker \(started, optional\): not waited for/),
      expect.stringMatching(
        /^api_v2: depends_on queue \(started\): not enforced: queue declares no port/,
      ),
    ]);
  });

  it('limits, stop, env files once, secrets, labels and annotations', () => {
    const { result } = edge();
    const dbDep = find(result, 'Deployment', 'db');
    expect(container(dbDep).resources).toEqual({
      limits: { memory: '512Mi', cpu: '1500m' },
      requests: { memory: '512Mi', cpu: '1500m' },
    });
    expect(dbDep.spec.template.spec.terminationGracePeriodSeconds).toBe(20);
    expect(
      result.notes.find((n) => n.service === 'db' && n.message.startsWith('stop.signal'))?.message,
    ).toMatch(/SIGINT is not kept/);
    const maps = result.objects
      .filter((o) => o.object.kind === 'ConfigMap')
      .map((o) => (o.object.metadata as Obj).name);
    expect(maps).toEqual(['edge-stack-env-shared-env', 'edge-stack-env-seed-env']);
    expect(find(result, 'ConfigMap', 'edge-stack-env-shared-env').data).toEqual({
      LOG_LEVEL: 'info',
    });
    expect(find(result, 'Secret', 'edge-stack-env-shared-env-secret').stringData).toEqual({
      DB_PASSWORD: 'hunter2',
    });
    expect(find(result, 'ConfigMap', 'edge-stack-env-seed-env').data).toEqual({
      SEED_URL: 'http://db:5432/x',
    });
    const api = container(find(result, 'Deployment', 'api-v2'));
    expect(api.envFrom).toEqual([
      { configMapRef: { name: 'edge-stack-env-shared-env' } },
      { secretRef: { name: 'edge-stack-env-shared-env-secret' } },
    ]);
    expect(api.env).toEqual([
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api-v2-env', key: 'API_TOKEN' } } },
      { name: 'MODE', value: 'prod' },
      { name: 'PORT', value: '3000' },
    ]);
    expect(api.command).toEqual(['sh', '-c', 'node api.js --db db:5432']);
    expect(find(result, 'Secret', 'api-v2-env').stringData).toEqual({ API_TOKEN: 's3cret' });
    expect(result.notes.filter((n) => n.topic === 'secret').map((n) => n.message)).toEqual([
      expect.stringMatching(
        /^shared.env: DB_PASSWORD looks secret: written to Secret edge-stack-env-shared-env-secret in plain text/,
      ),
      expect.stringMatching(/^env API_TOKEN looks secret: written to Secret api-v2-env/),
    ]);
    expect(dbDep.metadata.labels).toMatchObject({
      app: 'Edge-Stack',
      'vigil/priority': 'medium',
      'app.kubernetes.io/name': 'db',
    });
    expect(find(result, 'Deployment', 'api-v2').metadata.annotations['vigil/service']).toBe(
      'api_v2',
    );
    expect(find(result, 'Namespace', 'edge-stack')).toBeDefined();
    expect(result.notes).toContainEqual({
      topic: 'key',
      message:
        'settings.on_critical shutdown is not kept: a failing critical service does not stop the others',
    });
  });

  it('replicas, scale -> HPA, min_ready -> PDB, ip_hash -> session affinity; the rest is reported', () => {
    const { result } = edge();
    expect(find(result, 'Deployment', 'stub').spec.replicas).toBe(3);
    expect(find(result, 'Deployment', 'api-v2').spec.replicas).toBeUndefined();
    expect(find(result, 'HorizontalPodAutoscaler', 'api-v2').spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '600m' } },
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 90 } },
    });
    expect(find(result, 'PodDisruptionBudget', 'api-v2').spec.minAvailable).toBe(2);
    expect(find(result, 'Service', 'api-v2').spec.sessionAffinity).toBe('ClientIP');
    const replicaNotes = result.notes
      .filter((n) => n.topic === 'replicas')
      .map((n) => `${n.service}: ${n.message}`);
    expect(replicaNotes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^api_v2: failover to stub is not kept/),
        expect.stringMatching(/^stub: balance weighted is not kept/),
        expect.stringMatching(/^stub: balance mode http is not kept/),
      ]),
    );
  });

  it('a service without an image gets "" and is listed; --image fills it', () => {
    const { dir, result } = edge();
    expect(container(find(result, 'Job', 'schema')).image).toBe('');
    expect(result.notes.filter((n) => n.topic === 'image').map((n) => n.service)).toEqual([
      'schema',
      'seed',
      'api_v2',
      'stub',
      'worker',
      'queue',
    ]);
    expect(result.files.find((f) => f.path === 'schema.yaml')!.text).toMatch(
      /image: "" # NO IMAGE/,
    );
    const config = loadOk(path.join(dir, 'vigil.yaml'));
    const withImage = exportKubernetes(config, {
      images: { schema: 'acme/schema:1' },
      readEnvFile: readEnvFileFromDisk,
    });
    expect(container(find(withImage, 'Job', 'schema')).image).toBe('acme/schema:1');
    expect(container(find(withImage, 'Deployment', 'db')).image).toBe('postgres:17');
  });

  it('files are stable, parse back to the same objects and list their notes as comments', () => {
    const { dir, result } = edge();
    const again = exportKubernetes(loadOk(path.join(dir, 'vigil.yaml')), {
      readEnvFile: readEnvFileFromDisk,
    });
    expect(again.files).toEqual(result.files);
    for (const f of result.files) {
      const parsed = parseAllDocuments(f.text).map((d) => d.toJS() as Obj);
      if (f.path === 'kustomization.yaml') {
        expect(parsed[0]!.resources).toEqual(result.files.slice(1).map((x) => x.path));
        continue;
      }
      expect(parsed).toEqual(result.objects.filter((o) => o.file === f.path).map((o) => o.object));
      expect(f.text).not.toMatch(/[&*]a\d/);
    }
    const api = result.files.find((f) => f.path === 'api-v2.yaml')!.text;
    expect(api).toMatch(/^# - depends_on queue \(started\): not enforced/m);
    expect(api).toMatch(
      /^# - depends_on db \(healthy\): init container wait-db waits until db:5432 accepts connections/m,
    );
  });
});

const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => fs.existsSync(p));

describe('kubectl kustomize builds the folder', () => {
  it.skipIf(kubectl === undefined)('for the demo and the edge-case stacks', () => {
    for (const file of [
      ...exampleStacks().map((e) => e.file),
      path.join(edge().dir, 'vigil.yaml'),
    ]) {
      const config = loadOk(file);
      const out = path.join(tempStack({}), 'k8s');
      dirs.push(path.dirname(out));
      const w = writeExport(config, { target: 'kubernetes', out });
      if (!w.ok) throw new Error(w.message);
      const r = spawnSync(kubectl!, ['kustomize', out], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
      expect(docs).toHaveLength(w.result.objects.length);
      const ns = docs.find((d) => d.kind === 'Namespace')!.metadata.name;
      for (const d of docs.filter((x) => x.kind !== 'Namespace'))
        expect(d.metadata.namespace).toBe(ns);
      // A ServiceAccount subject must name its namespace, or the API server refuses the binding.
      for (const b of docs.filter((x) => x.kind === 'RoleBinding'))
        expect(b.subjects).toEqual([{ kind: 'ServiceAccount', name: 'vigil-wait', namespace: ns }]);
    }
  });
  if (kubectl === undefined) it('is skipped: kubectl is not installed here', () => {});
});
