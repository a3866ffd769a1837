/**
 * Loading a stack file: size and alias caps, YAML parsing, interpolation, the schema walk with every
 * default applied, then the checks across services. Every problem found is reported, each pointing
 * at its node; the config is only returned when there is no error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isValidServiceName, SERVICE_NAME_MAX, type StackConfig } from '../../../shared/model.js';
import { checkServices } from './checks.js';
import { readEnvFile } from './env.js';
import type { Lookup } from './interpolate.js';
import { byPosition, IssueList, START } from './issues.js';
import { Reader, type Entry, type Slot } from './reader.js';
import { readService, type ServiceContext, type ServiceDraft } from './service.js';
import { readSettings } from './settings.js';
import { RESERVED_SERVICE_NAMES, ROOT_KEYS } from './schema.js';
import type { StackLoadOptions, StackLoadResult } from './types.js';
import { MAX_STACK_BYTES, readYaml, tooLargeMessage } from './yaml-source.js';

export const STACK_FILE_NAMES = ['vigil.yaml', 'vigil.yml'] as const;

/** Reads and validates a stack file. A directory stands for the vigil.yaml / vigil.yml inside it. */
export function loadStack(file: string, opts: StackLoadOptions = {}): StackLoadResult {
  let abs = path.resolve(file);
  const issues = new IssueList(abs);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(abs);
    if (stat.isDirectory()) {
      const inside = STACK_FILE_NAMES.map((n) => path.join(abs, n)).find((f) => fs.existsSync(f));
      if (inside === undefined) {
        issues.error(
          'STACK_NOT_FOUND',
          `${file} is a directory without a ${STACK_FILE_NAMES.join(' or ')}`,
          START,
          '',
          'pass the stack file itself, or create vigil.yaml there',
        );
        return fail(issues);
      }
      abs = inside;
      stat = fs.statSync(abs);
    }
  } catch {
    issues.error(
      'STACK_NOT_FOUND',
      `no stack file at ${abs}`,
      START,
      '',
      'create vigil.yaml or pass -f FILE',
    );
    return fail(issues);
  }
  const at = new IssueList(abs);
  if (stat.size > MAX_STACK_BYTES) {
    at.error(
      'STACK_TOO_LARGE',
      tooLargeMessage(stat.size),
      START,
      '',
      'split the stack or remove generated content',
    );
    return fail(at);
  }
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    at.error('STACK_NOT_FOUND', `cannot read ${abs}: ${(err as Error).message}`, START, '');
    return fail(at);
  }
  return parseStack(text, abs, opts);
}

