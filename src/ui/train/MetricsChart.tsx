import { useMemo, useState } from 'react';
import { useTrainStore } from '../../state/trainStore';
import { Plot } from '../plots/Plot';
import { smooth } from '../plots/smoothing';

/**
 * Live training curves: every scalar the task reports, train (per step) and test (per
 * evaluation), with log y, smoothing, and step or wall-time x axis.
 */
export function MetricsChart() {
  const points = useTrainStore((s) => s.points);
  const evals = useTrainStore((s) => s.evals);
  const [logY, setLogY] = useState(true);
  const [smoothing, setSmoothing] = useState(0.6);
  const [xAxis, setXAxis] = useState<'step' | 'time'>('step');

  const names = useMemo(() => {
    const set = new Set<string>();
    for (const p of points.slice(-1)) Object.keys(p.values).forEach((k) => set.add(k));
    for (const e of evals.slice(-1)) Object.keys(e.scalars).forEach((k) => set.add(k));
    return [...set];
  }, [points, evals]);
  const [shown, setShown] = useState<string>('loss');
  const metric = names.includes(shown) ? shown : (names[0] ?? 'loss');

  const data = useMemo(() => {
    const wallAt = (step: number) => {
      const p = points.find((q) => q.step >= step);
      return (p ?? points[points.length - 1])?.wallMs / 1000;
    };
    const trainPts = points.filter((p) => metric in p.values);
    const trainX = trainPts.map((p) => (xAxis === 'step' ? p.step : p.wallMs / 1000));
    const trainY = trainPts.map((p) => p.values[metric]);
    const testPts = evals.filter((e) => metric in e.scalars).sort((a, b) => a.step - b.step);
    return [
      { x: trainX, y: trainY, name: `train ${metric} (raw)`, mode: 'lines', line: { width: 1, color: 'rgba(31,119,180,0.25)' }, showlegend: false },
      { x: trainX, y: smooth(trainY, smoothing), name: `train ${metric}`, mode: 'lines', line: { width: 2, color: '#1f77b4' } },
      {
        x: testPts.map((e) => (xAxis === 'step' ? e.step : wallAt(e.step) ?? 0)),
        y: testPts.map((e) => e.scalars[metric]),
        name: `test ${metric}`, mode: 'lines+markers', line: { width: 2, color: '#d62728' },
      },
    ];
  }, [points, evals, metric, smoothing, xAxis]);

  const layout = useMemo(() => ({
    xaxis: { title: { text: xAxis === 'step' ? 'step' : 'wall time (s)' } },
    yaxis: { title: { text: metric }, type: logY ? 'log' : 'linear' },
    legend: { orientation: 'h', y: 1.12 },
  }), [logY, metric, xAxis]);

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
      <Plot data={data} layout={layout} testId="metrics-chart" />
      <div className="muted" data-testid="metric-count">{points.length} training points, {evals.length} evaluations</div>
    </div>
  );
}
