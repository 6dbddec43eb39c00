import { useEffect, useMemo, useRef, useState } from 'react';
import { useTrainStore } from '../../state/trainStore';
import { LineChart, type ChartLine } from '../plots/LineChart';
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

/**
 * Live training curves: every scalar the task reports, train (per step) and test (per
 * evaluation), with log y, smoothing, and step or wall-time x axis. Reads the column store
 * and draws a min/max-downsampled view, so a run of 10⁶ steps costs what 1,500 points do.
 */
export function MetricsChart() {
  const series = useTrainStore((s) => s.series);
  const version = useThrottled(useTrainStore((s) => s.seriesVersion), REDRAW_MS);
  const evals = useTrainStore((s) => s.evals);
  const [logY, setLogY] = useState(true);
  const [smoothing, setSmoothing] = useState(0.6);
  const [xAxis, setXAxis] = useState<'step' | 'time'>('step');

  // `version` stands for the series' contents (mutated in place).
  const names = useMemo(() => metricNames(series, evals), [series, version, evals]);
  const [shown, setShown] = useState<string>('loss');
  const metric = names.includes(shown) ? shown : (names[0] ?? 'loss');

  const lines = useMemo(
    () => metricCurves(series, evals, metric, smoothing, xAxis).map((c): ChartLine => ({ ...STYLE[c.kind], name: c.name, x: c.x, y: c.y })),
    [series, version, evals, metric, smoothing, xAxis],
  );

  return (
    <div className="card">
      <div className="chart-controls">
        <label>
          metric{' '}
          <select value={metric} onChange={(e) => setShown(e.target.value)} data-testid="metric-select">
            {names.map((n) => <option key={n}>{n}</option>)}
          </select>
        </label>
        <label><input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} /> log y</label>
        <label>
          smoothing <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(+e.target.value)} /> {smoothing.toFixed(2)}
        </label>
        <label>
          x axis{' '}
          <select value={xAxis} onChange={(e) => setXAxis(e.target.value as 'step' | 'time')}>
            <option value="step">step</option>
            <option value="time">wall time</option>
          </select>
        </label>
      </div>
      {series.length === 0 && evals.length === 0 ? (
        <p className="muted chart-empty" data-testid="metrics-chart-empty">Curves appear here once a model is created and trained.</p>
      ) : (
        <LineChart lines={lines} xLabel={xAxis === 'step' ? 'step' : 'wall time (s)'} yLabel={metric} logY={logY} testId="metrics-chart" />
      )}
      <div className="muted" data-testid="metric-count">{series.length} training points, {evals.length} evaluations</div>
    </div>
  );
}
