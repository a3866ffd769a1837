// A small real HTTP service for the demo stack: answers /health, depends on other services over
// HTTP, and can be told to boot slowly, fail its health check, or crash now and then.
//
//   node http-service.js --name api --boot 300 --needs http://127.0.0.1:7301/health
//   env: PORT (required), CRASH_EVERY_MS (crash after a random time around this), FAIL_HEALTH_EVERY_MS
import http from 'node:http';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
};
const name = opt('name', 'service');
const bootMs = Number(opt('boot', '200'));
const needs = opt('needs', '').split(',').filter(Boolean);
const port = Number(process.env.PORT);
const crashEvery = Number(process.env.CRASH_EVERY_MS || 0);
const failEvery = Number(process.env.FAIL_HEALTH_EVERY_MS || 0);
if (!port) {
  console.error(`${name}: PORT is not set`);
  process.exit(2);
}

const started = Date.now();
let requests = 0;
let unhealthyUntil = 0;

async function dependenciesOk() {
  for (const url of needs) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(500) });
      if (!res.ok) return `${url} answered ${res.status}`;
    } catch (err) {
      return `${url} unreachable (${err.cause?.code ?? err.name})`;
    }
  }
  return null;
}

const server = http.createServer(async (req, res) => {
  requests += 1;
  if (req.url === '/health') {
    if (Date.now() < unhealthyUntil) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'unhealthy', reason: 'simulated overload' }));
      return;
    }
    const problem = await dependenciesOk();
    res.writeHead(problem ? 503 : 200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        status: problem ? 'degraded' : 'ok',
        name,
        uptime_ms: Date.now() - started,
        problem,
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ name, requests, path: req.url }));
});

setTimeout(() => {
  server.listen(port, '127.0.0.1', () =>
    console.log(`${name} listening on http://127.0.0.1:${port}`),
  );
}, bootMs);

if (crashEvery > 0) {
  const at = crashEvery * (0.5 + Math.random());
  setTimeout(() => {
    console.error(`\x1b[31m${name}: fatal: simulated crash after ${Math.round(at / 1000)}s\x1b[0m`);
    process.exit(1);
  }, at).unref();
}
if (failEvery > 0) {
  setInterval(() => {
    console.warn(`${name}: overloaded, failing health checks for 20s`);
    unhealthyUntil = Date.now() + 20_000;
  }, failEvery).unref();
}

const stop = (sig) => {
  console.log(`${name}: ${sig}, closing`);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
