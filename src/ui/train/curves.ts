import type { EvalPoint } from '../../state/trainStore';
import type { SeriesColumns } from '../../state/seriesColumns';
import { downsampleMinMax } from '../plots/downsample';
import { smooth } from '../plots/smoothing';

/** Points per drawn line: about what a chart's width can show, whatever the run length. */
export const POINTS_PER_LINE = 1500;

export interface Curve {
  name: string;
  x: number[];
  y: number[];
  kind: 'raw' | 'smoothed' | 'test';
}

/**
 * The lines of one metric: train raw and smoothed (smoothed over every point, then each
 * downsampled by min/max buckets) and the test evaluations, on a step or wall-time axis.
 */
export function metricCurves(
  series: SeriesColumns,
  evals: readonly EvalPoint[],
  metric: string,
  smoothing: number,
  xAxis: 'step' | 'time',
): Curve[] {
  const col = series.column(metric);
  const trainX = xAxis === 'step' ? series.steps() : series.wallMs().map((ms) => ms / 1000);
  const curves: Curve[] = [];
  if (col) {
    curves.push({ name: `train ${metric} (raw)`, kind: 'raw', ...downsampleMinMax(trainX, col, POINTS_PER_LINE) });
    curves.push({ name: `train ${metric}`, kind: 'smoothed', ...downsampleMinMax(trainX, smooth(col, smoothing), POINTS_PER_LINE) });
  }
  const tests = evals.filter((e) => metric in e.scalars).sort((a, b) => a.step - b.step);
  const testX = tests.map((e) => (xAxis === 'step' ? e.step : (series.wallAtStep(e.step) ?? 0) / 1000));
  curves.push({
    name: `test ${metric}`,
    kind: 'test',
    ...downsampleMinMax(
      testX,
      tests.map((e) => e.scalars[metric]),
      POINTS_PER_LINE,
    ),
  });
  return curves;
}

/** Metric names worth a choice: those of the training series and of the latest evaluation. */
export function metricNames(series: SeriesColumns, evals: readonly EvalPoint[]): string[] {
  const set = new Set(series.names());
  for (const k of Object.keys(evals[evals.length - 1]?.scalars ?? {})) set.add(k);
  return [...set];
}
