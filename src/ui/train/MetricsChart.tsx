import { useEffect, useMemo, useRef, useState } from 'react';
import { seriesCsv } from '../../runs/metricsLog';
import { useRunsStore } from '../../state/runsStore';
import { useTrainStore } from '../../state/trainStore';
import { LineChart, type ChartLine } from '../plots/LineChart';
import { chartSvg, svgToPng } from '../runs/chartExport';
import { download } from '../runs/download';
import {
  overlayMetricNames,
  rowsToSeries,
  RUN_COLORS,
  runLines,
  seriesToRows,
  X_LABEL,
  type OverlayRun,
  type XAxis,
} from '../runs/overlay';
import { metricCurves, metricNames } from './curves';

/** Redraws at most this often however fast the worker reports (it may send 100 messages/s). */
const REDRAW_MS = 250;

/** `value`, but changing at most once per `ms` (trailing: the latest value always shows). */
function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const last = useRef(0);
  useEffect(() => {
    const apply = () => {
      last.current = performance.now();
      setShown(value);
    };
    const wait = last.current + ms - performance.now();
    if (wait <= 0) {
      apply();
      return;
    }
    const t = setTimeout(apply, wait);
    return () => clearTimeout(t);
  }, [value, ms]);
  return shown;
}

const STYLE: Record<'raw' | 'smoothed' | 'test', Omit<ChartLine, 'name' | 'x' | 'y'>> = {
  raw: { color: 'rgba(31,119,180,0.3)', width: 1 },
  smoothed: { color: '#1f77b4', width: 2 },
  test: { color: '#d62728', width: 2, points: true },
};

/** Size of the exported SVG / PNG (the PNG at twice this). */
const EXPORT_SIZE = { width: 900, height: 450 };

/**
 * Live training curves: every scalar the task reports, train (per step) and test (per
 * evaluation), with log y, smoothing, and step, wall-time or epoch x axis. Reads the column
 * store and draws a min/max-downsampled view, so a run of 10⁶ steps costs what 1,500 points do.
 * Runs ticked in the Runs panel are overlaid (one colour per run, legend by run name, each
 * with its own smoothing); PNG / SVG of the chart and CSV of the runs on it are exported.
 */
