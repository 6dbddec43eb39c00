/**
 * Runs overlaid on the live chart: the current run (its live column store) and every run
 * ticked in the Runs panel (from its stored metrics.jsonl rows), one colour per run, each with
 * its own EMA smoothing, on a step, wall-time or epoch x axis.
 */
import type { MetricRow } from '../../runs/metricsLog';
import { SeriesColumns } from '../../state/seriesColumns';
import type { EvalPoint } from '../../state/trainStore';
import type { ChartLine } from '../plots/LineChart';
import { downsampleMinMax } from '../plots/downsample';
import { smooth } from '../plots/smoothing';

export type XAxis = 'step' | 'time' | 'epoch';

export const X_LABEL: Record<XAxis, string> = { step: 'step', time: 'wall time (s)', epoch: 'epoch' };

export const RUN_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

/** Points per drawn line (as the single-run chart). */
const POINTS_PER_LINE = 1500;

export interface OverlayRun {
  id: string;
  name: string;
  color: string;
  smoothing: number;
  series: SeriesColumns;
  evals: readonly EvalPoint[];
}

/** A stored run's rows as the live chart's column store and evaluations. */
export function rowsToSeries(rows: readonly MetricRow[]): { series: SeriesColumns; evals: EvalPoint[] } {
  const series = new SeriesColumns();
  const train = rows.filter((r) => r.split === 'train').sort((a, b) => a.step - b.step);
  series.append(train.map((r) => ({ step: r.step, wallMs: r.wallMs, values: r.values })));
  const evals = rows.filter((r) => r.split === 'test').map((r) => ({ step: r.step, scalars: r.values }));
  return { series, evals };
}

/** The other way: the live run as metrics.jsonl rows (for the CSV export). */
export function seriesToRows(series: SeriesColumns, evals: readonly EvalPoint[]): MetricRow[] {
  const steps = series.steps();
  const wall = series.wallMs();
  const cols = series.names().map((n) => [n, series.column(n)!] as const);
  const rows: MetricRow[] = [];
  for (let i = 0; i < series.length; i++) {
    const values: Record<string, number> = {};
    for (const [n, c] of cols) if (!Number.isNaN(c[i])) values[n] = c[i];
    rows.push({ step: steps[i], wallMs: wall[i], split: 'train', values });
  }
  for (const e of evals) rows.push({ step: e.step, wallMs: series.wallAtStep(e.step) ?? 0, split: 'test', values: e.scalars });
  return rows;
}

/**
 * x of every training point, or null when the run has no such axis (epoch: streamed and
 * cosmic runs report none).
 */
export function trainX(series: SeriesColumns, xAxis: XAxis): ArrayLike<number> | null {
  if (xAxis === 'step') return series.steps();
  if (xAxis === 'time') return series.wallMs().map((ms) => ms / 1000);
  return series.column('epoch');
}

/** x of an evaluation at `step` (after `step` steps). */
export function evalX(series: SeriesColumns, step: number, xAxis: XAxis): number | null {
  if (xAxis === 'step') return step;
  if (xAxis === 'time') return (series.wallAtStep(step) ?? 0) / 1000;
  // epoch is micro-batches / batches per epoch, proportional to the step (accumulate is fixed)
  const epoch = series.column('epoch');
  const steps = series.steps();
  for (let i = series.length - 1; i >= 0; i--) {
    if (Number.isFinite(epoch?.[i]) && steps[i] > 0) return (step * epoch![i]) / steps[i];
  }
  return null;
}

/** Makes `#rrggbb` translucent (the raw line under the smoothed one). */
export function translucent(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/**
 * One run's lines of `metric`: raw training values (faint, out of the legend), the EMA over
 * every point (legend: the run's name), and the test evaluations as points ("<name> test").
 */
export function runLines(run: OverlayRun, metric: string, xAxis: XAxis, labels?: { raw: string; train: string; test: string; testColor: string }): ChartLine[] {
  const lines = runLinesNamed(run, metric, xAxis);
  if (!labels) return lines;
  // the single-run chart's names and test colour ("train loss (raw)", "train loss", "test loss")
  return lines.map((l) => (l.points ? { ...l, name: labels.test, color: labels.testColor, width: 2 } : l.legend === false ? { ...l, name: labels.raw } : { ...l, name: labels.train }));
}

function runLinesNamed(run: OverlayRun, metric: string, xAxis: XAxis): ChartLine[] {
  const lines: ChartLine[] = [];
  const x = trainX(run.series, xAxis);
  const col = run.series.column(metric);
  if (x && col) {
    if (run.smoothing > 0) lines.push({ name: `${run.name} (raw)`, color: translucent(run.color, 0.25), width: 1, legend: false, ...downsampleMinMax(x, col, POINTS_PER_LINE) });
    lines.push({ name: run.name, color: run.color, width: 2, ...downsampleMinMax(x, smooth(col, run.smoothing), POINTS_PER_LINE) });
  }
  const tests = run.evals.filter((e) => metric in e.scalars).sort((a, b) => a.step - b.step);
  const tx: number[] = [];
  const ty: number[] = [];
  for (const e of tests) {
    const v = evalX(run.series, e.step, xAxis);
    if (v !== null) {
      tx.push(v);
      ty.push(e.scalars[metric]);
    }
  }
  if (tx.length) lines.push({ name: `${run.name} test`, color: run.color, width: 1, points: true, ...downsampleMinMax(tx, ty, POINTS_PER_LINE) });
  return lines;
}

/** Metric names of the runs (the x-axis columns left out). */
export function overlayMetricNames(runs: readonly OverlayRun[]): string[] {
  const set = new Set<string>();
  for (const r of runs) {
    for (const n of r.series.names()) set.add(n);
    for (const k of Object.keys(r.evals[r.evals.length - 1]?.scalars ?? {})) set.add(k);
  }
  set.delete('epoch');
  return [...set];
}
