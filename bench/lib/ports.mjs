// Ports for the services: a contiguous block on 127.0.0.1 in a high range outside the kernel's
// ephemeral range (so outgoing connections never take them), each checked free by binding it.
import fs from 'node:fs';
import net from 'node:net';

export function isPortFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The kernel's ephemeral port range, [32768, 60999] when it cannot be read. */
export function ephemeralRange() {
  try {
    const [lo, hi] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi) return [lo, hi];
  } catch {
    // not Linux: assume the usual range
  }
  return [32768, 60999];
}

/** Candidate first ports for a block of `count`, highest ranges first, never inside `ephemeral`. */
export function candidateBases(count, ephemeral, step = 500) {
  const [lo, hi] = ephemeral;
  const out = [];
  for (let base = hi + 1; base + count - 1 <= 65535; base += step) out.push(base);
  for (let base = lo - count; base >= 20000; base -= step) out.push(base);
  return out;
}

/** The first port of `count` consecutive free ports, or throws when none is found. */
export async function findFreeBlock(count) {
  for (const base of candidateBases(count, ephemeralRange()).slice(0, 40)) {
    let ok = true;
    for (let p = base; p < base + count && ok; p += 1) ok = await isPortFree(p);
    if (ok) return base;
  }
  throw new Error(`no block of ${count} free ports on 127.0.0.1 in the ranges tried`);
}

/** Resolves true once every port is free again (up to `timeoutMs`). */
export async function waitPortsFree(ports, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let pending = [...ports];
  while (Date.now() < deadline) {
    const still = [];
    for (const p of pending) if (!(await isPortFree(p))) still.push(p);
    if (still.length === 0) return true;
    pending = still;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
