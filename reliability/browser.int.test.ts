/**
 * A real headless Chromium against a real `vigil up`: a page from another origin (a second local
 * server, same machine, so the UI's cookie would even ride along) tries a no-cors fetch POST, a
 * form POST, a beacon, `<img>` GETs and a WebSocket against the API; a DNS-rebinding page tries
 * same-origin requests under a foreign Host. Nothing changes: restart counts, generations and the
 * service list are the same before and after, and Vigil is still running.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Tracker,
  buildCli,
  oneServiceStack,
  runUntilReady,
  serviceDetail,
  sleep,
  stopVigil,
  type VigilApiHandle,
  type VigilRun,
} from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  process.stderr.write(
    `browser attack tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)\n`,
  );
}

const t = new Tracker();
let run: VigilRun;
let api: VigilApiHandle;
let attacker: http.Server;
let attackerPort = 0;

/** The attacker's page: every way a web page can send a request without reading the answer. */
function attackPage(apiBase: string, wsBase: string): string {
  return `<!doctype html><html><body>
<iframe name="sink" style="display:none"></iframe>
<form id="f1" method="POST" action="${apiBase}/orchestrator/restart/api" enctype="text/plain" target="sink">
  <input name='{"force":true,"x":"' value='"}'>
</form>
<form id="f2" method="POST" action="${apiBase}/orchestrator/shutdown" enctype="application/x-www-form-urlencoded" target="sink">
  <input name="a" value="b">
</form>
<img src="${apiBase}/orchestrator/restart/api">
<img src="${apiBase}/orchestrator/stop/api">
<img src="${apiBase}/orchestrator/shutdown">
<script>
window.results = [];
const note = (what, v) => window.results.push(what + ': ' + v);
async function attack() {
  const posts = ['/orchestrator/restart/api', '/orchestrator/stop/api', '/orchestrator/quarantine/api', '/orchestrator/shutdown', '/orchestrator/reload'];
  for (const p of posts) {
    try { const r = await fetch('${apiBase}' + p, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"force":true}' }); note('no-cors ' + p, r.type); } catch (e) { note('no-cors ' + p, 'error'); }
    try { const r = await fetch('${apiBase}' + p, { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: '{"force":true}' }); note('cors ' + p, r.status); } catch (e) { note('cors ' + p, 'blocked'); }
    try { note('beacon ' + p, navigator.sendBeacon('${apiBase}' + p, new Blob(['{"force":true}'], { type: 'text/plain' }))); } catch (e) { note('beacon ' + p, 'error'); }
  }
  try { const r = await fetch('${apiBase}/orchestrator/register/ext', { method: 'DELETE', mode: 'no-cors', credentials: 'include' }); note('no-cors delete', r.type); } catch (e) { note('no-cors delete', 'error'); }
  try { const r = await fetch('${apiBase}/orchestrator/register/ext', { method: 'DELETE', credentials: 'include' }); note('cors delete', r.status); } catch (e) { note('cors delete', 'blocked'); }
  try { const r = await fetch('${apiBase}/orchestrator/status', { credentials: 'include' }); note('read status', r.status); } catch (e) { note('read status', 'blocked'); }
  await new Promise((resolve) => {
    const ws = new WebSocket('${wsBase}/orchestrator/stream');
    ws.onopen = () => { note('ws', 'OPEN'); ws.close(); resolve(); };
    ws.onerror = () => { note('ws', 'refused'); resolve(); };
  });
  document.getElementById('f1').submit();
  await new Promise((r) => setTimeout(r, 300));
  document.getElementById('f2').submit();
  await new Promise((r) => setTimeout(r, 300));
  window.done = true;
}
attack();
</script></body></html>`;
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  buildCli();
  const { stack } = await oneServiceStack(t);
  ({ run, api } = await runUntilReady(t, { stack }));
  // A registered service, so that the attack can try to make it leave.
  const reg = await api.post('/orchestrator/register', {
    name: 'ext',
    url: 'http://127.0.0.1:1/',
    heartbeat_interval: 3_600_000,
  });
  expect(reg.status, reg.text).toBe(200);
  attacker = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(attackPage(`http://127.0.0.1:${api.port}`, `ws://127.0.0.1:${api.port}`));
  });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', () => r()));
  attackerPort = (attacker.address() as { port: number }).port;
}, 40_000);

afterAll(async () => {
  if (attacker) await new Promise((r) => attacker.close(r));
  if (run) await stopVigil(run).catch(() => undefined);
  await t.cleanup();
});

async function snapshot(): Promise<string> {
  const d = await serviceDetail(api, 'api');
  const list = (await api.get('/orchestrator/services')).json as { total_services: number };
  return JSON.stringify({
    generation: d.generation,
    restarts: d.restart_count,
    lifecycle: d.lifecycle,
    quarantine: d.quarantine_reason,
    services: list.total_services,
  });
}

describe.skipIf(!HAVE_CHROMIUM)('a hostile web page in a real browser', () => {
  it('cannot restart, stop, quarantine or shut down anything, with or without the UI cookie', async () => {
    const { chromium } = await import('playwright-core');
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-chromium-'));
    t.onCleanup(() => fs.rmSync(profile, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--host-resolver-rules=MAP rebind.test 127.0.0.1',
      ],
    });
    try {
      const before = await snapshot();
      const page = await context.newPage();
      // The user opened the UI once: the browser holds Vigil's token cookie.
      await page.goto(`http://127.0.0.1:${api.port}/?token=${api.token}`);
      const cookies = await context.cookies(`http://127.0.0.1:${api.port}`);
      expect(cookies.some((c) => c.name === 'vigil_token')).toBe(true);

      // Now a page from another origin on the same machine attacks.
      await page.goto(`http://127.0.0.1:${attackerPort}/`);
      await page.waitForFunction(
        () => (window as unknown as { done?: boolean }).done === true,
        null,
        {
          timeout: 20_000,
        },
      );
      const results = await page.evaluate(
        () => (window as unknown as { results: string[] }).results,
      );
      expect(results.filter((r) => r.startsWith('cors '))).toEqual(
        results.filter((r) => r.startsWith('cors ')).map((r) => r.replace(/: .*$/, ': blocked')),
      );
      expect(results).toContain('ws: refused');
      expect(results).toContain('cors delete: blocked');
      expect(results).toContain('read status: blocked');

      // DNS rebinding: a page whose origin is http://rebind.test:<api port> (resolving to
      // 127.0.0.1) sends same-origin requests; the foreign Host gives them away.
      await page.goto(`http://rebind.test:${api.port}/`);
      const rebound = await page.evaluate(async () => {
        const out: number[] = [];
        const del = await fetch('/orchestrator/register/ext', { method: 'DELETE' });
        out.push(del.status);
        for (const p of [
          '/orchestrator/status',
          '/orchestrator/restart/api',
          '/orchestrator/shutdown',
        ]) {
          const r = await fetch(p, {
            method: p === '/orchestrator/status' ? 'GET' : 'POST',
            headers: { 'Content-Type': 'application/json' },
            ...(p === '/orchestrator/status' ? {} : { body: '{"force":true}' }),
          });
          out.push(r.status);
        }
        return out;
      });
      expect(rebound).toEqual([403, 403, 403, 403]);

      await sleep(500);
      expect(await snapshot()).toBe(before);
      expect(run.child.exitCode).toBeNull();
      expect(
        run.events.some(
          (e) => e.type === 'healing_event' || (e.type === 'service_event' && e.to === 'stopping'),
        ),
      ).toBe(false);
    } finally {
      await context.close();
    }
  }, 90_000);
});
