/**
 * Misbehaving services for the battery: small Node scripts written into a stack directory. Each
 * one does one bad thing on purpose and says what it did on stdout, so tests can find its pids.
 */
import { HTTP_SERVICE, ONESHOT } from '../src/main/core/testing/fixtures.js';

export { HTTP_SERVICE, ONESHOT };

/** Ignores SIGTERM, and so does a child in its process group. Prints `pids LEADER CHILD`. */
export const IGNORE_TERM = `
import { spawn } from 'node:child_process';
process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
const c = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
console.log('pids ' + process.pid + ' ' + c.pid);
setInterval(() => {}, 1000);
`;

/**
 * Three levels, all writing to the service's own stdout pipe: the leader, a child in its group, and
 * a grandchild that called setsid (its own session and group) and keeps that pipe open. The child
 * and grandchild ignore SIGTERM and SIGHUP. Each prints `level N PID`.
 */
export const TREE = `
import { spawn } from 'node:child_process';
const level = Number(process.argv[2] || '1');
process.on('SIGHUP', () => {});
if (level > 1) process.on('SIGTERM', () => {});
console.log('level ' + level + ' ' + process.pid);
if (level < 3) {
  const c = spawn(process.execPath, [process.argv[1], String(level + 1)], { stdio: 'inherit', detached: level === 2 });
  if (level === 2) c.unref();
}
if (level === 3) setInterval(() => console.log('grandchild still writing'), 500);
else setInterval(() => {}, 1000);
`;

/** HTTP on PORT whose /health alternates 200 and 503, request by request. */
export const FLAPPY_HEALTH = `
import http from 'node:http';
let n = 0;
http.createServer((req, res) => {
  n += 1;
  res.writeHead(n % 2 === 0 ? 503 : 200);
  res.end(n % 2 === 0 ? 'bad' : 'ok');
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('flappy listening'));
`;

/**
 * Hostile output: invalid UTF-8, NUL bytes, ANSI colours, then one line of LINE_MB megabytes, then
 * a last ordinary line. Stays alive afterwards.
 */
export const GARBAGE_OUTPUT = `
const out = process.stdout;
out.write(Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0xc3, 0x28, 0x20, 0xe2, 0x82, 0x0a]));
out.write(Buffer.from('nul\\u0000in\\u0000the\\u0000middle\\n', 'utf8'));
out.write('\\u001b[31mred\\u001b[0m \\u001b[1mbold\\u001b[0m\\n');
out.write('<script>alert(1)</script>\\n');
const mb = Number(process.env.LINE_MB || 20);
const block = Buffer.alloc(1024 * 1024, 0x78);
let i = 0;
function more() {
  while (i < mb) {
    i += 1;
    if (!out.write(block)) { out.once('drain', more); return; }
  }
  out.write('\\nafter the long line\\n', () => console.log('garbage done'));
}
more();
setInterval(() => {}, 1000);
`;

/** Prints numbered lines as fast as the pipe takes them, forever. */
export const FLOOD = `
const line = 'x'.repeat(200);
let n = 0;
function pump() {
  let ok = true;
  while (ok) { n += 1; ok = process.stdout.write(n + ' ' + line + '\\n'); }
  process.stdout.once('drain', pump);
}
pump();
`;

/** Forks sleepers as fast as it can (at most CAP, a safety net if nothing stops it). */
export const FORKER = `
import { spawn } from 'node:child_process';
const cap = Number(process.env.CAP || 400);
let n = 0;
console.log('forking');
const t = setInterval(() => {
  for (let k = 0; k < 5 && n < cap; k++) {
    n += 1;
    try { spawn('sleep', ['60'], { stdio: 'ignore' }).on('error', () => {}); } catch {}
  }
  if (n >= cap) clearInterval(t);
}, 2);
setInterval(() => {}, 1000);
`;

/** Stays up; prints its environment variable NAMES' values as JSON once (for env checks). */
export const ENV_DUMP = `
const keys = (process.env.DUMP_KEYS || '').split(',').filter(Boolean);
const out = {};
for (const k of keys) out[k] = process.env[k] ?? null;
console.log('env ' + JSON.stringify(out));
setInterval(() => {}, 1000);
`;

/** Stays up doing nothing. */
export const IDLE = `setInterval(() => {}, 1000);\n`;