/** Validates stack file text; `file` names it in messages and is where relative paths start. */
export function parseStack(
  text: string,
  file: string,
  opts: StackLoadOptions = {},
): StackLoadResult {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const issues = new IssueList(abs);
  const src = readYaml(text, issues);
  if (src === null) return fail(issues);

  const processEnv = opts.env ?? process.env;
  const fromProcess: Lookup = (name) => processEnv[name];
  const first = new Reader(src, issues, fromProcess);
  const root = first.root();
  if (first.isMissing(root)) {
    issues.error(
      'STACK_INVALID',
      'the stack file is empty',
      START,
      '',
      'start with `version: 1` and a `services:` map',
    );
    return fail(issues);
  }
  const top = first.table(root, {
    known: ROOT_KEYS,
    what: 'the stack file',
    ignore: (k) => k.startsWith('x-'),
  });
  if (top === null) return fail(issues);

  // The stack's env_file is read first: its variables take part in interpolating everything else
  // (after the process environment, which wins, as in compose files).
  const stackEnv = new Map<string, string>();
  const stackEnvFiles: string[] = [];
  const envFiles = new Set<string>();
  const envFile = top.get('env_file');
  if (envFile !== undefined) {
    const files: Slot[] = first.isList(envFile) ? (first.items(envFile) ?? []) : [envFile];
    for (const f of files) {
      const rel = first.string(f, { nonEmpty: true });
      if (rel === undefined) continue;
      const res = readEnvFile(path.resolve(dir, rel), envFiles);
      if (!res.ok) {
        first.fail(
          f,
          `env_file "${rel}" ${res.reason} (${path.resolve(dir, rel)})`,
          'env_file paths are relative to the stack file',
        );
        continue;
      }
      stackEnvFiles.push(path.resolve(dir, rel));
      for (const [k, v] of res.vars) stackEnv.set(k, v);
    }
  }
  const r = new Reader(src, issues, (name) => processEnv[name] ?? stackEnv.get(name));

  const version = top.get('version');
  if (version !== undefined) {
    const v = r.value(version);
    if (v !== 1 && v !== '1')
      r.fail(version, `unsupported stack file version: ${String(v)}`, 'use `version: 1`');
  }
  const nameEntry = top.get('name');
  const name = (nameEntry && r.string(nameEntry, { nonEmpty: true })) ?? path.basename(dir);
  const settings = readSettings(r, top.get('settings'));

  const drafts: ServiceDraft[] = [];
  const servicesEntry = top.get('services');
  if (servicesEntry === undefined) {
    issues.error(
      'STACK_INVALID',
      'the stack file has no "services"',
      START,
      'services',
      'add a `services:` map with at least one service',
    );
  } else {
    drafts.push(
      ...readServices(r, servicesEntry, {
        r,
        dir,
        settings,
        stackEnv,
        stackEnvFiles,
        envFiles,
        cores: cpuCores(),
      }),
    );
  }
  checkServices(drafts, issues);

  if (issues.errorCount > 0) return { ...fail(issues), envFiles: [...envFiles] } as StackLoadResult;
  const config: StackConfig = {
    file: abs,
    dir,
    version: 1,
    name,
    settings,
    services: drafts.map((d) => d.spec),
    envFiles: [...envFiles],
  };
  return { ok: true, config, warnings: byPosition(issues.warnings) };
}

function readServices(r: Reader, slot: Entry, ctx: ServiceContext): ServiceDraft[] {
  const entries = r.entries(slot, {
    known: null,
    what: 'services',
    duplicate: (key, firstAt) =>
      `duplicate service name "${key}" (first defined at line ${firstAt.line})`,
  });
  if (entries === null) return [];
  if (entries.length === 0) {
    r.fail(slot, 'the stack defines no services', 'add at least one service under `services:`');
    return [];
  }
  const drafts: ServiceDraft[] = [];
  for (const e of entries) {
    if (!isValidServiceName(e.key) || RESERVED_SERVICE_NAMES.has(e.key)) {
      const fixed = e.key
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, '-')
        .replace(/^[-_]+|[-_]+$/g, '');
      r.issues.error(
        'STACK_INVALID',
        `invalid service name ${JSON.stringify(e.key)}`,
        e.keyPos,
        e.path,
        fixed !== e.key && isValidServiceName(fixed) && !RESERVED_SERVICE_NAMES.has(fixed)
          ? `did you mean "${fixed}"? Names use lowercase letters, digits, "-" and "_", starting with a letter or digit, at most ${SERVICE_NAME_MAX} characters`
          : RESERVED_SERVICE_NAMES.has(e.key)
            ? `"${e.key}" is reserved; choose another name`
            : `use lowercase letters, digits, "-" and "_", starting with a letter or digit, at most ${SERVICE_NAME_MAX} characters`,
      );
    }
    drafts.push(readService(e.key, e, ctx));
  }
  return drafts;
}

function cpuCores(): number {
  try {
    return Math.max(1, os.availableParallelism());
  } catch {
    return Math.max(1, os.cpus().length);
  }
}

function fail(issues: IssueList): StackLoadResult {
  return { ok: false, errors: byPosition(issues.errors), warnings: byPosition(issues.warnings) };
}
