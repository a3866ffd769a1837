/**
 * Hosts one running stack inside the desktop app's main process: loads and validates the stack
 * file, then opens it with the same wiring as `vigil up` (host/stack.ts: lock, history,
 * supervisor, reloader), serving the API over IPC (and over REST on a free loopback port when
 * asked, so that the `vigil` CLI can talk to the desktop app), and takes all of it down again.
 * Written against structural interfaces so that it runs without Electron (the integration test
 * drives it with a fake ipcMain).
 */
import type { VigilApi, VigilClient } from '../../shared/contract.js';
import type { VigilEvent } from '../../shared/events.js';
import { createInProcessClient } from '../transport/inprocess.js';
import { formatIssue, loadStack } from '../core/config/index.js';
import type { Logger } from '../core/logger.js';
import type { Supervisor } from '../core/supervisor.js';
import { openStack, type HostedStack } from '../host/stack.js';
import type { IpcEventLike, IpcMainLike } from '../transport/ipc.js';

export interface StackHostOptions {
  readonly dataDir: string;
  readonly ipcMain: IpcMainLike;
  readonly isTrustedSender: (event: IpcEventLike) => boolean;
  /** Serve REST on 127.0.0.1 (free port) for the CLI; off unless the user turns it on. */
  readonly serveHttp?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Every supervisor event (tray, notifications). */
  readonly onEvent?: (ev: VigilEvent) => void;
  /** The stack asked to be shut down (`vigil down`, emergency shutdown). */
  readonly onShutdownRequested?: () => void;
}

export interface OpenStack {
  readonly file: string;
  readonly name: string;
  readonly supervisor: Supervisor;
  readonly api: VigilApi;
  /** The API as a validated client (for menus: reports, start/stop all). */
  readonly client: VigilClient;
  readonly logger: Logger;
  readonly apiUrl: string | null;
}

/** Loading failed: the stack file's errors, formatted for a dialog. */
export class StackLoadError extends Error {
  constructor(
    readonly file: string,
    readonly details: readonly string[],
  ) {
    super(`${details.length} error${details.length === 1 ? '' : 's'} in ${file}`);
    this.name = 'StackLoadError';
  }
}

export class StackHost {
  private current: { open: OpenStack; hosted: HostedStack } | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly opts: StackHostOptions) {}

  get stack(): OpenStack | null {
    return this.current?.open ?? null;
  }

  /**
   * Opens a stack, closing the current one first, but only once the new file has loaded: a file
   * with errors leaves the current stack running. Throws StackLoadError or a VigilError.
   */
  async open(file: string): Promise<OpenStack> {
    const env = this.opts.env ?? process.env;
    const loaded = loadStack(file, { env });
    if (!loaded.ok) {
      throw new StackLoadError(
        file,
        loaded.errors.map((e) => formatIssue(e, { color: false })),
      );
    }
    await this.close();
    const hosted = await openStack({
      config: loaded.config,
      dataDir: this.opts.dataDir,
      env,
      logConsole: null,
      // The renderer talks over IPC; REST (for `vigil ps` and scripts) only when asked for.
      http: this.opts.serveHttp ? { host: '127.0.0.1', port: 0, required: false } : null,
      ipc: { ipcMain: this.opts.ipcMain, isTrustedSender: this.opts.isTrustedSender },
      ...(this.opts.onEvent ? { onEvent: this.opts.onEvent } : {}),
      onStopRequested: () => this.opts.onShutdownRequested?.(),
    });
    const open: OpenStack = {
      file: hosted.config.file,
      name: hosted.config.name,
      supervisor: hosted.supervisor,
      api: hosted.api,
      client: createInProcessClient(hosted.api, 'ui'),
      logger: hosted.logger,
      apiUrl: hosted.server?.url ?? null,
    };
    // Warnings (e.g. replicas that still run as one instance) go to the stack's log.
    for (const w of loaded.warnings) hosted.logger.warn(formatIssue(w, { color: false }));
    this.current = { open, hosted };
    hosted.start();
    return open;
  }

  /** Stops every service of the current stack and releases everything it held. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const c = this.current;
    if (!c) return Promise.resolve();
    this.closing = c.hosted.close('stopped').finally(() => {
      this.current = null;
      this.closing = null;
    });
    return this.closing;
  }

  /** Kills what is left at once (a second quit request). */
  async forceKill(): Promise<void> {
    await this.current?.hosted.forceKill();
  }
}
