import { describe, expect, it } from 'vitest';
import {
  haproxyConfig,
  lbMarkdown,
  nginxConfig,
  pm2ClusterConfig,
  probeLateness,
  summarizeLb,
  vigilUpStack,
} from './lb.mjs';

describe('load-balancing section: configurations', () => {
  it('nginx: one worker, no daemon, its own temp paths, keep-alive to every instance', () => {
    const c = nginxConfig('/tmp/x', 9000, [9001, 9002, 9003]);
    expect(c).toMatch(/^daemon off;/);
    expect(c).toContain('worker_processes 1;');
    expect(c).toContain('pid /tmp/x/nginx.pid;');
    expect(c).toContain('listen 127.0.0.1:9000;');
    for (const p of [9001, 9002, 9003]) expect(c).toContain(`server 127.0.0.1:${p};`);
    expect(c).toContain('keepalive 64;');
    expect(c).toContain('proxy_set_header Connection "";');
  });

  it('HAProxy: one thread, round robin, connection reuse', () => {
    const c = haproxyConfig(9000, [9001, 9002]);
    expect(c).toContain('nbthread 1');
    expect(c).toContain('bind 127.0.0.1:9000');
    expect(c).toContain('balance roundrobin');
    expect(c).toContain('server s1 127.0.0.1:9002');
  });

  it('vigil up: the same app as three replicas behind the front port, probed every 100 ms', () => {
    const c = vigilUpStack(9000, '/x/app.mjs', '/usr/bin/node');
    expect(c).toContain('command: ["/usr/bin/node", "/x/app.mjs"]');
    expect(c).toContain('port: 9000');
    expect(c).toContain('replicas: 3');
    expect(c).toContain('health: { http: /health, interval: 100ms }');
  });

  it('PM2: cluster mode with three instances on one port, tagged for cleanup', () => {
    const c = pm2ClusterConfig(9000, 'tag-1');
    const apps = JSON.parse(c.slice('module.exports = '.length, -2)).apps;
    expect(apps[0]).toMatchObject({ exec_mode: 'cluster', instances: 3 });
    expect(apps[0].env).toEqual({ PORT: '9000', BENCH_TAG: 'tag-1' });
  });
});

describe('load-balancing section: punctuality of vigil up from its probe history', () => {
  it('reads each probe as due one interval after the previous one of the same instance ended', () => {
    const rows = [
      { name: 'app#0', ts: 1000, latencyMs: 2 },
      { name: 'app#0', ts: 1102, latencyMs: 2 }, // on time: 1000 + 100 + 2
      { name: 'app#0', ts: 1232, latencyMs: 2 }, // 28 ms late
      { name: 'app#1', ts: 1005, latencyMs: 5 }, // another instance: no gap across names
      { name: 'app#1', ts: 1109, latencyMs: 5 }, // 99.x: the 1 ms steps of ts read as on time
    ];
    const p = probeLateness(rows, 100);
    expect(p.ticks).toBe(3);
    expect(p.latenessP50).toBe(0);
    expect(p.latenessMax).toBe(28);
    expect(p.probeP50).toBe(2);
    expect(p.probeP99).toBe(5);
  });

  it('has no figures without probes', () => {
    expect(probeLateness([], 100)).toMatchObject({ ticks: 0, latenessP99: null, probeP50: null });
  });
});

describe('load-balancing section: summary', () => {
  const run = (rps, p50, oneP50, cpu = null) => ({
    thr: { rps, p50, p99: p50 * 3, errors: 0, cpuUsPerRequest: cpu },
    lat: { p50: oneP50, p99: oneP50 * 4, errors: 0 },
  });
  const res = summarizeLb({
    raw: {
      direct: [run(10_000, 1, 0.05), run(12_000, 1, 0.07)],
      vigil: [run(7_000, 2, 0.2, 150), run(8_000, 2, 0.3, 170)],
      'vigil-up': [run(5_000, 3, 0.3, 200), run(6_000, 3, 0.4, 220)],
      nginx: [run(10_000, 1.5, 0.1, 30), run(10_000, 1.5, 0.1, 32)],
    },
    punctuality: {
      idle: null,
      vigil: [
        {
          latenessP50: 0,
          latenessP99: 20,
          latenessMax: 30,
          probeP50: 1,
          probeP99: 5,
          cpuPercent: 50,
        },
      ],
      'vigil-worker': [],
      'vigil-tcp': [],
      'vigil-up': [
        {
          latenessP50: 1,
          latenessP99: 150,
          latenessMax: 200,
          probeP50: 2,
          probeP99: 9,
          cpuPercent: 60,
        },
      ],
    },
    skipped: { haproxy: 'haproxy is not installed' },
    rounds: 2,
    seconds: 4,
    connections: 32,
    versions: {},
    quick: true,
  });

  it('takes medians over rounds and reads ratios and added latency against the floor', () => {
    expect(res.rows.vigil.rps).toBe(7_500);
    expect(res.rows.vigil.vsNginx).toBeCloseTo(0.75);
    expect(res.rows.vigil.cpuUs).toBe(160);
    expect(res.rows.vigil.addedP50).toBeCloseTo(0.25 - 0.06);
  });

  it('checks the goals', () => {
    expect(res.goals.map((g) => [g.goal.slice(0, 20), g.met])).toEqual([
      ['throughput at least ', true],
      ['added p50 under 0.3 ', true],
      ['probes on time while', true],
      ['through `vigil up` (', false],
      ['through `vigil up`: ', true],
      ["`vigil up`'s own pro", false],
    ]);
  });

  it('prints a table with every system that ran and says which were skipped', () => {
    const md = lbMarkdown(res, 'test machine');
    expect(md).toContain("| Vigil (on the supervisor's event loop) | 7500 | 0.75x | 160 |");
    expect(md).toContain('HAProxy (1 thread) was skipped: haproxy is not installed.');
    expect(md).toContain('- met: throughput at least 0.7x nginx (0.750)');
    expect(md).toContain(
      '| Vigil, `vigil up` with `replicas: 3` and `port:` (the product path) | 5500 | 0.55x | 210 |',
    );
    expect(md).toContain(
      '| under load, `vigil up`: its own probes of its 3 instances every 100 ms, from its history | 1.00 / 150.00 / 200.00 | 2.00 / 9.00 | 60 |',
    );
    expect(md).toContain(
      '- **not met**: through `vigil up` (the product path): throughput at least 0.7x nginx (0.550)',
    );
  });
});
