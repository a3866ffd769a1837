import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VigilError } from '../../../shared/errors.js';
import { allocatePorts, findPortClashes, parsePortRange, rangeSize } from './ports.js';

describe('parsePortRange', () => {
  it('reads FIRST-LAST and a single port', () => {
    expect(parsePortRange('3001-3010')).toEqual({ ok: true, range: { first: 3001, last: 3010 } });
    expect(parsePortRange(' 3001 - 3003 ')).toEqual({
      ok: true,
      range: { first: 3001, last: 3003 },
    });
    expect(parsePortRange(4000)).toEqual({ ok: true, range: { first: 4000, last: 4000 } });
    const r = parsePortRange('3001-3010');
    expect(r.ok && rangeSize(r.range)).toBe(10);
  });

  it('says what is wrong and how to write it', () => {
    const bad = (t: string): string => {
      const r = parsePortRange(t);
      if (r.ok) throw new Error(`accepted ${t}`);
      return r.message;
    };
    expect(bad('3001..3010')).toMatch(/FIRST-LAST, for example 3001-3010/);
    expect(bad('3010-3001')).toMatch(/runs backwards/);
    expect(bad('0-10')).toMatch(/outside 1-65535/);
    expect(bad('65000-70000')).toMatch(/70000.*outside/);
  });
});

describe('findPortClashes', () => {
  it('finds a range that covers the front port or another service', () => {
    const clashes = findPortClashes([
      { owner: 'api (front port)', range: { first: 3000, last: 3000 } },
      { owner: 'api (instances)', range: { first: 3000, last: 3010 } },
      { owner: 'db', range: { first: 5432, last: 5432 } },
      { owner: 'web (instances)', range: { first: 3008, last: 3020 } },
    ]);
    expect(clashes.map((c) => [c.a, c.b, c.first, c.last])).toEqual([
      ['api (front port)', 'api (instances)', 3000, 3000],
      ['api (instances)', 'web (instances)', 3008, 3010],
    ]);
    expect(clashes[1]!.message).toMatch(/both claim ports 3008-3010/);
  });

  it('finds nothing when claims are apart', () => {
    expect(
      findPortClashes([
        { owner: 'a', range: { first: 1, last: 10 } },
        { owner: 'b', range: { first: 11, last: 20 } },
      ]),
    ).toEqual([]);
  });
});

describe('allocatePorts', () => {
  const servers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  it('takes the lowest free ports of the range, skipping reserved and busy ones', async () => {
    const busy = new Set([3002]);
    const ports = await allocatePorts({
      service: 'api',
      count: 3,
      range: { first: 3001, last: 3010 },
      reserved: new Set([3001]),
      inUse: async (p) => busy.has(p),
    });
    expect(ports).toEqual([3003, 3004, 3005]);
  });

  it('refuses when the range is too small, naming the service, the range and the holders', async () => {
    const err = await allocatePorts({
      service: 'api',
      count: 3,
      range: { first: 3001, last: 3003 },
      reserved: new Set(),
      inUse: async (p) => p === 3002,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('PORT_IN_USE');
    expect((err as VigilError).message).toBe(
      'api: 3 instance ports are needed and the range 3001-3003 has only 2 free (in use by other processes: 3002)',
    );
    expect((err as VigilError).field).toBe('services.api.ports');
  });

  it('checks a range against real sockets', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    servers.push(s);
    const taken = (s.address() as net.AddressInfo).port;
    const ports = await allocatePorts({
      service: 'api',
      count: 1,
      range: { first: taken, last: taken + 1 },
      reserved: new Set(),
    });
    expect(ports).not.toContain(taken);
  });

  it('without a range, picks distinct free ports that can be bound', async () => {
    const ports = await allocatePorts({ service: 'api', count: 5, reserved: new Set() });
    expect(new Set(ports).size).toBe(5);
    for (const p of ports) {
      const s = net.createServer();
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(p, '127.0.0.1', () => resolve());
      });
      servers.push(s);
    }
  });
});
