// The demo's migration job: a oneshot that needs the database, does its work and exits 0.
const db = process.env.DB_URL;
const steps = ['create table orders', 'create table customers', 'add index orders_customer'];
for (const [i, step] of steps.entries()) {
  const res = await fetch(`${db}/health`).catch((err) => ({ ok: false, status: err.cause?.code }));
  if (!res.ok) {
    console.error(`migrate: database not reachable (${res.status})`);
    process.exit(1);
  }
  console.log(`migrate: ${i + 1}/${steps.length} ${step}`);
  await new Promise((r) => setTimeout(r, 150));
}
console.log('migrate: done');
