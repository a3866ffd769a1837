/**
 * Live logs of one service: read from its ring by checkpoint on animation frames (never one render
 * per line), virtualised, with ANSI colours, search and a follow toggle. Every line is rendered as
 * text nodes. A replicated service's lines are merged, each with its instance (`[api#1]`), and
 * can be narrowed to one instance.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeps, useVigil } from '../../app/context.js';
import { formatClock } from '../../app/format.js';
import { searchRing, type LogEntry } from '../../logs/ring.js';
import { ansiRuns } from './ansi.js';

const ROW_HEIGHT = 20;
/** While searching, the match list is recomputed at most this often during a flood. */
const SEARCH_REFRESH_MS = 250;

export const LogText = memo(function LogText(props: { line: string }) {
  const runs = ansiRuns(props.line);
  if (runs.length === 1 && runs[0]!.fg === null && runs[0]!.bg === null && !runs[0]!.bold) {
    return <span className="vg-log-text">{runs[0]!.text}</span>;
  }
  return (
    <span className="vg-log-text">
      {runs.map((r, i) => {
        const style: CSSProperties = {};
        if (r.fg) style.color = r.fg;
        if (r.bg) style.backgroundColor = r.bg;
        if (r.bold) style.fontWeight = 600;
        if (r.dim) style.opacity = 0.7;
        if (r.italic) style.fontStyle = 'italic';
        if (r.underline) style.textDecoration = 'underline';
        return (
          <span key={i} style={style}>
            {r.text}
          </span>
        );
      })}
    </span>
  );
});

/**
 * A hue per instance index, so that the merged lines of one instance are easy to follow: from
 * cyan to violet, away from the reds, ambers and greens that mean a status.
 */
export function instanceHue(id: string): number {
  const n = Number(id.slice(id.lastIndexOf('#') + 1));
  return Number.isInteger(n) && n >= 0 ? 185 + ((n * 47) % 120) : 210;
}

/** The instance filter as the view applies it: only one of this service's instances counts. */
export function instanceFilterFor(service: string, logInstance: string | null): string | null {
  return logInstance !== null && logInstance.startsWith(`${service}#`) ? logInstance : null;
}

export const LogRow = memo(function LogRow(props: {
  entry: LogEntry;
  index: number;
  start: number;
  measure?: (el: HTMLDivElement | null) => void;
}) {
  const e = props.entry;
  return (
    <div
      ref={props.measure}
      className={`vg-log-row${e.stream === 'stderr' ? ' is-stderr' : ''}`}
      style={{ transform: `translateY(${props.start}px)` }}
      data-index={props.index}
      data-seq={e.seq}
    >
      <span className="vg-log-time">{formatClock(e.ts)}</span>
      {e.instance !== undefined ? (
        <span
          className="vg-log-instance"
          style={{ '--hue': instanceHue(e.instance) } as CSSProperties}
        >
          [{e.instance}]
        </span>
      ) : null}
      <LogText line={e.line} />
    </div>
  );
});

export function LogView(props: {
  name: string;
  searchRef?: React.RefObject<HTMLInputElement | null>;
}) {
  const { logs, controller, store } = useDeps();
  const ring = logs.ring(props.name);
  const instanceList = useVigil(
    (st) => st.services[props.name]?.replicas?.instances.map((i) => i.id).join('\n') ?? '',
  );
  const instances = useMemo(() => (instanceList ? instanceList.split('\n') : []), [instanceList]);
  const instance = useVigil((st) => instanceFilterFor(props.name, st.logInstance));
  const [query, setQuery] = useState('');
  const [follow, setFollow] = useState(true);
  const [checkpoint, setCheckpoint] = useState(ring.version);
  const [matches, setMatches] = useState<LogEntry[]>(() => searchRing(ring, '', instance));
  const scroller = useRef<HTMLDivElement>(null);
  const lastSearch = useRef(0);

  useEffect(() => {
    void controller.loadLogs(props.name);
  }, [controller, props.name]);

  // Poll the ring's version once per frame; re-render only when it moved.
  useEffect(() => {
    let alive = true;
    let seen = -1;
    let seenQuery = '\u0000';
    const tick = () => {
      if (!alive) return;
      const now = performance.now();
      const changed = ring.version !== seen;
      // a new query or instance filter restarts this effect: its first tick searches again
      const queryChanged = query !== seenQuery;
      if (
        queryChanged ||
        (changed && (query === '' || now - lastSearch.current > SEARCH_REFRESH_MS))
      ) {
        seen = ring.version;
        seenQuery = query;
        lastSearch.current = now;
        setMatches(searchRing(ring, query, instance));
        setCheckpoint(ring.version);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return () => {
      alive = false;
    };
  }, [ring, query, instance]);

  const virtualizer = useVirtualizer({
    count: matches.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    getItemKey: (i) => matches[i]?.seq ?? i,
  });

  useEffect(() => {
    if (follow && matches.length > 0)
      virtualizer.scrollToIndex(matches.length - 1, { align: 'end' });
  }, [follow, matches, checkpoint, virtualizer]);

  const onWheel = useCallback((e: React.WheelEvent) => {
    if (e.deltaY < 0) setFollow(false);
  }, []);

  const items = virtualizer.getVirtualItems();
  const total = ring.size;
  const dropped = ring.dropped;
  const summary = useMemo(() => {
    const lines = (n: number) => `${n} line${n === 1 ? '' : 's'}`;
    const parts = [
      query || instance !== null ? `${matches.length} of ${lines(total)} match` : lines(total),
    ];
    if (dropped > 0) parts.push(`${dropped} older dropped`);
    return parts.join(' · ');
  }, [query, instance, matches.length, total, dropped]);

  return (
    <section className="vg-logs" aria-label={`Logs of ${props.name}`}>
      <div className="vg-logs-bar">
        <input
          ref={props.searchRef}
          type="search"
          className="vg-input vg-logs-search"
          placeholder="Search logs   ( / )"
          aria-label="Search logs"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        {instances.length > 0 ? (
          <select
            className="vg-input vg-logs-instance"
            aria-label="Instance"
            value={instance ?? ''}
            onChange={(e) => store.getState().setLogInstance(e.target.value || null)}
            data-testid="log-instance-filter"
          >
            <option value="">All instances</option>
            {instances.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
            {instance !== null && !instances.includes(instance) ? (
              <option value={instance}>{instance} (gone)</option>
            ) : null}
          </select>
        ) : null}
        <label className="vg-toggle">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          Follow
        </label>
        <span className="vg-logs-summary">{summary}</span>
      </div>
      <div
        className="vg-logs-scroll"
        ref={scroller}
        onWheel={onWheel}
        data-testid="log-view"
        tabIndex={0}
      >
        {total === 0 ? (
          <p className="vg-note vg-logs-empty">No output from {props.name} yet.</p>
        ) : matches.length === 0 && instance !== null && !query ? (
          <p className="vg-note vg-logs-empty">No output from {instance} yet.</p>
        ) : null}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
          {items.map((item) => {
            const entry = matches[item.index];
            if (!entry) return null;
            return (
              <LogRow
                key={item.key}
                entry={entry}
                index={item.index}
                start={item.start}
                measure={virtualizer.measureElement}
              />
            );
          })}
        </div>
      </div>
    </section>
  );
}
