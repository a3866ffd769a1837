/**
 * Opening a stack: the one wiring that `vigil up` and the desktop app share. Takes the data
 * directory's lock, opens Vigil's log and the SQLite history, builds the supervisor, the API and
 * the reloader, serves the API (REST + WebSocket, and IPC in the desktop app); `start` launches
 * the services and watches the stack file; `close` takes all of it down in reverse. A fix here reaches both shapes.
 *
 * Plain Node: the desktop app passes its `ipcMain` in through the structural `IpcMainLike`.
 */
import path from 'node:path';
import type { VigilApi } from '../../shared/contract.js';
import { VigilError } from '../../shared/errors.js';
import type { VigilEvent } from '../../shared/events.js';
import type { LogLevel, StackConfig } from '../../shared/model.js';
import { createApi, eventSource } from '../api/api.js';
import { createLogger, type Logger } from '../core/logger.js';
import { prometheusMetrics } from '../api/metrics.js';
import { createReloader, type Reloader } from '../core/reload.js';
import { HistoryStore } from '../core/store/index.js';
import { Supervisor } from '../core/supervisor.js';
import type { EventSource } from '../transport/stream.js';
import { startHttpServer, type HttpServerHandle } from '../transport/http.js';
import { registerIpcHandlers, type IpcEventLike, type IpcMainLike } from '../transport/ipc.js';
import { readOrCreateToken } from './data-dir.js';
import { acquireDataDirLock, type DataDirLock } from './lock.js';

export type StopHow = 'stopped' | 'emergency-shutdown';

export interface HttpOptions {
  readonly host: string;
  /** 0 for a free port. */
  readonly port: number;
  /** Explicit token; else the data directory's (created once). */
  readonly token?: string;
  /** Serve the browser UI's files from here too. */
  readonly staticDir?: string;
  /** True: failing to listen fails the opening (`vigil up`); false: a warning (the desktop app). */
  readonly required: boolean;
}

export interface StackOptions {
  readonly config: StackConfig;
  readonly dataDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where Vigil's own log lines go besides its files; null for none. */
  readonly logConsole: NodeJS.WritableStream | null;
  readonly color?: boolean;
  readonly http?: HttpOptions | null;
  readonly ipc?: {
    readonly ipcMain: IpcMainLike;
    isTrustedSender(event: IpcEventLike): boolean;
  } | null;
  /** Every supervisor event (printer, tray, notifications). */
  readonly onEvent?: (ev: VigilEvent) => void;
  /** The stack asked to be stopped: `vigil down` / the API, or an emergency shutdown. */
  readonly onStopRequested?: (how: StopHow) => void;
}

export interface HostedStack {
  readonly config: StackConfig;
  readonly supervisor: Supervisor;
  readonly api: VigilApi;
  readonly events: EventSource;
  readonly logger: Logger;
  readonly server: HttpServerHandle | null;
  /** The REST token when the API is served. */
  readonly token: string | null;
  /** Launches the services (once the caller has said what it serves). */
  start(): void;
  /**
   * Stops every service (reverse dependency order) and releases everything. `afterShutdown` runs
   * once the services are down, before the store closes. Idempotent.
   */
  close(how?: StopHow, afterShutdown?: () => void): Promise<void>;
  /** Kills what is left at once (a second Ctrl-C, a second quit). */
  forceKill(): Promise<void>;
}

/**
 * Opens the stack. Throws a VigilError when the data directory is taken or unusable, or the
 * required API cannot listen (an `EADDRINUSE` error keeps its code); nothing is left held then.
 */
export async function openStack(opts: StackOptions): Promise<HostedStack> {
  const { config, dataDir } = opts;
  const lock: DataDirLock = acquireDataDirLock(dataDir, {
    pid: process.pid,
    startTime: null,
    startedAt: Date.now(),
    stackFile: config.file,
  });
  const logger = createLogger({
    level: config.settings.logLevel as LogLevel,
    dir: path.join(dataDir, 'logs'),
    console: opts.logConsole,
    ...(opts.color !== undefined ? { color: opts.color } : {}),
  });
  let store: HistoryStore | null = null;
  try {
    for (const s of config.services)
      for (const k of s.secretEnv) if (s.env[k]) logger.addSecret(s.env[k]);
    const token = opts.http ? (opts.http.token ?? readOrCreateToken(dataDir)) : null;
    if (token) logger.addSecret(token);
    store = HistoryStore.open(dataDir, { logger, retentionMs: config.settings.retentionMs });
    const supervisor = new Supervisor({ config, dataDir, logger, store });
    const reloader: Reloader = createReloader(supervisor, { logger, env: opts.env });
    const api = createApi(supervisor, {
      shutdown: () => opts.onStopRequested?.('stopped'),
      reload: (actor) => reloader.reload(actor),
    });
    const events = eventSource(supervisor);
    const unsubscribe = supervisor.subscribe((ev) => {
      opts.onEvent?.(ev);
      if (ev.type === 'status_update' && ev.event === 'emergency-shutdown')
        opts.onStopRequested?.('emergency-shutdown');
    });

    let server: HttpServerHandle | null = null;
    if (opts.http && token) {
      try {
        server = await startHttpServer({
          api,
          events,
          host: opts.http.host,
          port: opts.http.port,
          token,
          logger,
          metrics: () => prometheusMetrics(supervisor),
          ...(opts.http.staticDir ? { staticDir: opts.http.staticDir } : {}),
        });
        lock.update({ api: { url: server.url } });
      } catch (err) {
        if (opts.http.required) {
          unsubscribe();
          throw err;
        }
        logger.warn(`the REST API is not available to the CLI: ${String(err)}`);
      }
    }
    const unregister = opts.ipc
      ? registerIpcHandlers(opts.ipc.ipcMain, api, {
          isTrustedSender: opts.ipc.isTrustedSender,
          events,
          logger,
        })
      : () => undefined;

    const opened = store;
    let started = false;
    let closing: Promise<void> | null = null;
    return {
      config,
      supervisor,
      api,
      events,
      logger,
      server,
      token,
      start() {
        if (started) return;
        started = true;
        reloader.watch();
        void supervisor.start().catch((err: unknown) => {
          logger.error(`launch failed: ${err instanceof VigilError ? err.message : String(err)}`);
        });
      },
      close(how = 'stopped', afterShutdown) {
        closing ??= (async () => {
          reloader.close();
          unregister();
          await supervisor.shutdown(how);
          afterShutdown?.();
          unsubscribe();
          await server?.close().catch(() => undefined);
          opened.close();
          lock.release();
          logger.info('vigil stopped');
          logger.close();
        })();
        return closing;
      },
      forceKill: () => supervisor.forceKill(),
    };
  } catch (err) {
    store?.close();
    lock.release();
    logger.close();
    throw err;
  }
}
