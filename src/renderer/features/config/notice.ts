/**
 * What the page tells the user about the stack file: a banner while a change to it is rejected
 * (what is wrong, where, and that the last good configuration still runs), and short toasts for
 * reloads that went through. Pure functions of the current notices and what just happened: a
 * `status_update` event, a snapshot, or the answer to a "Reload stack" request.
 */
import type { StatusEvent } from '../../../shared/events.js';
import type { ReloadResponse } from '../../../shared/views.js';

/** One problem of a rejected change: where it is (`vigil.yaml:12:5`) and what is wrong. */
export interface ConfigProblem {
  /** `file:line:col`, or null when the message did not say. */
  readonly where: string | null;
  /** Key path in the stack file (`services.api.command`), when known. */
  readonly path: string | null;
  readonly message: string;
}

export interface RejectedChange {
  /** Wall-clock time of the rejection (the event's, when one was seen). */
  readonly ts: number;
  readonly problems: readonly ConfigProblem[];
}

export type ToastTone = 'ok' | 'info' | 'error';

export interface Toast {
  readonly id: number;
  /** Toasts with the same key replace each other (a reload's answer and its event). */
  readonly key: string;
  readonly tone: ToastTone;
  readonly title: string;
  readonly text: string;
  readonly ts: number;
}

export interface NoticeState {
  readonly rejected: RejectedChange | null;
  /** The rejection the user dismissed: seeing it again (its event, a snapshot) does not bring it back. */
  readonly dismissed: RejectedChange | null;
  /**
   * A reload rolled back (its changed services failed): the running configuration differs from
   * the file until a later change is applied. `ts` is the rollback's time.
   */
  readonly rolledBack: RolledBack | null;
  /** Time of the rollback the user dismissed: seeing it again does not bring it back. */
  readonly dismissedRollbackTs: number | null;
  /** Oldest first, at most TOAST_CAP. */
  readonly toasts: readonly Toast[];
  readonly nextToastId: number;
}

export interface RolledBack {
  readonly ts: number;
  /** What failed: `api: exited with code 1`. */
  readonly cause: string;
  readonly message: string;
}

export const NO_NOTICES: NoticeState = {
  rejected: null,
  dismissed: null,
  rolledBack: null,
  dismissedRollbackTs: null,
  toasts: [],
  nextToastId: 1,
};

export const TOAST_CAP = 4;
/** How long a toast stays up. */
export const TOAST_MS = 6_000;
/** A rejection seen this close to another with the same first problem is the same one (a reload's answer and its event). */
const SAME_REJECTION_MS = 2_000;

const REJECTED_RE =
  /^stack file change rejected \(([\s\S]*)\); still running the last good configuration\s*$/;
const WHERE_RE = /^(\S[^\n]*?:\d+:\d+): ([\s\S]*)$/;
const RELOADED_RE = /^stack file reloaded \(([^)]*)\):\s*([\s\S]*)$/;
const ROLLED_BACK_RE = /^stack file change rolled back \(([\s\S]*?)\); running the last good/;

/** A rollback from a `config-rolled-back` event's message (or the snapshot's `config_rollback`). */
export function parseRolledBack(ts: number, message: string): RolledBack {
  const m = ROLLED_BACK_RE.exec(message);
  return { ts, cause: m ? m[1]! : message, message };
}

function rolledBack(state: NoticeState, ts: number, message: string): NoticeState {
  if (state.dismissedRollbackTs !== null && state.dismissedRollbackTs >= ts) return state;
  if (state.rolledBack && state.rolledBack.ts >= ts) return state;
  return { ...state, rolledBack: parseRolledBack(ts, message) };
}

/** The file name of a path (the page has no `path` module). */
export function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] || file;
}

/**
 * The problem named by a `config-rejected` event's message:
 * `stack file change rejected (vigil.yaml:12:5: unknown key "bogus"); still running ...`.
 */
export function parseRejectedMessage(message: string): ConfigProblem {
  const m = REJECTED_RE.exec(message);
  if (!m) return { where: null, path: null, message };
  const inner = m[1]!;
  const w = WHERE_RE.exec(inner);
  if (!w) return { where: null, path: null, message: inner };
  return { where: w[1]!, path: null, message: w[2]! };
}

/** What a `config-reloaded` event says changed: `restarted: api; added: cache`, or `no changes`. */
export function parseReloadedMessage(message: string): {
  readonly cause: string;
  readonly changes: string;
} {
  const m = RELOADED_RE.exec(message);
  if (!m) return { cause: '', changes: message };
  return { cause: m[1]!, changes: m[2]!.trim() || 'no changes' };
}

