/**
 * Test helpers for the store: event builders, and a way to run the store's real TypeScript code in
 * a child Node process (bundled with esbuild, better-sqlite3 left external and found through
 * NODE_PATH), so tests can SIGKILL a writer or hold a lock from another process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  HealingAction,
  HealingEvent,
  HealthEvent,
  ServiceEvent,
  StatusEvent,
} from '../../../../shared/events.js';
import type { Health, Lifecycle, Reason } from '../../../../shared/model.js';
import { displayStatus } from '../../../../shared/model.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const storeDir = path.resolve(here, '..');
const repoRoot = path.resolve(here, '../../../../..');

export { removeTempDirs, tempDir } from '../../testing/temp.js';
import { tempDir as makeTempDir } from '../../testing/temp.js';

export function probeEvent(
  service: string,
  ts: number,
  o: {
    ok?: boolean;
    timedOut?: boolean;
    latencyMs?: number;
    from?: Health;
    to?: Health;
    generation?: number;
    detail?: string;
  } = {},
): HealthEvent {
  const ok = o.ok ?? true;
  return {
    type: 'health_update',
    ts,
    service,
    generation: o.generation ?? 1,
    result: {
      ok,
      timedOut: o.timedOut ?? false,
      latencyMs: o.latencyMs ?? 5,
      probe: 'http',
      detail: o.detail ?? (ok ? '200' : '503'),
      ts,
    },
    from: o.from ?? 'healthy',
    to: o.to ?? 'healthy',
    consecutiveFailures: ok ? 0 : 1,
    consecutiveSuccesses: ok ? 1 : 0,
  };
}

export function lifecycleEvent(
  service: string,
  ts: number,
  from: Lifecycle,
  to: Lifecycle,
  reason: Partial<Reason> & Pick<Reason, 'kind'>,
  generation = 1,
): ServiceEvent {
  return {
    type: 'service_event',
    ts,
    service,
    from,
    to,
    status: displayStatus(to, 'unknown'),
    generation,
    pid: to === 'running' ? 4242 : null,
    reason: { message: reason.kind, ...reason },
  };
}

export function healingEvent(
  service: string,
  ts: number,
  action: HealingAction,
  attempt = 1,
): HealingEvent {
  return {
    type: 'healing_event',
    ts,
    service,
    action,
    reason: { kind: 'exit', message: 'exited with code 1', exitCode: 1 },
    attempt,
    generation: attempt,
  };
}

export function statusEvent(ts: number, o: Partial<StatusEvent> = {}): StatusEvent {
  return { type: 'status_update', ts, system: 'healthy', message: 'all services healthy', ...o };
}

/**
 * Bundles `code` (TypeScript, may import the store's modules relatively from this directory) into
 * a CommonJS file in a temp dir; returns its path.
 */
export async function bundleScript(code: string, name: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = path.join(makeTempDir('vigil-store-child-'), `${name}.cjs`);
  await build({
    stdin: { contents: code, resolveDir: storeDir, loader: 'ts', sourcefile: `${name}.ts` },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['better-sqlite3'],
    logLevel: 'error',
  });
  return outfile;
}

export function runScript(file: string, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [file, ...args], {
    env: { ...process.env, NODE_PATH: path.join(repoRoot, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the first stdout line matching `re`, or rejects after `timeoutMs`. */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no line matching ${re} within ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        cleanup();
        resolve(line);
      }
    };
    const onErr = (d: Buffer): void => {
      err += d.toString();
    };
    const onExit = (): void => {
      cleanup();
      reject(new Error(`child exited before a line matching ${re}; stderr: ${err}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.on('exit', onExit);
  });
}

/** Resolves when the child has exited (at most `timeoutMs`). */
export function waitForExit(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    const timer = setTimeout(
      () => reject(new Error(`child ${child.pid} still running`)),
      timeoutMs,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}
