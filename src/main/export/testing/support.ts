/**
 * Offline validation for the export tests: Kubernetes objects against the API schemas compiled in
 * kubernetes-models, Compose files against the Compose specification's JSON schema (vendored in
 * fixtures/ with its license), and a loader for stacks written to a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { Namespace, ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { loadStack } from '../../core/config/index.js';
import type { StackConfig } from '../../../shared/model.js';
import type { ExportObject } from '../types.js';

type Validating = { validate(): void };
const MODELS: Readonly<Record<string, (o: never) => Validating>> = {
  'v1/Namespace': (o) => new Namespace(o),
  'v1/ConfigMap': (o) => new ConfigMap(o),
  'v1/Secret': (o) => new Secret(o),
  'v1/Service': (o) => new Service(o),
  'v1/ServiceAccount': (o) => new ServiceAccount(o),
  'apps/v1/Deployment': (o) => new Deployment(o),
  'batch/v1/Job': (o) => new Job(o),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o),
  'rbac.authorization.k8s.io/v1/Role': (o) => new Role(o),
  'rbac.authorization.k8s.io/v1/RoleBinding': (o) => new RoleBinding(o),
};

/** Problems of each object, as `file kind/name: message`; empty when every object is valid. */
export function kubernetesProblems(objects: readonly ExportObject[]): string[] {
  const out: string[] = [];
  for (const { file, object } of objects) {
    const key = `${String(object.apiVersion)}/${String(object.kind)}`;
    const name = (object.metadata as { name?: string } | undefined)?.name ?? '?';
    const make = MODELS[key];
    if (make === undefined) {
      out.push(`${file} ${key}/${name}: no schema for this kind`);
      continue;
    }
    try {
      make(structuredClone(object) as never).validate();
    } catch (err) {
      out.push(`${file} ${key}/${name}: ${(err as Error).message}`);
    }
  }
  return out;
}

const here = path.dirname(fileURLToPath(import.meta.url));
let composeValidator: ReturnType<Ajv['compile']> | undefined;

/** Problems of a Compose document against the Compose specification; empty when valid. */
export function composeProblems(doc: unknown): string[] {
  if (composeValidator === undefined) {
    const schema = JSON.parse(
      fs.readFileSync(path.join(here, '..', 'fixtures', 'compose-spec.json'), 'utf8'),
    ) as object;
    // The file names draft-07 by an https URL Ajv does not know; Ajv's default dialect is draft-07.
    const { $schema: _dialect, ...draft7 } = schema as { $schema?: string };
    composeValidator = new Ajv({ allErrors: true, strict: false }).compile(draft7);
  }
  if (composeValidator(doc)) return [];
  return (composeValidator.errors ?? []).map(
    (e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}

export const EXAMPLES_DIR = path.resolve(here, '..', '..', '..', '..', 'examples');

/** Every example stack (examples/NAME/vigil.yaml). */
export function exampleStacks(): { name: string; file: string }[] {
  return fs
    .readdirSync(EXAMPLES_DIR)
    .filter((n) => fs.existsSync(path.join(EXAMPLES_DIR, n, 'vigil.yaml')))
    .sort()
    .map((name) => ({ name, file: path.join(EXAMPLES_DIR, name, 'vigil.yaml') }));
}

export function loadOk(file: string): StackConfig {
  const r = loadStack(file, { env: {} });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
  return r.config;
}

/** Writes files into a new temporary folder and returns it. */
export function tempStack(files: Readonly<Record<string, string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-export-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}
