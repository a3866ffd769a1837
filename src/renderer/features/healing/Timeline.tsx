/** The healing timeline of the whole stack: history plus live events, filterable by service and kind. */
import { useMemo } from 'react';
import { useDeps, useVigil } from '../../app/context.js';
import { formatStamp } from '../../app/format.js';
import { useNow } from '../../app/hooks.js';
import {
  HEALING_KINDS,
  HEALING_KIND_LABEL,
  actionText,
  describeHealing,
  filterHealing,
  healingTone,
  serviceOf,
} from './timeline.js';

/** Entries rendered at once; the filter narrows the rest down. */
const SHOWN = 400;

export function Timeline() {
  const { store } = useDeps();
  const healing = useVigil((s) => s.healing);
  const order = useVigil((s) => s.order);
  const filter = useVigil((s) => s.timelineFilter);
  const loaded = useVigil((s) => s.healingLoaded);
  const now = useNow(5_000);
  const list = useMemo(
    () => filterHealing(healing, filter.service, filter.kind),
    [healing, filter.service, filter.kind],
  );
  const shown = list.slice(0, SHOWN);

  return (
    <section className="vg-timeline" aria-label="Healing timeline" data-testid="timeline">
      <div className="vg-timeline-bar">
        <h2>Healing timeline</h2>
        <label className="vg-field">
          <span>Service</span>
          <select
            className="vg-input"
            value={filter.service ?? ''}
            onChange={(e) =>
              store.getState().setTimelineFilter({ service: e.target.value || null })
            }
          >
            <option value="">All services</option>
            {order.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label className="vg-field">
          <span>Kind</span>
          <select
            className="vg-input"
            value={filter.kind}
            onChange={(e) => store.getState().setTimelineFilter({ kind: e.target.value })}
          >
            {HEALING_KINDS.map((k) => (
              <option key={k} value={k}>
                {HEALING_KIND_LABEL[k]}
              </option>
            ))}
          </select>
        </label>
        <span className="vg-muted vg-timeline-count">
          {list.length === shown.length
            ? `${list.length} events`
            : `latest ${shown.length} of ${list.length} events`}
        </span>
      </div>
      {shown.length === 0 ? (
        <div className="vg-empty-inline">
          {loaded
            ? healing.length === 0
              ? 'Nothing to heal so far: restarts, quarantines and breaker trips will show up here.'
              : 'No events match this filter.'
            : 'Loading the healing history…'}
        </div>
      ) : (
        <ol className="vg-timeline-list">
          {shown.map((e) => (
            <li
              key={`${e.ts}|${e.service}|${e.action}|${e.attempt}|${e.generation}`}
              className="vg-timeline-item"
            >
              <time className="vg-timeline-time" dateTime={new Date(e.ts).toISOString()}>
                {formatStamp(e.ts, now)}
              </time>
              <span className={`vg-badge tone-${healingTone(e.action)}`}>
                {actionText(e.action)}
              </span>
              <button
                type="button"
                className="vg-link"
                onClick={() => {
                  store.getState().setView('graph');
                  // an instance's event (`api#1`) opens its service's panel
                  store.getState().openPanel(serviceOf(e));
                }}
              >
                {e.service}
              </button>
              <span className="vg-timeline-text">{describeHealing(e)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
