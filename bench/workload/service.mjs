// The benchmark workload: one small real HTTP service. Listens on 127.0.0.1:$PORT at once;
// GET /health answers 503 until BOOT_MS has passed, then 200 with the process id, so a poller can
// tell a restarted instance from the one it killed. FLOOD_BPS > 0 lets SIGUSR2 switch on a flood of that
// many bytes of output per second (for the log-flood figure). Only node:http, so a boot costs what Node costs.
import http from 'node:http';

const port = Number(process.env.PORT);
const bootMs = Number(process.env.BOOT_MS ?? 0);
const floodBps = Number(process.env.FLOOD_BPS ?? 0);
const readyAt = Date.now() + bootMs;
// t0: when this process started (wall clock), so a restart's spawn time can be measured.
const body = JSON.stringify({ pid: process.pid, t0: performance.timeOrigin });

if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('service: PORT must be set\n');
  process.exit(2);
}

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    const ok = Date.now() >= readyAt;
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(ok ? body : '{"starting":true}');
    return;
  }
  res.writeHead(404);
  res.end();
});
server.listen(port, '127.0.0.1');

if (floodBps > 0) {
  // SIGUSR2 turns a flood of 1 KiB lines on and off: floodBps bytes per second, written every
  // 10 ms. Writes to a pipe block on Linux, so a reader slower than the flood slows the writer.
  const line = 'x'.repeat(1023) + '\n';
  const chunk = line.repeat(Math.max(1, Math.round(floodBps / 100 / line.length)));
  let timer = null;
  process.on('SIGUSR2', () => {
    if (timer) {
      clearInterval(timer);
      timer = null;
    } else timer = setInterval(() => process.stdout.write(chunk), 10);
  });
}

// SIGTERM keeps Node's default (exit at once), the same for every supervisor.
