// The floor: the same services started directly, all at once, by a plain script with no health
// checks, no logs and no bookkeeping. A service that dies is spawned again at once. SIGTERM stops
// every service (SIGTERM, then SIGKILL after 10 s) and exits.
// Usage: node floor-launcher.mjs SPEC.json   (SPEC: {script, services: [{env}]})
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const children = new Set();
let stopping = false;

function launch(env) {
  // Each service in its own session, as Vigil and PM2 start them: with the kernel's autogroup
  // scheduling, services left in the launcher's session would share one CPU share on a busy machine.
  const child = spawn(process.execPath, [spec.script], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
    detached: true,
  });
  children.add(child);
  child.once('exit', () => {
    children.delete(child);
    if (!stopping) launch(env);
    else if (children.size === 0) process.exit(0);
  });
  child.once('error', () => children.delete(child));
}

for (const s of spec.services) launch(s.env);

process.on('SIGTERM', () => {
  stopping = true;
  if (children.size === 0) process.exit(0);
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(0);
  }, 10_000).unref();
});
