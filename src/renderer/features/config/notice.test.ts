import { describe, expect, it } from 'vitest';
import type { StatusEvent } from '../../../shared/events.js';
import type { ReloadResponse } from '../../../shared/views.js';
import {
  NO_NOTICES,
  TOAST_CAP,
  addToast,
  baseName,
  changesSummary,
  dismissRejected,
  dropToast,
  noticeAfterReload,
  noticeAfterReloadError,
  noticeAfterSnapshot,
  noticeAfterStatus,
  parseRejectedMessage,
  parseReloadedMessage,
} from './notice.js';

const T = Date.UTC(2026, 0, 1, 10, 0, 0);

// The messages exactly as the reloader writes them.
const rejectedMsg = (where: string, what: string) =>
  `stack file change rejected (${where}: ${what}); still running the last good configuration`;

function status(event: StatusEvent['event'], message: string, ts = T): StatusEvent {
  return { type: 'status_update', ts, system: 'healthy', event, message };
}

const noChanges = { added: [], removed: [], restarted: [], updated_in_place: [], unchanged: [] };

function answer(partial: Partial<ReloadResponse>): ReloadResponse {
  return { success: true, applied: true, changes: noChanges, errors: [], ...partial };
}

describe('parsing the reloader messages', () => {
  it('finds where and what in a rejection, even with parentheses and colons in the message', () => {
    expect(
      parseRejectedMessage(
        rejectedMsg('vigil.yaml:12:5', 'unknown key "bogus" (did you mean: env?)'),
      ),
    ).toEqual({
      where: 'vigil.yaml:12:5',
      path: null,
      message: 'unknown key "bogus" (did you mean: env?)',
    });
  });

  it('keeps a message it does not recognise whole', () => {
    expect(parseRejectedMessage('something else')).toEqual({
      where: null,
      path: null,
      message: 'something else',
    });
    expect(
      parseRejectedMessage(rejectedMsg('/s/vigil.yaml', 'invalid').replace('/s/vigil.yaml: ', '')),
    ).toMatchObject({ where: null, message: 'invalid' });
  });

  it('reads what a reload changed', () => {
    expect(
      parseReloadedMessage('stack file reloaded (file changed): restarted: web; added: cache'),
    ).toEqual({ cause: 'file changed', changes: 'restarted: web; added: cache' });
    expect(parseReloadedMessage('stack file reloaded (requested by ui): no changes').changes).toBe(
      'no changes',
    );
  });

  it('summarises a reload answer in the same words', () => {
    expect(changesSummary(noChanges)).toBe('no changes');
    expect(
      changesSummary({ ...noChanges, restarted: ['api', 'web'], updated_in_place: ['db'] }),
    ).toBe('restarted: api, web; updated in place: db');
    expect(baseName('/a/b/vigil.yaml')).toBe('vigil.yaml');
    expect(baseName('C:\\s\\vigil.yaml')).toBe('vigil.yaml');
  });
});

