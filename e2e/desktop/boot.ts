/**
 * Boots the real desktop main bundle (out/main/index.js) under plain Node with the stand-in
 * `electron` (fake-electron.mjs, resolved by hooks.mjs), in its own process group with a fresh data
 * directory and user directory. Everything the app asks of Electron arrives as a record; the test
 * drives the app back through `op` (IPC calls as a frame would make them, menu clicks, navigation).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/vigil.js';

export const MAIN_BUNDLE = path.join(ROOT, 'out', 'main', 'index.js');
export const PRELOAD_BUNDLE = path.join(ROOT, 'out', 'preload', 'index.cjs');
export const RENDERER_DIR = path.join(ROOT, 'out', 'renderer');
export const RENDERER_INDEX = path.join(RENDERER_DIR, 'index.html');
const REGISTER = path.join(ROOT, 'e2e', 'desktop', 'register.mjs');

export interface Rec {
  readonly kind: string;
  readonly data: Record<string, unknown>;
}

export interface SentToPage {
  readonly senderId: number;
  readonly channel: string;
  readonly msg: unknown;
}

export interface IpcEnvelope {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Whether a process runs (a zombie, dead but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux';
  }
}

export class BootedMain {
  readonly records: Rec[] = [];
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private nextId = 1;
  private readonly replies = new Map<number, (m: { value?: unknown; error?: string }) => void>();
  private readonly sendListeners = new Set<(m: SentToPage) => void>();
  private readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly home: string,
  ) {
    child.on('message', (m: { type: string } & Record<string, unknown>) => {
      if (m.type === 'record')
        this.records.push({ kind: String(m.kind), data: m.data as Rec['data'] });
      else if (m.type === 'send') for (const l of this.sendListeners) l(m as unknown as SentToPage);
      else if (m.type === 'reply') {
        const fn = this.replies.get(Number(m.id));
        this.replies.delete(Number(m.id));
        fn?.(m as { value?: unknown; error?: string });
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-20_000);
    });
    child.stdout?.resume();
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
  }

  /** Starts the bundle; `env` adds to (or, with undefined, removes from) the environment. */
  static start(
    args: readonly string[] = [],
    env: Record<string, string | undefined> = {},
  ): BootedMain {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-boot-data-'));
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-boot-home-'));
    const childEnv: Record<string, string | undefined> = {
      ...process.env,
      VIGIL_DATA_DIR: dataDir,
      VIGIL_FAKE_ELECTRON_HOME: home,
      ELECTRON_RENDERER_URL: undefined,
      VIGIL_SQLITE_BINDING: undefined,
      NO_COLOR: '1',
      ...env,
    };
    for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
    const child = fork(MAIN_BUNDLE, [...args], {
      cwd: ROOT,
      execArgv: ['--import', REGISTER],
      env: childEnv as NodeJS.ProcessEnv,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new BootedMain(child, dataDir, home);
  }

  op<T = unknown>(name: string, arg: unknown = {}, timeoutMs = 20_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new Error(`op ${name} got no answer in ${timeoutMs} ms\n${this.stderr}`));
      }, timeoutMs);
      this.replies.set(id, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(m.error));
        else resolve(m.value as T);
      });
      if (!this.child.connected) {
        clearTimeout(timer);
        reject(
          new Error(`the main process is gone (${JSON.stringify(this.exit)})\n${this.stderr}`),
        );
        return;
      }
      this.child.send({ type: 'op', id, op: name, arg });
    });
  }

  /** Calls an IPC handler as the preload would, from a frame at `frameUrl`. */
  async invoke(
    channel: string,
    args: readonly unknown[],
    frameUrl: string | null,
    senderId = 1,
  ): Promise<IpcEnvelope | 'no handler'> {
    const r = await this.op<{ result?: IpcEnvelope; noHandler?: boolean }>('invoke', {
      channel,
      args,
      frameUrl,
      senderId,
    });
    return r.noHandler ? 'no handler' : (r.result as IpcEnvelope);
  }

  onSend(fn: (m: SentToPage) => void): () => void {
    this.sendListeners.add(fn);
    return () => this.sendListeners.delete(fn);
  }

  all(kind: string): Rec[] {
    return this.records.filter((r) => r.kind === kind);
  }

  async waitFor(what: string, pred: () => boolean, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end || this.exit) {
        if (pred()) return;
        throw new Error(
          `waited ${timeoutMs} ms for ${what}${this.exit ? ` (main exited ${JSON.stringify(this.exit)})` : ''}\n` +
            `records: ${this.records.map((r) => r.kind).join(', ')}\nstderr: ${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  waitRecord(kind: string, pred: (d: Rec['data']) => boolean = () => true, timeoutMs = 30_000) {
    return this.waitFor(
      kind,
      () => this.records.some((r) => r.kind === kind && pred(r.data)),
      timeoutMs,
    );
  }

  /** Resolves once the process has exited (or after `timeoutMs`, false). */
  async exited_(timeoutMs: number): Promise<boolean> {
    const t = new Promise<false>((r) => setTimeout(() => r(false), timeoutMs));
    return Promise.race([this.exited.then(() => true as const), t]);
  }

  /** Kills whatever is left (the group), removes the directories. For `afterAll`. */
  async dispose(): Promise<void> {
    if (!this.exit && this.child.pid) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await this.exited_(5_000);
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/** Which of these pids still run, or still lead a process group with a running member. */
export function survivors(pids: readonly number[]): number[] {
  const groups = new Map<number, number[]>();
  if (process.platform === 'linux') {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (fields[0] === 'Z' || fields[0] === 'X') continue;
        const pgid = Number(fields[2]);
        groups.set(pgid, [...(groups.get(pgid) ?? []), Number(entry)]);
      } catch {
        // gone meanwhile
      }
    }
  }
  return pids.filter((pid) => alive(pid) || (groups.get(pid)?.length ?? 0) > 0);
}
