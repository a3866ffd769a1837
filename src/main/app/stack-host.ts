/**
 * Hosts one running stack inside the desktop app's main process: loads and validates the stack
 * file, takes the data directory, opens the history, runs the supervisor, serves the API over IPC
 * (and over REST on a free loopback port, so that the `vigil` CLI can talk to the desktop app),
 * and takes all of it down again. Written against structural interfaces so that it runs without
 * Electron (the integration test drives it with a fake ipcMain).
 */
import path from 'node:path';
import type { VigilApi, VigilClient } from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { VigilEvent } from '../../shared/events.js';
import type { LogLevel } from '../../shared/model.js';
import { createInProcessClient } from '../../shared/client/inprocess.js';
import { readOrCreateToken } from '../cli/paths.js';
import { createApi, eventSource } from '../core/api.js';
import { formatIssue, loadStack } from '../core/config/index.js';
import { createLogger, type Logger } from '../core/logger.js';
import { prometheusMetrics } from '../core/metrics.js';
import { createReloader, type Reloader } from '../core/reload.js';
import { HistoryStore } from '../core/store/index.js';
import { acquireDataDirLock, type DataDirLock } from '../core/store/lock.js';
import { Supervisor } from '../core/supervisor.js';
import { startHttpServer, type HttpServerHandle } from '../transport/http.js';
import { registerIpcHandlers, type IpcEventLike, type IpcMainLike } from '../transport/ipc.js';

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
  private current: {
    open: OpenStack;
    lock: DataDirLock;
    store: HistoryStore;
    reloader: Reloader;
    unregister: () => void;
    unsubscribe: () => void;
    server: HttpServerHandle | null;
    logger: Logger & { close(): void };
  } | null = null;
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
    const config = loaded.config;
    const dataDir = this.opts.dataDir;
    const lock = acquireDataDirLock(dataDir, {
      pid: process.pid,
      startTime: null,
      startedAt: Date.now(),
      stackFile: config.file,
    });
    const logger = createLogger({
      level: config.settings.logLevel as LogLevel,
      dir: path.join(dataDir, 'logs'),
      console: null,
    });
    try {
      for (const s of config.services)
        for (const k of s.secretEnv) if (s.env[k]) logger.addSecret(s.env[k]);
      // Warnings (e.g. replicas that still run as one instance) go to the stack's log.
      for (const w of loaded.warnings) logger.warn(formatIssue(w, { color: false }));
      const store = HistoryStore.open(dataDir, {
        logger,
        retentionMs: config.settings.retentionMs,
      });
      const supervisor = new Supervisor({ config, dataDir, logger, store });
      const reloader = createReloader(supervisor, { logger, env });
      const api = createApi(supervisor, {
        shutdown: () => this.opts.onShutdownRequested?.(),
        reload: (actor) => reloader.reload(actor),
      });
      const events = eventSource(supervisor);
      const unregister = registerIpcHandlers(this.opts.ipcMain, api, {
        isTrustedSender: this.opts.isTrustedSender,
        events,
        logger,
      });
      const unsubscribe = supervisor.subscribe((ev) => {
        this.opts.onEvent?.(ev);
        if (ev.type === 'status_update' && ev.event === 'emergency-shutdown') {
          this.opts.onShutdownRequested?.();
        }
      });
      let server: HttpServerHandle | null = null;
      if (this.opts.serveHttp ?? false) {
        try {
          const token = readOrCreateToken(dataDir);
          logger.addSecret(token);
          server = await startHttpServer({
            api,
            events,
            host: '127.0.0.1',
            port: 0,
            token,
            logger,
            metrics: () => prometheusMetrics(supervisor),
          });
          lock.update({ api: { url: server.url } });
        } catch (err) {
          logger.warn(`the REST API is not available to the CLI: ${String(err)}`);
        }
      }
      const open: OpenStack = {
        file: config.file,
        name: config.name,
        supervisor,
        api,
        client: createInProcessClient(api, 'ui'),
        logger,
        apiUrl: server?.url ?? null,
      };
      this.current = { open, lock, store, reloader, unregister, unsubscribe, server, logger };
      reloader.watch();
      void supervisor.start().catch((err: unknown) => {
        logger.error(`launch failed: ${err instanceof VigilError ? err.message : String(err)}`);
      });
      return open;
    } catch (err) {
      lock.release();
      logger.close();
      throw err;
    }
  }

  /** Stops every service of the current stack and releases everything it held. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const c = this.current;
    if (!c) return Promise.resolve();
    this.closing = (async () => {
      try {
        c.reloader.close();
        c.unregister();
        await c.open.supervisor.shutdown('stopped');
        c.unsubscribe();
        await c.server?.close().catch(() => undefined);
        c.store.close();
        c.lock.release();
        c.logger.close();
      } finally {
        this.current = null;
        this.closing = null;
      }
    })();
    return this.closing;
  }

  /** Kills what is left at once (a second quit request). */
  async forceKill(): Promise<void> {
    await this.current?.open.supervisor.forceKill();
  }
}
