import { useEffect, useRef } from 'react';
import type { Histogram } from '../../data/preview';
import { loadPlotly } from '../plots/plotly';

/** Bar chart of a precomputed histogram (plotly loaded lazily, drawn with Plotly.react). */
export function HistogramPlot({ h }: { h: Histogram }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || h.counts.length === 0) return;
    let cancelled = false;
    let purge: ((el: HTMLElement) => void) | null = null;
    void loadPlotly().then((Plotly) => {
      if (cancelled) return;
      purge = (x) => Plotly.purge(x);
      const centers = h.counts.map((_, i) => (h.edges[i]! + h.edges[i + 1]!) / 2);
      void Plotly.react(
        el,
        [{ type: 'bar', x: centers, y: h.counts, marker: { color: '#4a7bd0' } }],
        {
          title: { text: `${h.column} (${h.sampled} values${h.nonFinite ? `, ${h.nonFinite} non-finite` : ''})`, font: { size: 12 } },
          margin: { l: 45, r: 10, t: 30, b: 30 },
          height: 220,
          bargap: 0,
        },
        { displayModeBar: false, responsive: true },
      );
    });
    return () => {
      cancelled = true;
      if (purge && el) purge(el);
    };
  }, [h]);
  if (h.counts.length === 0) return <div className="data-hist-empty">{h.column}: no finite values</div>;
  return <div ref={ref} className="data-hist" data-testid="data-histogram" />;
}
