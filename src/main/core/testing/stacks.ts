/**
 * One way for the integration tests to run a stack in process: a temporary stack folder, its
 * loaded configuration, a supervisor without resource sampling, and an event log. `cleanup()`
 * (in an afterEach) SIGKILLs what was started and removes the folders.
 */
import type { StackConfig } from '../../../shared/model.js';
import { loadStack } from '../config/index.js';
import { HistoryStore } from '../store/index.js';
import { Supervisor } from '../supervisor.js';
import { EventLog, tempStack, type TempStack } from './fixtures.js';

export interface RunningStack {
  readonly sup: Supervisor;
  readonly log: EventLog;
  readonly stack: TempStack;
  readonly config: StackConfig;
}

export interface StackLab {
  /** Loads the stack (throwing its errors with line:col) and builds its supervisor, not started. */
  open(yaml: string, files?: Record<string, string>, opts?: LabOptions): RunningStack;
  /** `open`, then `sup.start()` without waiting for it. */
  launch(yaml: string, files?: Record<string, string>, opts?: LabOptions): RunningStack;
  cleanup(): Promise<void>;
}

export interface LabOptions {
  /** Keep the history in SQLite in the stack's data directory (default: none). */
  readonly history?: boolean;
}

export function stackLab(): StackLab {
  let stacks: TempStack[] = [];
  let sups: Supervisor[] = [];
  let stores: HistoryStore[] = [];
  const open = (
    yaml: string,
    files: Record<string, string> = {},
    opts: LabOptions = {},
  ): RunningStack => {
    const stack = tempStack(yaml, files);
    stacks.push(stack);
    const loaded = loadStack(stack.file, { env: process.env });
    if (!loaded.ok)
      throw new Error(loaded.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n'));
    const store = opts.history ? HistoryStore.open(stack.dataDir) : null;
    if (store) stores.push(store);
    const sup = new Supervisor({
      config: loaded.config,
      dataDir: stack.dataDir,
      sampleIntervalMs: 0,
      store,
    });
    sups.push(sup);
    const log = new EventLog();
    sup.subscribe(log.push);
    return { sup, log, stack, config: loaded.config };
  };
  return {
    open,
    launch(yaml, files, opts) {
      const s = open(yaml, files, opts);
      void s.sup.start();
      return s;
    },
    async cleanup() {
      for (const s of sups) await s.shutdown('stopped', 'SIGKILL').catch(() => undefined);
      for (const s of stores) s.close();
      for (const s of stacks) s.cleanup();
      stacks = [];
      sups = [];
      stores = [];
    },
  };
}
