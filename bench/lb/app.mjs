// The app behind the balancers: a small HTTP service on $PORT. GET /health answers 200 with the
// process id (to tell instances apart), every other path a short fixed body. Every response has a
// Content-Length, as most real apps' small responses do. Keep-alive as Node's defaults give it.
import http from 'node:http';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('app: PORT must be set\n');
  process.exit(2);
}
const health = Buffer.from(JSON.stringify({ pid: process.pid, t0: performance.timeOrigin }));
const hello = Buffer.from('hello from the app\n');

http
  .createServer((req, res) => {
    const body = req.url === '/health' ? health : hello;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  })
  .listen(port, '127.0.0.1');