describe('the config banner', () => {
  const rejected = status('config-rejected', rejectedMsg('vigil.yaml:7:5', 'unknown key "bogus"'));

  it('appears for a rejected change with what and where, and leaves when a reload goes through', () => {
    const s1 = noticeAfterStatus(NO_NOTICES, rejected);
    expect(s1.rejected).toEqual({
      ts: T,
      problems: [{ where: 'vigil.yaml:7:5', path: null, message: 'unknown key "bogus"' }],
    });
    const s2 = noticeAfterStatus(
      s1,
      status('config-reloaded', 'stack file reloaded (file changed): restarted: web', T + 5_000),
    );
    expect(s2.rejected).toBeNull();
    expect(s2.toasts).toEqual([
      expect.objectContaining({ tone: 'ok', title: 'Stack file reloaded', text: 'restarted: web' }),
    ]);
  });

  it('a later rejection replaces the banner', () => {
    const s = noticeAfterStatus(
      noticeAfterStatus(NO_NOTICES, rejected),
      status('config-rejected', rejectedMsg('vigil.yaml:9:3', 'bad duration'), T + 30_000),
    );
    expect(s.rejected?.problems).toEqual([
      { where: 'vigil.yaml:9:3', path: null, message: 'bad duration' },
    ]);
  });

  it('once dismissed, the same rejection does not come back from a snapshot; a new one does', () => {
    const dismissed = dismissRejected(noticeAfterStatus(NO_NOTICES, rejected));
    expect(dismissed.rejected).toBeNull();
    expect(noticeAfterSnapshot(dismissed, rejected).rejected).toBeNull();
    expect(noticeAfterStatus(dismissed, rejected).rejected).toBeNull();
    const other = status('config-rejected', rejectedMsg('vigil.yaml:2:1', 'bad'), T + 60_000);
    expect(noticeAfterStatus(dismissed, other).rejected?.problems[0]?.where).toBe('vigil.yaml:2:1');
  });

  it('a page opened while a change is rejected shows it; one reloaded since clears it, without a toast', () => {
    const opened = noticeAfterSnapshot(NO_NOTICES, rejected);
    expect(opened.rejected?.problems[0]?.where).toBe('vigil.yaml:7:5');
    const cleared = noticeAfterSnapshot(
      opened,
      status('config-reloaded', 'stack file reloaded (file changed): no changes', T + 1_000),
    );
    expect(cleared.rejected).toBeNull();
    expect(cleared.toasts).toEqual([]);
    expect(noticeAfterSnapshot(NO_NOTICES, null)).toBe(NO_NOTICES);
    expect(noticeAfterSnapshot(opened, status('system-degraded', 'api down'))).toBe(opened);
  });

  it('other status events leave it alone', () => {
    const s = noticeAfterStatus(NO_NOTICES, rejected);
    expect(noticeAfterStatus(s, status('system-critical', 'db down', T + 1))).toBe(s);
  });
});

