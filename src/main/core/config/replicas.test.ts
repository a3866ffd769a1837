import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssue } from './format.js';
import { parseStack } from './load.js';
import type { ConfigIssue } from './types.js';

let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-replicas-'));
  file = path.join(dir, 'vigil.yaml');
  fs.writeFileSync(path.join(dir, '.env'), 'A=1\n');
  fs.writeFileSync(path.join(dir, 'api.env'), 'B=2\n');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function ok(text: string) {
  const r = parseStack(text, file, { env: {} });
  if (!r.ok) throw new Error(r.errors.map((e) => formatIssue(e, { source: text })).join('\n'));
  return r;
}

function errors(text: string): ConfigIssue[] {
  const r = parseStack(text, file, { env: {} });
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.errors;
}

/** The one error of a file, as `code line:col path: message | hint`. */
function oneError(text: string): string {
  const errs = errors(text);
  expect(errs.map((e) => `${e.line}:${e.col} ${e.path} ${e.message}`)).toHaveLength(1);
  const e = errs[0]!;
  return `${e.code} ${e.line}:${e.col} ${e.path}: ${e.message} | ${e.hint ?? ''}`;
}

const api = (body: string, more = '') =>
  `version: 1\nservices:\n  api:\n    command: node api.js\n    port: 3000\n${body}${more}`;
const stub = '  stub:\n    command: node stub.js\n    port: 4000\n';

describe('replica keys', () => {
  it('reads replicas, a port range, min_ready, balance and failover', () => {
    const r = ok(
      api(
        '    replicas: 3\n    ports: 3001-3010\n    min_ready: 2\n' +
          '    balance: { strategy: weighted, mode: tcp, weights: [3, 1, 1] }\n' +
          '    failover: { backup: stub, failback_after: 5s }\n' +
          '    image: ghcr.io/acme/api:1.4\n',
        stub,
      ),
    );
    const s = r.config.services[0]!;
    expect(s).toMatchObject({
      replicas: 3,
      minReady: 2,
      balance: { strategy: 'weighted', mode: 'tcp', weights: [3, 1, 1] },
      failover: { backup: 'stub', failbackAfterMs: 5000 },
      image: 'ghcr.io/acme/api:1.4',
    });
    expect(s.ports).toEqual([3001, 3002, 3003, 3004, 3005, 3006, 3007, 3008, 3009, 3010]);
    expect(r.config.services[1]!.replicas).toBeUndefined();
  });

  it('loads replicas without a warning: the supervisor runs them', () => {
    expect(ok(api('    replicas: 3\n    balance: { strategy: random }\n')).warnings).toEqual([]);
    expect(ok(api('    replicas: 1\n    image: x\n')).warnings).toEqual([]);
  });

  it('reads scale with its defaults and takes scale.min as the instance count', () => {
    const s = ok(api('    scale: { min: 2, max: 6 }\n')).config.services[0]!;
    expect(s.replicas).toBe(2);
    expect(s.scale).toEqual({
      min: 2,
      max: 6,
      metric: 'cpu',
      target: 70,
      cooldownMs: 60_000,
      windowMs: 30_000,
    });
    const l = ok(
      api(
        '    scale: { min: 1, max: 4, metric: latency_p95, target: 250ms, cooldown: 2m, window: 10s }\n',
      ),
    ).config.services[0]!;
    expect(l.scale).toMatchObject({
      metric: 'latency_p95',
      target: 250,
      cooldownMs: 120_000,
      windowMs: 10_000,
    });
    const c = ok(api('    scale: { min: 1, max: 4, metric: connections, target: 100 }\n')).config
      .services[0]!;
    expect(c.scale).toMatchObject({ metric: 'connections', target: 100 });
  });

  it('reads ports as a list of ports and ranges', () => {
    const s = ok(api('    replicas: 3\n    ports: [3001, 3005-3006]\n')).config.services[0]!;
    expect(s.ports).toEqual([3001, 3005, 3006]);
  });

  it('reads liveness with the shape of health', () => {
    const s = ok(
      api('    liveness: { http: { path: /live }, interval: 10s, failure_threshold: 5 }\n'),
    ).config.services[0]!;
    expect(s.liveness).toMatchObject({
      probe: { type: 'http', path: '/live', port: 3000 },
      intervalMs: 10_000,
      failureThreshold: 5,
    });
    expect(s.health.probe.type).toBe('default');
  });

  it('reads the replica keys of the SPEC example (with weights under strategy weighted)', () => {
    const r = ok(`services:
  api:
    command: node server.js
    port: 3000
    replicas: 3
    ports: 3001-3010
    min_ready: 1
    balance: { strategy: weighted, mode: http, weights: [3, 1, 1] }
    failover: { backup: api-stub, failback_after: 10s }
    image: ghcr.io/acme/api:1.4
    liveness: { http: { path: /live }, interval: 10s }
  api-stub:
    command: node stub.js
    port: 3100
`);
    expect(r.config.services[0]).toMatchObject({
      replicas: 3,
      minReady: 1,
      balance: { strategy: 'weighted', mode: 'http', weights: [3, 1, 1] },
      failover: { backup: 'api-stub', failbackAfterMs: 10_000 },
      image: 'ghcr.io/acme/api:1.4',
      liveness: { probe: { type: 'http', path: '/live', port: 3000 }, intervalMs: 10_000 },
    });
    expect(r.warnings).toEqual([]);
  });

  it('records the env files of each service in order, the stack file first', () => {
    const text = `version: 1\nenv_file: .env\nservices:\n  api:\n    command: x\n    env_file: [api.env, .env]\n  db:\n    command: y\n`;
    const [a, d] = ok(text).config.services;
    expect(a!.envFileList).toEqual([path.join(dir, '.env'), path.join(dir, 'api.env')]);
    expect(d!.envFileList).toEqual([path.join(dir, '.env')]);
  });
});

