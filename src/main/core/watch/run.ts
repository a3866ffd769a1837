/**
 * `action: run`: the watch's command, run in the service's cwd and environment, in its own
 * process group, its output written to the service's log with a `[watch]` prefix.
 */
import type { CommandSpec } from '../../../shared/model.js';
import { spawnService, type ExitInfo, type ServiceProcess } from '../process/spawn.js';

export const RUN_PREFIX = '[watch] ';
/** The last output lines kept for the error message of a failed run. */
const TAIL_LINES = 5;

export interface RunRequest {
  readonly service: string;
  readonly command: CommandSpec;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly marker: string;
  readonly onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface RunOutcome {
  readonly ok: boolean;
  readonly exit: ExitInfo;
  /** "exited with code 2: tsc: error TS2304 ..." */
  readonly message: string;
}

export interface RunningCommand {
  readonly proc: ServiceProcess;
  readonly done: Promise<RunOutcome>;
}

export function commandText(c: CommandSpec): string {
  return c.kind === 'shell' ? c.script : c.argv.join(' ');
}

export function runWatchCommand(req: RunRequest): RunningCommand {
  const tail: string[] = [];
  const proc = spawnService(
    { name: req.service, command: req.command, cwd: req.cwd, env: req.env, marker: req.marker },
    (stream, line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      req.onLine(stream, `${RUN_PREFIX}${line}`);
    },
  );
  const done = proc.exited.then((exit): RunOutcome => {
    const ok = exit.error === undefined && exit.code === 0;
    const how =
      exit.error !== undefined
        ? exit.error
        : exit.code !== null
          ? `exited with code ${exit.code}`
          : `was killed by ${exit.signal ?? 'a signal'}`;
    const last = tail
      .filter((l) => l.trim() !== '')
      .slice(-2)
      .join(' | ');
    return { ok, exit, message: ok ? 'succeeded' : last ? `${how}: ${last}` : how };
  });
  return { proc, done };
}