describe('the Reload stack answer', () => {
  it('applied: a toast with what changed, the banner cleared', () => {
    const withBanner = noticeAfterStatus(
      NO_NOTICES,
      status('config-rejected', rejectedMsg('vigil.yaml:7:5', 'x')),
    );
    const s = noticeAfterReload(
      withBanner,
      answer({ changes: { ...noChanges, added: ['cache'], removed: ['old'] } }),
      T + 1,
    );
    expect(s.rejected).toBeNull();
    expect(s.toasts.map((t) => t.text)).toEqual(['added: cache; removed: old']);
  });

  it('refused: the banner lists every problem, and the event of the same rejection keeps the list', () => {
    const res = answer({
      success: false,
      applied: false,
      errors: [
        {
          message: 'unknown key "bogus"',
          file: '/stacks/shop/vigil.yaml',
          line: 7,
          col: 5,
          path: 'services.web.bogus',
        },
        {
          message: 'depends on an unknown service "nope"',
          file: '/stacks/shop/vigil.yaml',
          line: 9,
          col: 7,
          path: 'services.web.depends_on',
        },
      ],
    });
    const s = noticeAfterReload(NO_NOTICES, res, T + 100);
    expect(s.rejected?.problems).toEqual([
      { where: 'vigil.yaml:7:5', path: 'services.web.bogus', message: 'unknown key "bogus"' },
      {
        where: 'vigil.yaml:9:7',
        path: 'services.web.depends_on',
        message: 'depends on an unknown service "nope"',
      },
    ]);
    // The event of that same rejection arrives after the answer.
    const after = noticeAfterStatus(
      s,
      status('config-rejected', rejectedMsg('vigil.yaml:7:5', 'unknown key "bogus"'), T),
    );
    expect(after.rejected?.problems).toHaveLength(2);
    expect(after.rejected?.ts).toBe(T);
  });

  it('the event first, then the answer of the same rejection: the answer and its key paths win', () => {
    const ev = status('config-rejected', rejectedMsg('vigil.yaml:7:5', 'unknown key "bogus"'));
    const s = noticeAfterReload(
      noticeAfterStatus(NO_NOTICES, ev),
      answer({
        success: false,
        applied: false,
        errors: [
          {
            message: 'unknown key "bogus"',
            file: '/s/vigil.yaml',
            line: 7,
            col: 5,
            path: 'services.web.bogus',
          },
        ],
      }),
      T + 300,
    );
    expect(s.rejected).toEqual({
      ts: T,
      problems: [
        { where: 'vigil.yaml:7:5', path: 'services.web.bogus', message: 'unknown key "bogus"' },
      ],
    });
  });

  it('asked for again, a dismissed rejection shows again', () => {
    const ev = status('config-rejected', rejectedMsg('vigil.yaml:7:5', 'x'));
    const dismissed = dismissRejected(noticeAfterStatus(NO_NOTICES, ev));
    const res = answer({
      success: false,
      applied: false,
      errors: [{ message: 'x', file: '/s/vigil.yaml', line: 7, col: 5, path: '' }],
    });
    expect(noticeAfterReload(dismissed, res, T + 500).rejected?.problems[0]?.where).toBe(
      'vigil.yaml:7:5',
    );
  });

  it('no answer: an error toast; one toast per key, capped', () => {
    const s = noticeAfterReloadError(NO_NOTICES, { code: 'NETWORK', message: 'offline' }, T);
    expect(s.toasts).toEqual([
      expect.objectContaining({ tone: 'error', text: 'offline (NETWORK)', key: 'config' }),
    ]);
    const replaced = noticeAfterReload(s, answer({}), T + 1);
    expect(replaced.toasts).toHaveLength(1);
    expect(replaced.toasts[0]!.tone).toBe('ok');
    let many = NO_NOTICES;
    for (let i = 0; i < TOAST_CAP + 2; i++)
      many = addToast(many, { key: `k${i}`, tone: 'info', title: `t${i}`, text: '', ts: T });
    expect(many.toasts.map((t) => t.title)).toEqual(['t2', 't3', 't4', 't5']);
    const first = many.toasts[0]!.id;
    expect(dropToast(many, first).toasts.map((t) => t.title)).toEqual(['t3', 't4', 't5']);
    expect(dropToast(many, 9_999)).toBe(many);
  });
});

describe('a rolled-back reload', () => {
  const msg =
    'stack file change rolled back (api: exited with code 1); running the last good configuration of api, which differs from the file on disk';

  it('shows the banner with what failed, and a later applied change clears it', () => {
    const s = noticeAfterStatus(NO_NOTICES, status('config-rolled-back', msg));
    expect(s.rolledBack).toEqual({ ts: T, cause: 'api: exited with code 1', message: msg });
    const after = noticeAfterStatus(
      s,
      status('config-reloaded', 'stack file reloaded (file changed): restarted: api', T + 5),
    );
    expect(after.rolledBack).toBeNull();
    expect(noticeAfterReload(s, answer({}), T + 5).rolledBack).toBeNull();
  });

  it('comes from the snapshot for a page opened later, and goes when the snapshot has none', () => {
    const s = noticeAfterSnapshot(NO_NOTICES, null, {
      at: new Date(T).toISOString(),
      message: msg,
    });
    expect(s.rolledBack?.cause).toBe('api: exited with code 1');
    expect(noticeAfterSnapshot(s, null, null).rolledBack).toBeNull();
  });

  it('stays closed once dismissed', () => {
    const s = dismissRejected(noticeAfterStatus(NO_NOTICES, status('config-rolled-back', msg)));
    expect(s.rolledBack).toBeNull();
    const again = noticeAfterSnapshot(s, null, { at: new Date(T).toISOString(), message: msg });
    expect(again.rolledBack).toBeNull();
  });
});
