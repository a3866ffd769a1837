/**
 * Live logs of one service: read from its ring by checkpoint on animation frames (never one render
 * per line), virtualised, with ANSI colours, search and a follow toggle. Every line is rendered as
 * text nodes.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState, type CSSProperties } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeps } from '../../app/context.js';
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
      <LogText line={e.line} />
    </div>
  );
});

export function LogView(props: {
  name: string;
  searchRef?: React.RefObject<HTMLInputElement | null>;
}) {
  const { logs, controller } = useDeps();
  const ring = logs.ring(props.name);
  const [query, setQuery] = useState('');
  const [follow, setFollow] = useState(true);
  const [checkpoint, setCheckpoint] = useState(ring.version);
  const [matches, setMatches] = useState<LogEntry[]>(() => searchRing(ring, ''));
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
      const queryChanged = query !== seenQuery;
      if (
        queryChanged ||
        (changed && (query === '' || now - lastSearch.current > SEARCH_REFRESH_MS))
      ) {
        seen = ring.version;
        seenQuery = query;
        lastSearch.current = now;
        setMatches(searchRing(ring, query));
        setCheckpoint(ring.version);
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return () => {
      alive = false;
    };
  }, [ring, query]);

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
    const parts = [query ? `${matches.length} of ${lines(total)} match` : lines(total)];
    if (dropped > 0) parts.push(`${dropped} older dropped`);
    return parts.join(' · ');
  }, [query, matches.length, total, dropped]);

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
