/**
 * The status bar's word on Vigil's history when it is not being saved normally: a short text for
 * the chip ("History not saved: disk full (123 records dropped)") and the full sentence for its
 * tooltip. Nothing when all is well.
 */
import type { HistoryStatusView } from '../../../shared/views.js';

export interface HistoryChip {
  readonly tone: 'warn' | 'info';
  readonly text: string;
  /** Vigil's full sentence: the tooltip. */
  readonly title: string;
}

/** The cause in two or three words, from Vigil's sentence; null when it names none we know. */
export function historyCause(message: string): string | null {
  if (/disk is full|SQLITE_FULL|ENOSPC/i.test(message)) return 'disk full';
  if (/read-?only|EROFS/i.test(message)) return 'read-only';
  if (/locked|SQLITE_BUSY/i.test(message)) return 'database locked';
  if (/I\/O error|IOERR|\bEIO\b/i.test(message)) return 'disk error';
  if (/corrupt/i.test(message)) return 'database corrupt';
  if (/no history store/i.test(message)) return 'no history store';
  if (/permission denied|EACCES|EPERM/i.test(message)) return 'no permission';
  return null;
}

const plural = (n: number, one: string): string =>
  `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`;

export function historyChip(h: HistoryStatusView | null | undefined): HistoryChip | null {
  if (!h || h.state === 'ok') return null;
  const title = h.message ?? `history: ${h.state}`;
  if (h.state === 'recovered') {
    return { tone: 'info', text: 'History restarted: the database was corrupt', title };
  }
  const cause =
    historyCause(title) ?? (h.state === 'memory' ? 'kept in memory only' : 'writes failing');
  const dropped = h.dropped_records > 0 ? ` (${plural(h.dropped_records, 'record')} dropped)` : '';
  return { tone: 'warn', text: `History not saved: ${cause}${dropped}`, title };
}
