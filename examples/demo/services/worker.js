// The demo's background worker: no port of its own; it reports readiness in its log (the stack
// uses a `log` probe) and then pulls "jobs" from the API.
const api = process.env.API_URL;
let done = 0;
async function tick() {
  try {
    const res = await fetch(`${api}/jobs/next`, { signal: AbortSignal.timeout(1000) });
    if (res.ok) {
      done += 1;
      if (done % 10 === 0) console.log(`worker: processed ${done} jobs`);
    } else console.warn(`worker: api answered ${res.status}`);
  } catch (err) {
    console.warn(`worker: api unreachable (${err.cause?.code ?? err.name}), retrying`);
  }
}
console.log('worker: connecting to the queue');
setTimeout(() => {
  console.log('worker ready');
  setInterval(tick, 1000);
}, 300);
process.on('SIGTERM', () => {
  console.log(`worker: stopping after ${done} jobs`);
  process.exit(0);
});
