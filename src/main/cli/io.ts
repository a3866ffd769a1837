/**
 * What a CLI command needs from the outside world, behind one object so that commands can be run
 * in-process by tests with captured output.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** A command gets its own arguments (after the command name) and returns the exit code. */
export type CommandFn = (argv: readonly string[], io: CliIO) => Promise<number>;

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Usage errors and invalid stack files. */
export const EXIT_USAGE = 2;

export const DEFAULT_STACK_NAMES = ['vigil.yaml', 'vigil.yml'] as const;

/**
 * The stack file a command works on: `-f FILE` if given (relative to cwd), else `vigil.yaml` /
 * `vigil.yml` in cwd, else null.
 */
export function findStackFile(file: string | undefined, cwd: string): string | null {
  if (file !== undefined) return path.resolve(cwd, file);
  for (const name of DEFAULT_STACK_NAMES) {
    const candidate = path.join(cwd, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** Captures a command's output in memory (tests). */
export function memoryIO(
  opts: { cwd?: string; env?: Record<string, string | undefined>; tty?: boolean } = {},
): CliIO & { out(): string; err(): string } {
  const chunks = { out: [] as string[], err: [] as string[] };
  const stream = (into: string[]) =>
    ({
      isTTY: opts.tty ?? false,
      write(chunk: string | Uint8Array) {
        into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      },
    }) as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  return {
    stdout: stream(chunks.out),
    stderr: stream(chunks.err),
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    out: () => chunks.out.join(''),
    err: () => chunks.err.join(''),
  };
}
