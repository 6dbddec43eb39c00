import { useMemo, useState } from 'react';
import type { MetricRow } from '../../runs/metricsLog';
import { seriesCsv } from '../../runs/metricsLog';
import { useRunsStore } from '../../state/runsStore';
import { Plot } from '../plots/Plot';
import { loadPlotly } from '../plots/plotly';
import { smooth } from '../plots/smoothing';
import { download } from './download';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

/** Flattened RUN.json keys ("optimizer.lr") → value text. */
function flatten(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix && prefix !== 'name') {
    out[prefix] = JSON.stringify(v);
  }
  return out;
}

/**
 * The selected runs side by side: one colour per run, legend by run name, each run with its
 * own EMA smoothing, x by step or wall time; the config keys where they differ; PNG / SVG /
 * CSV export.
 */
export function RunsCompare() {
  const selected = useRunsStore((s) => s.selected);
  const loaded = useRunsStore((s) => s.loaded);
  const runs = useRunsStore((s) => s.runs);
  const [xAxis, setXAxis] = useState<'step' | 'time'>('step');
  const [logY, setLogY] = useState(true);
  const [split, setSplit] = useState<'train' | 'test'>('train');
  const [smoothing, setSmoothing] = useState<Record<string, number>>({});
  const shown = selected.filter((id) => loaded[id]).map((id) => ({ id, name: runs.find((r) => r.id === id)?.name ?? id, ...loaded[id] }));

  const names = useMemo(() => [...new Set(shown.flatMap((r) => r.rows.filter((x) => x.split === split).flatMap((x) => Object.keys(x.values))))], [shown, split]);
  const [metricPick, setMetric] = useState('loss');
  const metric = names.includes(metricPick) ? metricPick : (names[0] ?? 'loss');

  const data = useMemo(() => shown.flatMap((r, i) => {
    const pts = r.rows.filter((x: MetricRow) => x.split === split && metric in x.values).sort((a, b) => a.step - b.step);
    const x = pts.map((p) => (xAxis === 'step' ? p.step : p.wallMs / 1000));
    const y = pts.map((p) => p.values[metric]);
    const w = smoothing[r.id] ?? (split === 'train' ? 0.6 : 0);
    const color = COLORS[i % COLORS.length];
    return [
      ...(w > 0 ? [{ x, y, name: `${r.name} (raw)`, mode: 'lines', line: { width: 1, color }, opacity: 0.25, showlegend: false, hoverinfo: 'skip' }] : []),
      { x, y: Array.from(smooth(y, w)), name: r.name, mode: split === 'test' ? 'lines+markers' : 'lines', line: { width: 2, color } },
    ];
  }), [shown, split, metric, xAxis, smoothing]);

  const layout = useMemo(() => ({
    xaxis: { title: { text: xAxis === 'step' ? 'step' : 'wall time (s)' } },
    yaxis: { title: { text: `${split} ${metric}` }, type: logY ? 'log' : 'linear' },
    legend: { orientation: 'h', y: 1.15 },
  }), [xAxis, split, metric, logY]);

  const diff = useMemo(() => {
    const flat = shown.map((r) => flatten(r.run ?? {}));
    const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
    return keys.filter((k) => new Set(flat.map((f) => f[k] ?? '—')).size > 1).map((k) => [k, flat.map((f) => f[k] ?? '—')] as const);
  }, [shown]);

  if (!selected.length) return <p className="muted">tick runs to compare their curves</p>;

  const image = async (format: 'png' | 'svg') => {
    const el = document.querySelector('[data-testid="runs-chart"]') as HTMLElement | null;
    if (!el) return;
    const Plotly = await loadPlotly();
    await (Plotly as unknown as { downloadImage(el: HTMLElement, o: object): Promise<void> }).downloadImage(el, { format, filename: `runs-${metric}`, width: 1000, height: 500 });
  };

  return (
    <div className="card" data-testid="runs-compare">
      <div className="chart-controls">
        <label>metric <select value={metric} onChange={(e) => setMetric(e.target.value)} data-testid="runs-metric">{names.map((n) => <option key={n}>{n}</option>)}</select></label>
        <label>split <select value={split} onChange={(e) => setSplit(e.target.value as 'train' | 'test')}><option value="train">train</option><option value="test">test</option></select></label>
        <label><input type="checkbox" checked={logY} onChange={(e) => setLogY(e.target.checked)} /> log y</label>
        <label>x axis <select value={xAxis} onChange={(e) => setXAxis(e.target.value as 'step' | 'time')}><option value="step">step</option><option value="time">wall time</option></select></label>
        <button onClick={() => void image('png')}>PNG</button>
        <button onClick={() => void image('svg')}>SVG</button>
        <button onClick={() => download(`runs-${metric}.csv`, seriesCsv(shown.map((r) => ({ name: r.name, rows: r.rows }))), 'text/csv')} data-testid="runs-csv">CSV</button>
      </div>
      <Plot data={data} layout={layout} testId="runs-chart" height={300} />
      <div className="status">
        {shown.map((r, i) => (
          <label key={r.id} style={{ color: COLORS[i % COLORS.length] }}>
            {r.name}: smoothing{' '}
            <input type="range" min={0} max={0.99} step={0.01} value={smoothing[r.id] ?? (split === 'train' ? 0.6 : 0)}
              onChange={(e) => setSmoothing({ ...smoothing, [r.id]: +e.target.value })} />
            <span data-testid={`runs-points-${i}`}>{r.rows.filter((x) => x.split === split).length} points</span>
          </label>
        ))}
      </div>
      {shown.length > 1 && (
        <table className="runs-diff" data-testid="runs-diff">
          <thead><tr><th>config</th>{shown.map((r) => <th key={r.id}>{r.name}</th>)}</tr></thead>
          <tbody>
            {diff.length ? diff.map(([k, vs]) => <tr key={k}><td>{k}</td>{vs.map((v, i) => <td key={i}>{v}</td>)}</tr>) : <tr><td colSpan={shown.length + 1} className="muted">same config</td></tr>}
          </tbody>
        </table>
      )}
    </div>
  );
}
