/**
 * The panel's charts: probe latency over time with failures and timeouts marked and restarts as
 * vertical lines, and the service's CPU and memory. Data from `getServiceHistory` for the chosen
 * range, refreshed while the panel is open.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import type { ServiceHistoryResponse } from '../../../shared/views.js';
import { useDeps, useVigil } from '../../app/context.js';
import { errorText } from '../../app/controller.js';
import type { Theme } from '../../app/theme.js';
import { TONE_COLOR } from '../graph/colors.js';
import {
  CHART_POINTS,
  HISTORY_RANGES,
  RANGE_LABEL,
  healthSeries,
  resourceSeries,
  type HistoryRange,
} from './series.js';
import { UPlotChart } from './UPlotChart.js';

const REFRESH_MS: Readonly<Record<HistoryRange, number>> = {
  '15m': 5_000,
  '1h': 15_000,
  '24h': 60_000,
  '7d': 300_000,
};

function axisColors(theme: Theme) {
  return theme === 'dark'
    ? { text: '#9aa4b2', grid: 'rgba(255,255,255,0.07)', tick: 'rgba(255,255,255,0.12)' }
    : { text: '#5b6472', grid: 'rgba(15,23,42,0.07)', tick: 'rgba(15,23,42,0.14)' };
}

function axes(
  theme: Theme,
  leftLabel: string,
  right?: { label: string; scale: string },
): uPlot.Axis[] {
  const c = axisColors(theme);
  const base = {
    stroke: c.text,
    grid: { stroke: c.grid, width: 1 },
    ticks: { stroke: c.tick, width: 1 },
    font: '11px system-ui, sans-serif',
    labelFont: '11px system-ui, sans-serif',
  };
  const list: uPlot.Axis[] = [{ ...base }, { ...base, label: leftLabel, size: 52, labelSize: 16 }];
  if (right) {
    list.push({
      ...base,
      scale: right.scale,
      side: 1,
      label: right.label,
      size: 52,
      labelSize: 16,
      grid: { show: false },
    });
  }
  return list;
}

/** Draws restart markers as dashed vertical lines. */
function restartMarkers(xs: readonly number[], color: string): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u: uPlot) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = color;
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
          for (const x of xs) {
            const px = u.valToPos(x, 'x', true);
            if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) continue;
            ctx.beginPath();
            ctx.moveTo(px, u.bbox.top);
            ctx.lineTo(px, u.bbox.top + u.bbox.height);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
    },
  };
}

function useHistory(name: string, range: HistoryRange) {
  const { controller } = useDeps();
  const [history, setHistory] = useState<ServiceHistoryResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    setHistory(null);
    setError(null);
    const load = async () => {
      try {
        const h = await controller.client.getServiceHistory({
          name,
          since: range,
          points: CHART_POINTS,
        });
        if (alive) {
          setHistory(h);
          setError(null);
        }
      } catch (err) {
        if (alive) setError(errorText(err).message);
      }
    };
    void load();
    const t = setInterval(() => void load(), REFRESH_MS[range]);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [controller, name, range]);
  return { history, error };
}

const noPath = () => null;

export function HealthCharts(props: { name: string }) {
  const theme = useVigil((s) => s.theme);
  const [range, setRange] = useState<HistoryRange>('15m');
  const { history, error } = useHistory(props.name, range);

  const health = useMemo(() => (history ? healthSeries(history) : null), [history]);
  const resources = useMemo(() => (history ? resourceSeries(history) : null), [history]);
  const restartXs = useMemo(() => health?.restarts.map((r) => r.x) ?? [], [health]);

  const healthOptions = useCallback(
    (width: number): uPlot.Options => ({
      width,
      height: 170,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.15)] } },
      axes: axes(theme, 'ms'),
      plugins: [restartMarkers(restartXs, TONE_COLOR.quarantine)],
      series: [
        {},
        {
          label: 'latency avg',
          stroke: '#3b82f6',
          width: 1.5,
          fill: 'rgba(59,130,246,0.10)',
          spanGaps: false,
        },
        { label: 'latency max', stroke: 'rgba(59,130,246,0.45)', width: 1, dash: [3, 3] },
        {
          label: 'failed',
          stroke: TONE_COLOR.bad,
          paths: noPath,
          points: { show: true, size: 7, fill: TONE_COLOR.bad, stroke: TONE_COLOR.bad },
        },
        {
          label: 'timed out',
          stroke: TONE_COLOR.warn,
          paths: noPath,
          points: { show: true, size: 7, fill: TONE_COLOR.warn, stroke: TONE_COLOR.warn },
        },
      ],
    }),
    [theme, restartXs],
  );
  const healthData = useMemo<uPlot.AlignedData>(
    () =>
      health
        ? [health.x, health.latencyAvg, health.latencyMax, health.failures, health.timeouts]
        : [[], [], [], [], []],
    [health],
  );

  const resourceOptions = useCallback(
    (width: number): uPlot.Options => ({
      width,
      height: 140,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        y: { range: (_u, _min, max) => [0, Math.max(5, max * 1.15)] },
        mb: { range: (_u, _min, max) => [0, Math.max(16, max * 1.15)] },
      },
      axes: axes(theme, 'CPU %', { label: 'MB', scale: 'mb' }),
      series: [
        {},
        { label: 'CPU %', stroke: '#0ea5e9', width: 1.5, fill: 'rgba(14,165,233,0.08)' },
        { label: 'memory MB', stroke: '#a855f7', width: 1.5, scale: 'mb' },
      ],
    }),
    [theme],
  );
  const resourceData = useMemo<uPlot.AlignedData>(
    () => (resources ? [resources.x, resources.cpu, resources.rssMb] : [[], [], []]),
    [resources],
  );

  return (
    <section className="vg-section" aria-label="Health history">
      <div className="vg-section-head">
        <h3>Health checks</h3>
        <div className="vg-segmented" role="group" aria-label="Time range">
          {HISTORY_RANGES.map((r) => (
            <button
              key={r}
              type="button"
              className={r === range ? 'is-active' : ''}
              aria-pressed={r === range}
              onClick={() => setRange(r)}
            >
              {RANGE_LABEL[r]}
            </button>
          ))}
        </div>
      </div>
      {error ? <p className="vg-note vg-note-error">Could not load the history: {error}</p> : null}
      {!history && !error ? <p className="vg-note">Loading history…</p> : null}
      {history && health ? (
        <>
          <p className="vg-chart-summary">
            {health.x.length === 0
              ? 'No probe results in this range yet.'
              : `${health.totalFailures} failed · ${health.totalTimeouts} timed out · ${health.restarts.length} restart${health.restarts.length === 1 ? '' : 's'} (dashed lines)`}
          </p>
          <UPlotChart
            options={healthOptions}
            data={healthData}
            height={170}
            label={`Probe latency of ${props.name}`}
          />
          <h3 className="vg-subhead">CPU and memory</h3>
          {resources && resources.x.length === 0 ? (
            <p className="vg-note">No resource samples in this range yet.</p>
          ) : (
            <UPlotChart
              options={resourceOptions}
              data={resourceData}
              height={140}
              label={`CPU and memory of ${props.name}`}
            />
          )}
        </>
      ) : null}
    </section>
  );
}