export function MetricsChart() {
  const series = useTrainStore((s) => s.series);
  const version = useThrottled(
    useTrainStore((s) => s.seriesVersion),
    REDRAW_MS,
  );
  const evals = useTrainStore((s) => s.evals);
  const selected = useRunsStore((s) => s.selected);
  const loaded = useRunsStore((s) => s.loaded);
  const records = useRunsStore((s) => s.runs);
  const currentId = useRunsStore((s) => s.currentId);
  const [logY, setLogY] = useState(true);
  const [smoothing, setSmoothing] = useState(0.6);
  const [runSmoothing, setRunSmoothing] = useState<Record<string, number>>({});
  const [xAxis, setXAxis] = useState<XAxis>('step');

  // Stored runs as column stores, built once per loaded run (the current run draws live).
  const stored = useMemo(() => {
    const out: Record<string, ReturnType<typeof rowsToSeries>> = {};
    for (const [id, l] of Object.entries(loaded)) out[id] = rowsToSeries(l.rows);
    return out;
  }, [loaded]);
  const nameOf = (id: string | null) => records.find((r) => r.id === id)?.name;
  const others: OverlayRun[] = selected
    .filter((id) => id !== currentId && stored[id])
    .map((id, i) => ({
      id,
      name: nameOf(id) ?? id,
      color: RUN_COLORS[(i + 1) % RUN_COLORS.length],
      smoothing: runSmoothing[id] ?? smoothing,
      ...stored[id],
    }));
  const live: OverlayRun = {
    id: currentId ?? 'live',
    name: nameOf(currentId) ?? 'this run',
    color: RUN_COLORS[0],
    smoothing,
    series,
    evals,
  };
  const overlay = others.length > 0;
  const onChart = overlay ? (series.length || evals.length ? [live, ...others] : others) : [live];
  const othersKey = [live.name, ...others.map((r) => `${r.id}:${r.name}:${r.smoothing}`)].join(',');

  // `version` stands for the series' contents (mutated in place).
  const names = useMemo(
    () => (overlay ? overlayMetricNames(onChart) : metricNames(series, evals).filter((n) => n !== 'epoch')),
    [series, version, evals, othersKey],
  ); // eslint-disable-line react-hooks/exhaustive-deps
  const [shown, setShown] = useState<string>('loss');
  const metric = names.includes(shown) ? shown : (names[0] ?? 'loss');
  const hasEpoch = onChart.some((r) => r.series.has('epoch'));

  const lines = useMemo((): ChartLine[] => {
    if (overlay) return onChart.flatMap((r) => runLines(r, metric, xAxis));
    if (xAxis === 'epoch') {
      return runLines(live, metric, xAxis, {
        raw: `train ${metric} (raw)`,
        train: `train ${metric}`,
        test: `test ${metric}`,
        testColor: STYLE.test.color,
      }).map((l) => (l.legend === false ? { ...l, color: STYLE.raw.color } : l));
    }
    return metricCurves(series, evals, metric, smoothing, xAxis).map((c): ChartLine => ({
      ...STYLE[c.kind],
      name: c.name,
      x: c.x,
      y: c.y,
    }));
  }, [series, version, evals, metric, smoothing, xAxis, othersKey, stored]); // eslint-disable-line react-hooks/exhaustive-deps

  const file = `${overlay ? 'runs' : (live.name || 'run').replace(/[^\w.-]+/g, '_')}-${metric}`;
  const svg = () => chartSvg(lines, { xLabel: X_LABEL[xAxis], yLabel: metric, logY, ...EXPORT_SIZE });
  const exportPng = async () => download(`${file}.png`, await svgToPng(svg(), EXPORT_SIZE.width, EXPORT_SIZE.height), 'image/png');
  const exportCsv = () =>
    download(`${file}.csv`, seriesCsv(onChart.map((r) => ({ name: r.name, rows: seriesToRows(r.series, r.evals) }))), 'text/csv');
  const empty = series.length === 0 && evals.length === 0 && !overlay;

  return (
    <div className="card">
      <div className="chart-controls">
        <label>
          metric{' '}
          <select value={metric} onChange={(e) => setShown(e.target.value)} data-testid="metric-select">
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} /> log y
        </label>
        <label>
          smoothing{' '}
          <input
            type="range"
            min={0}
            max={0.99}
            step={0.01}
            value={smoothing}
            onChange={(e) => setSmoothing(+e.target.value)}
            data-testid="chart-smoothing"
          />{' '}
          {smoothing.toFixed(2)}
        </label>
        <label>
          x axis{' '}
          <select value={xAxis} onChange={(e) => setXAxis(e.target.value as XAxis)} data-testid="x-axis-select">
            <option value="step">step</option>
            <option value="time">wall time</option>
            <option value="epoch" disabled={!hasEpoch}>
              epoch
            </option>
          </select>
        </label>
        {!empty && (
          <span className="chart-export">
            export{' '}
            <button onClick={() => void exportPng()} data-testid="chart-png">
              PNG
            </button>
            <button onClick={() => download(`${file}.svg`, svg(), 'image/svg+xml')} data-testid="chart-svg">
              SVG
            </button>
            <button onClick={exportCsv} data-testid="chart-csv">
              CSV
            </button>
          </span>
        )}
      </div>
      {empty ? (
        <p className="muted chart-empty" data-testid="metrics-chart-empty">
          Curves appear here once a model is created and trained.
        </p>
      ) : (
        <LineChart lines={lines} xLabel={X_LABEL[xAxis]} yLabel={metric} logY={logY} testId="metrics-chart" />
      )}
      {overlay && (
        <div className="status" data-testid="overlay-runs">
          {onChart.map((r, i) => (
            <label key={r.id} style={{ color: r.color }}>
              {r.name}
              {r === live ? ' (this run)' : ''}: smoothing{' '}
              {r === live ? (
                <span>{smoothing.toFixed(2)}</span>
              ) : (
                <input
                  type="range"
                  min={0}
                  max={0.99}
                  step={0.01}
                  value={r.smoothing}
                  data-testid={`run-smoothing-${i}`}
                  onChange={(e) => setRunSmoothing({ ...runSmoothing, [r.id]: +e.target.value })}
                />
              )}
              {xAxis === 'epoch' && !r.series.has('epoch') && <span className="muted"> (no epochs: streamed data)</span>}
            </label>
          ))}
        </div>
      )}
      <div className="muted" data-testid="metric-count">
        {series.length} training points, {evals.length} evaluations
      </div>
    </div>
  );
}