/** The changes of a reload answer as one line, in the same words as the event. */
export function changesSummary(changes: ReloadResponse['changes']): string {
  const parts = (['added', 'removed', 'restarted', 'updated_in_place'] as const)
    .filter((k) => changes[k].length > 0)
    .map((k) => `${k.replace(/_/g, ' ')}: ${changes[k].join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'no changes';
}

/** The problems of a reload answer that was refused. */
export function problemsOf(errors: ReloadResponse['errors']): ConfigProblem[] {
  return errors.map((e) => ({
    where: e.file ? `${baseName(e.file)}:${e.line}:${e.col}` : null,
    path: e.path ? e.path : null,
    message: e.message,
  }));
}

function sameProblem(a: ConfigProblem | undefined, b: ConfigProblem | undefined): boolean {
  return a !== undefined && b !== undefined && a.where === b.where && a.message === b.message;
}

function sameRejection(
  r: RejectedChange | null,
  ts: number,
  problems: readonly ConfigProblem[],
): r is RejectedChange {
  return (
    r !== null &&
    (r.ts === ts ||
      (sameProblem(r.problems[0], problems[0]) && Math.abs(r.ts - ts) <= SAME_REJECTION_MS))
  );
}

export function addToast(
  state: NoticeState,
  toast: Omit<Toast, 'id'>,
  cap = TOAST_CAP,
): NoticeState {
  const kept = state.toasts.filter((t) => t.key !== toast.key);
  const toasts = [...kept, { ...toast, id: state.nextToastId }].slice(-cap);
  return { ...state, toasts, nextToastId: state.nextToastId + 1 };
}

export function dropToast(state: NoticeState, id: number): NoticeState {
  if (!state.toasts.some((t) => t.id === id)) return state;
  return { ...state, toasts: state.toasts.filter((t) => t.id !== id) };
}

/** The user closed the banner: it stays closed until another change is rejected. */
export function dismissRejected(state: NoticeState): NoticeState {
  if (state.rejected) return { ...state, rejected: null, dismissed: state.rejected };
  if (state.rolledBack) {
    return { ...state, rolledBack: null, dismissedRollbackTs: state.rolledBack.ts };
  }
  return state;
}

/**
 * A rejection with its problems, merged with the one shown when it is the same rejection seen
 * twice (a reload's answer and its event, in either order): the answer's list wins, since it has
 * every problem with its key path; the event names only the first.
 */
function reject(
  state: NoticeState,
  ts: number,
  problems: readonly ConfigProblem[],
  from: 'event' | 'answer',
): NoticeState {
  if (sameRejection(state.dismissed, ts, problems)) return state;
  const current = state.rejected;
  if (sameRejection(current, ts, problems)) {
    const kept = from === 'answer' ? problems : current.problems;
    return { ...state, rejected: { ts: Math.min(current.ts, ts), problems: kept } };
  }
  return { ...state, rejected: { ts, problems } };
}

/** A `status_update` event: a rejection shows the banner, a reload clears it and says what changed. */
export function noticeAfterStatus(state: NoticeState, ev: StatusEvent): NoticeState {
  if (ev.event === 'config-rejected') {
    return reject(state, ev.ts, [parseRejectedMessage(ev.message)], 'event');
  }
  if (ev.event === 'config-rolled-back') {
    return rolledBack(state, ev.ts, ev.message);
  }
  if (ev.event === 'config-reloaded') {
    const { changes } = parseReloadedMessage(ev.message);
    return addToast(
      { ...state, rejected: null, rolledBack: null },
      { key: 'config', tone: 'ok', title: 'Stack file reloaded', text: changes, ts: ev.ts },
    );
  }
  return state;
}

/**
 * A snapshot's last status event: a page that opens (or reconnects) while a change is rejected
 * shows the banner; one reloaded since clears it. No toasts for the past.
 */
export function noticeAfterSnapshot(
  state: NoticeState,
  last: StatusEvent | null,
  rollback?: { readonly at: string; readonly message: string } | null,
): NoticeState {
  if (rollback !== undefined) {
    state =
      rollback === null
        ? state.rolledBack
          ? { ...state, rolledBack: null }
          : state
        : rolledBack(state, Date.parse(rollback.at), rollback.message);
  }
  if (!last) return state;
  if (last.event === 'config-rejected') {
    if (state.rejected && state.rejected.ts >= last.ts) return state;
    return reject(state, last.ts, [parseRejectedMessage(last.message)], 'event');
  }
  if (last.event === 'config-reloaded' && state.rejected && state.rejected.ts <= last.ts) {
    return { ...state, rejected: null };
  }
  return state;
}

/** The answer to "Reload stack": what changed, or every problem of the file. */
export function noticeAfterReload(
  state: NoticeState,
  res: ReloadResponse,
  now: number,
): NoticeState {
  if (res.applied) {
    return addToast(
      { ...state, rejected: null, rolledBack: null },
      {
        key: 'config',
        tone: 'ok',
        title: 'Stack file reloaded',
        text: changesSummary(res.changes),
        ts: now,
      },
    );
  }
  const problems = problemsOf(res.errors);
  if (problems.length === 0) {
    return addToast(state, {
      key: 'config',
      tone: 'error',
      title: 'The stack file was not reloaded',
      text: 'Vigil gave no reason; the last good configuration keeps running.',
      ts: now,
    });
  }
  // Asked for by the user: shown even when the same rejection was dismissed before.
  return reject({ ...state, dismissed: null }, now, problems, 'answer');
}

/** "Reload stack" did not get an answer (connection lost, refused). */
export function noticeAfterReloadError(
  state: NoticeState,
  err: { readonly code: string; readonly message: string },
  now: number,
): NoticeState {
  return addToast(state, {
    key: 'config',
    tone: 'error',
    title: 'Reload failed',
    text: `${err.message} (${err.code})`,
    ts: now,
  });
}
