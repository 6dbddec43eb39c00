import { useEffect, useRef } from 'react';
import { loadPlotly } from './plotly';

interface PlotProps {
  data: unknown[];
  layout: Record<string, unknown>;
  testId?: string;
  height?: number;
}

/** A plotly chart redrawn in place (Plotly.react) whenever data or layout change; plotly loads on first use. */
export function Plot({ data, layout, testId, height = 320 }: PlotProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let cancelled = false;
    void loadPlotly().then((Plotly) => {
      if (!cancelled)
        void Plotly.react(
          el,
          data,
          { height, margin: { l: 60, r: 20, t: 30, b: 45 }, ...layout },
          { responsive: true, displaylogo: false },
        );
    });
    return () => {
      cancelled = true;
    };
  }, [data, layout, height]);
  useEffect(() => {
    const el = ref.current;
    return () => {
      if (el) void loadPlotly().then((Plotly) => Plotly.purge(el));
    };
  }, []);
  return <div ref={ref} data-testid={testId} className="plot" style={{ minHeight: height }} />;
}
