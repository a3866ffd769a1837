import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findPortHolder, isPortInUse } from './ports.js';
import { NODE, Spawned, argv, fixture, waitFor } from './fixtures/harness.js';

const run = new Spawned();
afterEach(() => run.cleanup());

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('ports', () => {
  it('finds the process that listens on a port, and sees the port as in use', async () => {
    const { proc, out } = run.spawn({ command: argv(NODE, fixture('listen.mjs')) });
    await waitFor(() => out.text().some((l) => l.startsWith('port ')), 5_000, 'listening');
    const port = Number(out.text()[0]!.slice(5));
    expect(await isPortInUse(port)).toBe(true);
    expect(await isPortInUse(port, '127.0.0.1')).toBe(true);
    const holder = findPortHolder(port);
    expect(holder?.pid).toBe(proc.pid);
    expect(holder?.command).toContain('listen.mjs');
  });

  it('sees a free port as free', async () => {
    const port = await freePort();
    expect(await isPortInUse(port)).toBe(false);
    expect(findPortHolder(port)).toBeNull();
  });

  it('rejects a number that is not a port', async () => {
    await expect(isPortInUse(70000)).rejects.toThrow(RangeError);
  });
});
