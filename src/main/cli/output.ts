/**
 * How `vigil up` shows what happens: one JSON object per line with `--json`; otherwise readable
 * lines (coloured on a TTY), and on a TTY a one-line live summary of phases and states.
 */
import pc from 'picocolors';
import type { VigilEvent } from '../../shared/events.js';
import type { DisplayStatus, Health, Lifecycle } from '../../shared/model.js';
import { formatDuration } from '../../shared/duration.js';

export interface EventPrinter {
  print(ev: VigilEvent): void;
  /** Clears the live line before other output (logs, errors). */
  clearLive(): void;
  /** Writes other output (Vigil's own log lines) without garbling the live line. */
  passthrough(stream: NodeJS.WritableStream, text: string): void;
  close(): void;
}

const time = (ts: number): string => new Date(ts).toTimeString().slice(0, 8);

function paintStatus(s: DisplayStatus | Lifecycle | Health, color: boolean): string {
  if (!color) return s;
  switch (s) {
    case 'healthy':
    case 'running':
    case 'completed':
      return pc.green(s);
    case 'degraded':
    case 'starting':
    case 'waiting':
    case 'backoff':
    case 'stopping':
      return pc.yellow(s);
    case 'unhealthy':
    case 'timeout':
    case 'failed':
    case 'quarantined':
      return pc.red(s);
    default:
      return pc.dim(s);
  }
}

/** A sentence for one event, or null for events not worth a line (probe results, logs). */
export function describeEvent(ev: VigilEvent, color = false): string | null {
  const c = (s: string, f: (x: string) => string) => (color ? f(s) : s);
  switch (ev.type) {
    case 'service_event': {
      const pid = ev.pid !== null && ev.to === 'starting' ? ` pid ${ev.pid}` : '';
      const why =
        ev.to === 'waiting'
          ? ` (blocked by ${(ev.blockedBy ?? []).join(', ')})`
          : ev.to === 'backoff' && ev.nextAttemptAt
            ? ` (${ev.reason.message}; next attempt in ${formatDuration(Math.max(0, ev.nextAttemptAt - ev.ts))})`
            : ev.reason.message && ev.to !== 'starting'
              ? ` (${ev.reason.message})`
              : '';
      return `${c(time(ev.ts), pc.dim)} ${c(ev.service, pc.bold)} ${paintStatus(ev.to, color)}${pid}${why}`;
    }
    case 'health_update':
      // The first success of a start is told by the `running` line that follows.
      if (ev.from === ev.to || ev.from === 'unknown') return null;
      return `${c(time(ev.ts), pc.dim)} ${c(ev.service, pc.bold)} health ${paintStatus(ev.to, color)} (${ev.result.detail})`;
    case 'healing_event': {
      // Scheduled: the restart comes in that long; done: it came after that long.
      const when = ev.action === 'restart_scheduled' ? 'in' : 'after';
      const delay = ev.delayMs !== undefined ? ` ${when} ${formatDuration(ev.delayMs)}` : '';
      const attempt = ev.attempt ? ` attempt ${ev.attempt}` : '';
      return `${c(time(ev.ts), pc.dim)} ${c(ev.service, pc.bold)} ${c(ev.action.replace(/_/g, ' '), pc.cyan)}${attempt}${delay}: ${ev.reason.message}`;
    }
    case 'status_update': {
      const text = ev.message;
      const paint =
        ev.system === 'healthy' ? pc.green : ev.system === 'critical' ? pc.red : pc.yellow;
      return `${c(time(ev.ts), pc.dim)} ${c(text, paint)}`;
    }
    case 'log':
      return null;
  }
}

/**
 * Output the reader has not taken yet past which log lines are dropped (and counted) instead of
 * queued in memory: a stalled reader of `vigil up --json` must not make Vigil grow without bound.
 */
export const MAX_UNREAD_LOG_BYTES = 4 * 1024 * 1024;
/** Past this, every event is dropped: nobody is reading at all. */
export const MAX_UNREAD_BYTES = 32 * 1024 * 1024;

export function createPrinter(
  out: NodeJS.WritableStream & { isTTY?: boolean },
  opts: {
    json: boolean;
    logs?: boolean;
    live?: () => string;
    /** Where to say that output was dropped (default: stderr). */
    notice?: (text: string) => void;
  },
): EventPrinter {
  const tty = Boolean(out.isTTY);
  const notice = opts.notice ?? ((text: string) => void process.stderr.write(`${text}\n`));
  let liveShown = false;
  let droppedLogs = 0;
  let droppedOther = 0;
  const unread = (): number => (out as { writableLength?: number }).writableLength ?? 0;
  /** Writes unless the reader is too far behind; says once it caught up how much was dropped. */
  const emit = (text: string, isLog: boolean): void => {
    const behind = unread();
    if (behind > (isLog ? MAX_UNREAD_LOG_BYTES : MAX_UNREAD_BYTES)) {
      if (isLog) droppedLogs += 1;
      else droppedOther += 1;
      return;
    }
    if ((droppedLogs > 0 || droppedOther > 0) && behind < MAX_UNREAD_LOG_BYTES / 2) {
      notice(
        `vigil: output was not being read: ${droppedLogs} log lines${droppedOther ? ` and ${droppedOther} other events` : ''} were not printed (service logs are in the data directory's logs/services)`,
      );
      droppedLogs = 0;
      droppedOther = 0;
    }
    out.write(text);
  };
  const clearLive = (): void => {
    if (liveShown) {
      out.write('\r\x1b[2K');
      liveShown = false;
    }
  };
  const showLive = (): void => {
    if (!tty || !opts.live) return;
    const text = opts.live();
    const width = (out as { columns?: number }).columns ?? 120;
    out.write(`\r\x1b[2K${text.slice(0, Math.max(20, width - 1))}`);
    liveShown = true;
  };
  return {
    print(ev) {
      if (opts.json) {
        emit(JSON.stringify(ev) + '\n', ev.type === 'log');
        return;
      }
      if (ev.type === 'log') {
        if (!opts.logs) return;
        clearLive();
        // An instance of a replicated service says which one (`api#1 |`).
        const who = ev.instance ?? ev.service;
        emit(`${tty ? pc.dim(`${who} |`) : `${who} |`} ${ev.line}\n`, true);
        showLive();
        return;
      }
      const line = describeEvent(ev, tty);
      if (line === null) {
        if (ev.type === 'health_update') showLive();
        return;
      }
      clearLive();
      emit(line + '\n', false);
      showLive();
    },
    clearLive,
    passthrough(stream, text) {
      clearLive();
      stream.write(text);
      showLive();
    },
    close() {
      clearLive();
    },
  };
}
