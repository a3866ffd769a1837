/**
 * The status bar: composite state, a warning while history is not being saved, services per
 * status, uptime and the connection.
 */
import { DISPLAY_STATUSES } from '../../../shared/model.js';
import { useVigil } from '../../app/context.js';
import { useDeps } from '../../app/context.js';
import { formatUptime } from '../../app/format.js';
import { useNow } from '../../app/hooks.js';
import { countByStatus } from '../../state/reducers.js';
import { STATUS_TONE } from '../graph/colors.js';
import { historyChip } from './history.js';
import { useMemo } from 'react';

const CONNECTION_TEXT = {
  open: 'live',
  connecting: 'connecting…',
  closed: 'disconnected',
} as const;

export function StatusBar() {
  const { transport } = useDeps();
  const system = useVigil((s) => s.system);
  const services = useVigil((s) => s.services);
  const snapshotAt = useVigil((s) => s.snapshotAt);
  const connection = useVigil((s) => s.connection);
  const now = useNow();
  const counts = useMemo(() => countByStatus(services), [services]);
  const uptime =
    system && snapshotAt !== null ? system.uptime_ms + Math.max(0, now - snapshotAt) : null;
  const state = system?.status ?? 'unknown';
  const history = historyChip(system?.history);
  return (
    <footer className="vg-statusbar" data-testid="status-bar">
      <span className={`vg-system is-${state}`} data-testid="system-state">
        <span className="vg-dot" aria-hidden="true" />
        {state}
      </span>
      {history && (
        <span
          className={`vg-history tone-${history.tone}`}
          data-testid="history-status"
          role="status"
          title={history.title}
          tabIndex={0}
        >
          <span aria-hidden="true">⚠</span>
          <span className="vg-history-text">{history.text}</span>
        </span>
      )}
      <span className="vg-counts">
        {DISPLAY_STATUSES.map((st) => (
          <span
            key={st}
            className={`vg-count tone-${STATUS_TONE[st]}${counts[st] ? '' : ' is-zero'}`}
          >
            <span className="vg-dot" aria-hidden="true" />
            {counts[st]} {st}
          </span>
        ))}
      </span>
      <span className="vg-spacer" />
      <span className="vg-uptime">up {uptime === null ? '—' : formatUptime(uptime)}</span>
      <span className={`vg-conn is-${connection}`} data-testid="connection">
        <span className="vg-dot" aria-hidden="true" />
        {CONNECTION_TEXT[connection]} · {transport === 'ipc' ? 'desktop' : 'browser'}
      </span>
    </footer>
  );
}
