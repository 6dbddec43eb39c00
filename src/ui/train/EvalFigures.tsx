import { useMemo } from 'react';
import { useTrainStore } from '../../state/trainStore';
import type { EvalFigure } from '../../tasks/types';
import { EvalTable } from '../plots/EvalTable';
import { PlaneDisplay } from '../plots/PlaneDisplay';
import { Plot } from '../plots/Plot';
import { finiteRange } from '../plots/range';
import { wrapTitle } from '../plots/wrapTitle';

/** SVG scatter stays responsive up to about this many markers; larger test sets are thinned evenly. */
const MAX_MARKERS = 5000;
/** Characters of a 13 px title that fit a narrow figure card. */
const TITLE_WIDTH = 48;

function thin<T>(a: T[] | undefined, stride: number): T[] | undefined {
  return a && stride > 1 ? a.filter((_, i) => i % stride === 0) : a;
}

function FigurePlot({ fig }: { fig: EvalFigure }) {
  const n = fig.x?.length ?? 0;
  const stride = Math.ceil(n / MAX_MARKERS);
  const data = useMemo(() => {
    if (fig.kind === 'scatter') {
      const points = {
        x: thin(fig.x, stride),
        y: thin(fig.y, stride),
        mode: 'markers',
        type: 'scatter',
        marker: { size: 4, opacity: 0.7, color: thin(fig.color, stride), colorscale: 'Portland' },
        name: 'test set',
      };
      if (!fig.diagonal) return [points];
      const range = finiteRange(fig.x, fig.y);
      if (!range) return [points];
      const [lo, hi] = range;
      return [points, { x: [lo, hi], y: [lo, hi], mode: 'lines', line: { dash: 'dot', color: '#888' }, name: 'y = x' }];
    }
    const heat: Record<string, unknown> = { z: fig.z, type: 'heatmap', colorscale: 'Viridis', showscale: fig.kind === 'heatmap' };
    if (fig.xCategories) heat.x = fig.xCategories;
    if (fig.yCategories) heat.y = fig.yCategories;
    if (fig.text) Object.assign(heat, { text: fig.text, texttemplate: '%{text}', hoverinfo: 'x+y+text' });
    return [heat];
  }, [fig, stride]);
  const layout = useMemo(() => {
    const title = wrapTitle(stride > 1 ? `${fig.title} (every ${stride}th of ${n.toLocaleString()} points)` : fig.title, TITLE_WIDTH);
    // category names (confusion matrices) need the room their labels take
    const categories = !!(fig.xCategories || fig.yCategories);
    return {
      title: { text: title.text, font: { size: 13 } },
      margin: { l: 60, r: 20, t: 14 + 17 * title.lines, b: 45 },
      xaxis: { title: { text: fig.xLabel ?? '' }, automargin: categories },
      // Category rows (confusion matrices) read top to bottom like the table they are.
      yaxis: {
        title: { text: fig.yLabel ?? '' },
        ...(fig.kind !== 'scatter' ? { scaleanchor: 'x' } : {}),
        ...(fig.yCategories ? { autorange: 'reversed' } : {}),
        automargin: categories,
      },
      showlegend: false,
    };
  }, [fig, stride, n]);
  return <Plot data={data} layout={layout} testId={`figure-${fig.id}`} height={300} />;
}

/** The figures of the latest evaluation (prediction vs truth, event displays, ...). */
export function EvalFigures() {
  const lastEval = useTrainStore((s) => s.lastEval);
  if (!lastEval?.figures?.length) return null;
  return (
    <div className="figures">
      {lastEval.figures.map((f) => (
        <div className={f.kind === 'planes' || f.kind === 'table' ? 'card wide' : 'card'} key={f.id}>
          {f.kind === 'planes' && f.planes ? (
            <PlaneDisplay data={f.planes} title={f.title} testId={`figure-${f.id}`} />
          ) : f.kind === 'table' ? (
            <EvalTable fig={f} />
          ) : (
            <FigurePlot fig={f} />
          )}
        </div>
      ))}
    </div>
  );
}
