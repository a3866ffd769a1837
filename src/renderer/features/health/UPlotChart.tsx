/** A uPlot chart that follows its container's width and is rebuilt when its options change. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface UPlotChartProps {
  /** Builds the options for a width; called again when the options' inputs change. */
  readonly options: (width: number) => uPlot.Options;
  readonly data: uPlot.AlignedData;
  readonly height: number;
  readonly label: string;
}

export function UPlotChart(props: UPlotChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const { options, data, height } = props;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = Math.max(200, el.clientWidth);
    const u = new uPlot({ ...options(width), height }, data, el);
    chart.current = u;
    let observer: ResizeObserver | null = null;
    if (typeof ResizeObserver === 'function') {
      observer = new ResizeObserver(() => {
        const w = Math.max(200, el.clientWidth);
        if (w !== u.width) u.setSize({ width: w, height });
      });
      observer.observe(el);
    }
    return () => {
      observer?.disconnect();
      u.destroy();
      chart.current = null;
    };
    // data is applied by the next effect without rebuilding the chart
  }, [options, height]);

  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);

  return <div className="vg-chart" ref={host} role="img" aria-label={props.label} />;
}
