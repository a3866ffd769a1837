/**
 * The `exec` probe: runs a command in its own process group and reports its exit status with the
 * tail of its output. On timeout or abort the whole group is SIGKILLed, so a probe script that
 * started children of its own leaves nothing behind; after a normal exit, anything the command
 * left running in its group is killed too. On Windows there are no process groups: only the
 * command itself is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { CommandSpec } from '../../../shared/model.js';
import { errorCode } from './sockets.js';

/** How much of the output the detail carries. */
export const OUTPUT_TAIL_BYTES = 500;
/** How long to wait for the output pipes to drain after the command exited. */
const DRAIN_MS = 200;

export type ExecOutcome =
  | {
      readonly kind: 'exited';
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly output: string;
    }
  | { readonly kind: 'spawn_error'; readonly code: string; readonly file: string }
  | { readonly kind: 'timeout'; readonly output: string }
  | { readonly kind: 'aborted' };

export interface ExecOptions {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

const isWindows = process.platform === 'win32';

/** Keeps only the last `limit` bytes of what was written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const cut = all.length > this.limit ? all.subarray(all.length - this.limit) : all;
    return cut
      .toString('utf8')
      .replace(/^\uFFFD+/, '')
      .trim();
  }
}

function killTree(child: ChildProcess): void {
  if (!isWindows && child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is already gone.
    }
  }
  if (child.exitCode === null && child.signalCode === null) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function runExec(command: CommandSpec, opts: ExecOptions): Promise<ExecOutcome> {
  return new Promise<ExecOutcome>((resolve) => {
    const { signal } = opts;
    if (signal?.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    let file: string;
    let args: string[];
    if (command.kind === 'shell') {
      file = isWindows ? (process.env.ComSpec ?? 'cmd.exe') : '/bin/sh';
      args = isWindows ? ['/d', '/s', '/c', command.script] : ['-c', command.script];
    } else {
      const [first, ...rest] = command.argv;
      if (first === undefined) {
        resolve({ kind: 'spawn_error', code: 'EINVAL', file: '(empty command)' });
        return;
      }
      file = first;
      args = rest;
    }

    const tail = new Tail(OUTPUT_TAIL_BYTES);
    let done = false;
    let timer: NodeJS.Timeout | null = null;
    let drainTimer: NodeJS.Timeout | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let child: ChildProcess;

    const finish = (outcome: ExecOutcome): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (drainTimer) clearTimeout(drainTimer);
      signal?.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(outcome);
    };
    const exited = (): void => {
      if (exit) finish({ kind: 'exited', ...exit, output: tail.text() });
    };
    const onAbort = (): void => {
      killTree(child);
      finish({ kind: 'aborted' });
    };

    try {
      child = spawn(file, args, {
        cwd: opts.cwd,
        env: { ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so that a timeout can kill everything it started.
        detached: !isWindows,
        windowsHide: true,
      });
    } catch (err) {
      resolve({ kind: 'spawn_error', code: errorCode(err), file });
      return;
    }
    child.stdout?.on('data', (c: Buffer) => tail.push(c));
    child.stderr?.on('data', (c: Buffer) => tail.push(c));
    child.stdout?.on('error', () => {});
    child.stderr?.on('error', () => {});
    child.on('error', (err) => {
      // Spawn failures (ENOENT, EACCES, missing cwd) arrive here; so can a failed kill.
      if (exit === null && child.pid === undefined) {
        finish({ kind: 'spawn_error', code: errorCode(err), file });
      }
    });
    child.on('exit', (code, sig) => {
      exit = { code, signal: sig };
      // Leftovers in the group would hold the output pipes open; the probe is over.
      killTree(child);
      drainTimer = setTimeout(exited, DRAIN_MS);
    });
    child.on('close', exited);
    timer = setTimeout(
      () => {
        if (exit) return exited();
        killTree(child);
        finish({ kind: 'timeout', output: tail.text() });
      },
      Math.max(1, opts.timeoutMs),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