describe('replica key errors point at the key and say what to do', () => {
  it('rejects replicas with scale', () => {
    expect(oneError(api('    replicas: 2\n    scale: { min: 1, max: 3 }\n'))).toMatch(
      /^STACK_INVALID 7:5 services.api.scale: service "api" sets both "replicas" and "scale" \| keep/,
    );
  });

  it('rejects a scale whose max is below min, or without bounds', () => {
    expect(oneError(api('    scale: { min: 4, max: 2 }\n'))).toMatch(
      /^STACK_INVALID 6:27 services.api.scale.max: scale "max" \(2\) is less than "min" \(4\)/,
    );
    expect(oneError(api('    scale: { max: 2 }\n'))).toMatch(
      /services.api.scale: "scale" needs "min"/,
    );
    expect(oneError(api('    scale: { min: 1, max: 2, metric: connections }\n'))).toMatch(
      /needs a "target" \| write the connections per instance/,
    );
    expect(oneError(api('    scale: { min: 1, max: 2, metric: memory }\n'))).toMatch(
      /scale.metric: "metric" must be one of cpu, connections, latency_p95/,
    );
  });

  it('rejects replicas below 1', () => {
    expect(oneError(api('    replicas: 0\n'))).toMatch(
      /6:15 services.api.replicas: "replicas" must be between 1 and 1000, not 0/,
    );
  });

  it('rejects too few ports for the instances and scale.max', () => {
    expect(oneError(api('    replicas: 3\n    ports: 3001-3002\n'))).toMatch(
      /7:12 services.api.ports: "ports" holds 2 ports for 3 instances \| give at least 3 ports, e.g. 3001-3003/,
    );
    expect(oneError(api('    scale: { min: 1, max: 4 }\n    ports: [3001, 3002]\n'))).toMatch(
      /"ports" holds 2 ports for 4 instances \(scale.max\)/,
    );
  });

  it('rejects bad ranges, duplicates and the front port among instance ports', () => {
    expect(oneError(api('    replicas: 2\n    ports: 3010-3001\n'))).toMatch(/not a port range/);
    expect(oneError(api('    replicas: 2\n    ports: [3001, 3001]\n'))).toMatch(
      /lists port 3001 twice/,
    );
    expect(oneError(api('    replicas: 2\n    ports: [3000, 3001]\n'))).toMatch(
      /includes 3000, the service's front port/,
    );
    expect(oneError(api('    replicas: 2\n    ports: lots\n'))).toMatch(
      /a port, a range like 3001-3010/,
    );
  });

  it("rejects instance ports that clash with another service's port", () => {
    expect(oneError(api('    replicas: 2\n    ports: 3999-4001\n', stub))).toMatch(
      /^STACK_INVALID 7:12 services.api.ports: instance port 4000 of service "api" is already used by service "stub"/,
    );
  });

  it('rejects min_ready above the instance count', () => {
    expect(oneError(api('    replicas: 2\n    min_ready: 3\n'))).toMatch(
      /7:16 services.api.min_ready: "min_ready" is 3 but service "api" runs 2 instances \| use a value between 1 and 2/,
    );
  });

  it('reads round_robin with weights, as the SPEC example writes it, as a weighted round robin', () => {
    const config = ok(
      'version: 1\nservices:\n  api:\n    command: node s.js\n    port: 3000\n    replicas: 3\n' +
        '    balance: { strategy: round_robin, mode: http, weights: [3, 1, 1] }\n',
    );
    expect(config.config.services[0]?.balance).toEqual({
      strategy: 'weighted',
      mode: 'http',
      weights: [3, 1, 1],
    });
  });

  it('checks balance: strategies, weights only with weighted and one per instance, a front port', () => {
    expect(oneError(api('    replicas: 2\n    balance: { strategy: fastest }\n'))).toMatch(
      /"strategy" must be one of round_robin, least_connections, random, ip_hash, weighted, not "fastest"/,
    );
    expect(
      oneError(api('    replicas: 2\n    balance: { strategy: random, weights: [1, 2] }\n')),
    ).toMatch(/"weights" is only used with strategy weighted or round_robin/);
    expect(
      oneError(api('    replicas: 3\n    balance: { strategy: weighted, weights: [1, 2] }\n')),
    ).toMatch(/"weights" lists 2 weights for 3 instances/);
    expect(oneError(api('    replicas: 3\n    balance: { strategy: weighted }\n'))).toMatch(
      /strategy weighted needs "weights"/,
    );
    expect(oneError(api('    replicas: 2\n    balance: { mode: udp }\n'))).toMatch(
      /must be one of http, tcp/,
    );
    expect(oneError(api('    replicas: 2\n    balance: { host: my-laptop }\n'))).toMatch(
      /"host" "my-laptop" is not an IP address/,
    );
    expect(
      ok(api('    replicas: 2\n    balance: { host: 0.0.0.0 }\n')).config.services[0]!.balance,
    ).toEqual({ strategy: 'round_robin', mode: 'http', host: '0.0.0.0' });
    expect(
      oneError(
        'services:\n  w:\n    command: x\n    replicas: 2\n    balance: { strategy: random }\n',
      ),
    ).toMatch(/"balance" needs a front port/);
  });

  it('checks failover: a known service, not itself, no cycle', () => {
    expect(oneError(api('    failover: { backup: stb }\n', stub))).toMatch(
      /services.api.failover.backup: failover backup "stb" of service "api" is not defined in this stack \| did you mean "stub"\?/,
    );
    expect(oneError(api('    failover: { backup: api }\n'))).toMatch(
      /cannot be its own failover backup/,
    );
    const cycle = errors(
      api('    failover: { backup: stub }\n', stub + '    failover: { backup: api }\n'),
    );
    expect(cycle.map((e) => e.message)).toEqual([
      'failover cycle api -> stub -> api: each would hand traffic to the other',
      'failover cycle stub -> api -> stub: each would hand traffic to the other',
    ]);
    expect(oneError(api('    failover: { failback_after: 1s }\n'))).toMatch(
      /"failover" needs a "backup" service/,
    );
  });

  it('checks image and liveness', () => {
    expect(oneError(api('    image: ""\n'))).toMatch(/"image" must not be empty/);
    expect(oneError(api('    liveness: { interval: 5s }\n'))).toMatch(
      /"liveness" of service "api" names no probe/,
    );
    expect(oneError(api('    liveness: { http: /live, tcp: 3000 }\n'))).toMatch(
      /liveness takes exactly one probe/,
    );
    expect(oneError(api('    livenes: {}\n'))).toMatch(
      /unknown key "livenes"[^|]*\| did you mean "liveness"/,
    );
  });
});
