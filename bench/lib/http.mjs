// Readiness measured from outside, the same way for every system: the suite itself polls
// GET /health of every service on 127.0.0.1 and notes when each first answers 200.
import http from 'node:http';

/** Wall-clock milliseconds with sub-millisecond resolution (comparable across processes). */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * One GET on a fresh connection. Resolves `{status, body}` or `{error}`; never rejects, never
 * outlives `timeoutMs`.
 */
export function get(port, path, timeoutMs = 1000) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve(v);
      }
    };
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        if (body.length < 4096) body += d;
      });
      res.on('end', () => finish({ status: res.statusCode, body }));
      res.on('error', (err) => finish({ error: err.code ?? err.message }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish({ error: 'timeout' });
    }, timeoutMs);
    req.on('error', (err) => finish({ error: err.code ?? err.message }));
  });
}

/** The service's `{pid, t0}` when /health answers 200, else null. */
export async function health(port, timeoutMs = 1000) {
  const r = await get(port, '/health', timeoutMs);
  if (r.status !== 200) return null;
  try {
    const b = JSON.parse(r.body);
    return Number.isInteger(b.pid) ? b : null;
  } catch {
    return null;
  }
}

/**
 * Polls every port until each answers 200 or `deadline` (ms, nowMs clock) passes. Each port has
 * its own loop at `intervalMs`. Resolves `{readyAt: Map(port -> ms), lastAt, missing: [ports]}`.
 */
export async function waitAllHealthy(ports, { intervalMs, deadline }) {
  const readyAt = new Map();
  await Promise.all(
    ports.map(async (port) => {
      while (nowMs() < deadline) {
        const started = nowMs();
        const r = await get(port, '/health', 1000);
        if (r.status === 200) {
          readyAt.set(port, nowMs());
          return;
        }
        await sleep(started + intervalMs - nowMs());
      }
    }),
  );
  const missing = ports.filter((p) => !readyAt.has(p));
  const lastAt = missing.length === 0 ? Math.max(...readyAt.values()) : null;
  return { readyAt, lastAt, missing };
}

/**
 * Polls one port until it answers 200 from a process other than `oldPid`; resolves
 * `{at, pid, t0}` (at = when it answered) or null at the deadline.
 */
export async function waitNewInstance(port, oldPid, { intervalMs, deadline }) {
  while (nowMs() < deadline) {
    const started = nowMs();
    const b = await health(port, 500);
    if (b && b.pid !== oldPid) return { at: nowMs(), pid: b.pid, t0: b.t0 ?? null };
    await sleep(started + intervalMs - nowMs());
  }
  return null;
}
