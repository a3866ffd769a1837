// A bounded HTTP/1.1 load generator: CONNECTIONS keep-alive connections, each sending one GET at a
// time (no pipelining) for SECONDS, after WARMUP seconds not counted. Raw sockets and a minimal
// response parser (Content-Length framing only), so that the client costs as little CPU as it
// can: on a 2-core machine it shares the cores with what it measures.
//
//   node load.mjs PORT PATH CONNECTIONS SECONDS WARMUP
//
// Prints one JSON line: {requests, answered, errors, seconds, rps, p50, p99} (latencies in ms;
// `answered` counts the warm-up's responses too).
import net from 'node:net';

const [port, path, connsArg, secondsArg, warmupArg] = process.argv.slice(2);
const conns = Number(connsArg);
const seconds = Number(secondsArg);
const warmup = Number(warmupArg ?? 1);
const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
const MAX_SAMPLES = 2_000_000;
const latencies = new Float64Array(MAX_SAMPLES);
let count = 0;
// every response, warm-up included (for CPU per request)
let answered = 0;
let errors = 0;
let measuring = false;
let stopped = false;

function connection() {
  const socket = net.connect({ port: Number(port), host: '127.0.0.1', noDelay: true });
  let buf = Buffer.alloc(0);
  let sentAt = 0;
  const send = () => {
    if (stopped) {
      socket.destroy();
      return;
    }
    sentAt = performance.now();
    socket.write(request);
  };
  socket.on('connect', send);
  socket.on('data', (d) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    for (;;) {
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = buf.subarray(0, headEnd).toString('latin1');
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!m) {
        errors += 1;
        socket.destroy();
        return;
      }
      const total = headEnd + 4 + Number(m[1]);
      if (buf.length < total) return;
      const ok = head.startsWith('HTTP/1.1 200');
      buf = buf.subarray(total);
      answered += 1;
      if (measuring) {
        if (ok && count < MAX_SAMPLES) latencies[count++] = performance.now() - sentAt;
        else if (!ok) errors += 1;
      }
      send();
    }
  });
  socket.on('error', () => {
    if (measuring) errors += 1;
  });
  socket.on('close', () => {
    if (!stopped) setTimeout(connection, 10);
  });
}

for (let i = 0; i < conns; i += 1) connection();
setTimeout(() => {
  measuring = true;
  const t0 = performance.now();
  setTimeout(() => {
    measuring = false;
    stopped = true;
    const elapsed = (performance.now() - t0) / 1000;
    const v = Array.from(latencies.subarray(0, count)).sort((a, b) => a - b);
    const pct = (p) =>
      v.length ? v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)] : null;
    process.stdout.write(
      JSON.stringify({
        requests: count,
        answered,
        errors,
        seconds: elapsed,
        rps: count / elapsed,
        p50: pct(50),
        p99: pct(99),
      }) + '\n',
    );
    process.exit(0);
  }, seconds * 1000);
}, warmup * 1000);
