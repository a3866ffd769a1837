/**
 * The end-to-end fixture: a real `vigil up --ui` on a free port with a temporary data directory,
 * in its own process group. The page's address comes from the line it prints on stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURE_STACK = path.join(ROOT, 'e2e', 'fixtures', 'stack', 'vigil.yaml');

export interface RunningVigil {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** The page to open: `origin/?token=...` (sets the HttpOnly cookie). */
  readonly openUrl: string;
  readonly token: string;
  readonly dataDir: string;
  readonly pid: number;
  /** Calls the REST API with the bearer token. */
  api<T = unknown>(pathname: string, init?: RequestInit): Promise<T>;
  /** What Vigil printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const OPEN_RE = /vigil: open (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/;

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export async function startVigil(stack = FIXTURE_STACK, timeoutMs = 30_000): Promise<RunningVigil> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-e2e-'));
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'vigil.js'),
      'up',
      '--ui',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '-f',
      stack,
      '--json',
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  const pid = child.pid!;
  let stderr = '';
  let stdoutTail: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdoutTail = [...stdoutTail, ...chunk.split('\n')].slice(-200);
  });
  const found = await new Promise<{ origin: string; token: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`vigil up printed no address in ${timeoutMs} ms:\n${stderr}`)),
      timeoutMs,
    );
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const m = OPEN_RE.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ origin: m[1]!, token: m[2]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vigil up exited with ${code} before serving:\n${stderr}`));
    });
  });

  const servicePids = new Set<number>();
  const api = async <T>(pathname: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(found.origin + pathname, {
      ...init,
      headers: { Authorization: `Bearer ${found.token}`, ...(init.headers ?? {}) },
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${pathname}: ${res.status} ${text}`);
    const body = JSON.parse(text) as T;
    const services = (body as { services?: { pid: number | null }[] }).services;
    if (Array.isArray(services)) for (const s of services) if (s.pid) servicePids.add(s.pid);
    return body;
  };

  return {
    origin: found.origin,
    openUrl: `${found.origin}/?token=${found.token}`,
    token: found.token,
    dataDir,
    pid,
    api,
    output: () => `${stderr}\n${stdoutTail.join('\n')}`,
    async stop() {
      // Vigil stops its services in order on SIGTERM; SIGKILL its group if it hangs.
      killGroup(pid, 'SIGTERM');
      if (!(await waitExit(child, 15_000))) {
        killGroup(pid, 'SIGKILL');
        await waitExit(child, 5_000);
      }
      // Services run in their own groups: make sure none outlived Vigil.
      for (const p of servicePids) killGroup(p, 'SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
