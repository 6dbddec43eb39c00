import { useTrainStore } from '../../state/trainStore';
import { findTask, TASKS } from '../../tasks';
import { ConfigForm } from './ConfigForm';
import { EvalFigures } from './EvalFigures';
import { ExportBar } from './ExportBar';
import { LoadWeights } from './LoadWeights';
import { MetricsChart } from './MetricsChart';
import { RunConfigBar } from './RunConfigBar';
import { OptimizerForm } from './OptimizerForm';

/** Pick a task, set it up, train it live, export it. */
export function TrainPanel() {
  const s = useTrainStore();
  const def = findTask(s.taskId);
  const busy = s.state === 'running' || s.state === 'creating';
  const hasModel = s.state === 'ready' || s.state === 'paused' || s.state === 'running';
  const lastLoss = s.points[s.points.length - 1]?.values.loss;
  const lastEval = s.evals[s.evals.length - 1];
  const testLoss = lastEval?.scalars.loss;
  const testOthers = Object.entries(lastEval?.scalars ?? {}).filter(([k]) => k !== 'loss');

  return (
    <section className="panel" data-testid="train-panel">
      <h2>Train</h2>
      <div className="card">
        <label className="row">
          <span>task</span>
          <select value={s.taskId} disabled={busy} onChange={(e) => s.selectTask(e.target.value)} data-testid="task-select">
            {TASKS.map((t) => <option key={t.id} value={t.id}>{t.label}</option>)}
          </select>
        </label>
        <p className="muted">{def.description}</p>
        <ConfigForm fields={def.fields} values={s.config} onChange={s.setConfig} disabled={busy} />
        <h3>optimizer</h3>
        <OptimizerForm value={s.settings.optimizer} onChange={s.setOptimizer} disabled={busy} />
        <h3>loop</h3>
        <div className="form-grid">
          <label><span>evaluate every (steps)</span>
            <input type="number" min={0} value={s.settings.evalEvery} disabled={busy}
              onChange={(e) => s.setSettings({ evalEvery: Math.max(0, Math.round(+e.target.value)) })} /></label>
          <label title="micro-batches whose gradients are summed before each update: a larger effective batch in the same GPU memory">
            <span>gradient accumulation (micro-batches)</span>
            <input type="number" min={1} value={s.settings.accumulate} disabled={busy} data-testid="cfg-accumulate"
              onChange={(e) => s.setSettings({ accumulate: Math.max(1, Math.round(+e.target.value)) })} /></label>
          <label><span>stop after (steps, 0 = never)</span>
            <input type="number" min={0} value={s.settings.maxSteps} disabled={busy}
              onChange={(e) => s.setSettings({ maxSteps: Math.max(0, Math.round(+e.target.value)) })} /></label>
        </div>
        <p className="muted" data-testid="train-data">
          data: {s.data?.taskId === s.taskId ? <b>{s.data.label}</b> : 'built-in demo data'}
          {s.data?.taskId === s.taskId && (
            <button className="link" disabled={busy} onClick={() => s.setData(null)} data-testid="btn-clear-data">use built-in demo data</button>
          )}
        </p>
        <div className="buttons">
          <button onClick={s.create} disabled={busy || s.gpu !== 'ready'} data-testid="btn-create">
            {hasModel ? 'Reset (new model)' : 'Create model'}
          </button>
          <button onClick={s.start} disabled={!hasModel || busy} data-testid="btn-start">Start</button>
          <button onClick={s.pause} disabled={s.state !== 'running'} data-testid="btn-pause">Pause</button>
          <button onClick={() => s.stepOnce(1)} disabled={!hasModel || busy} data-testid="btn-step">Step</button>
        </div>
        <RunConfigBar /><LoadWeights />
        {s.progress && (
          <div className="progress" data-testid="progress">
            <span>{s.progress.what}…</span>
            <progress max={1} value={s.progress.fraction || undefined} />
          </div>
        )}
        <div className="status" data-testid="run-status">
          <span>state: <b data-testid="run-state">{s.state}</b></span>
          <span>step: <b data-testid="run-step">{s.step}</b></span>
          <span>{s.stepsPerSecond > 0 ? `${s.stepsPerSecond.toFixed(1)} steps/s` : ''}</span>
          {lastLoss !== undefined && <span>train loss: <b data-testid="train-loss">{lastLoss.toPrecision(4)}</b></span>}
          {testLoss !== undefined && <span>test loss: <b data-testid="test-loss">{testLoss.toPrecision(4)}</b></span>}
          {s.parameterCount > 0 && <span>{s.parameterCount.toLocaleString()} parameters</span>}
        </div>
        {testOthers.length > 0 && <TestMetrics step={lastEval.step} metrics={testOthers} />}
        {s.description && <p className="muted" data-testid="run-description">{s.description}</p>}
      </div>
      <MetricsChart />
      <EvalFigures />
      <ExportBar />
    </section>
  );
}

/** The latest test metrics: headline ones inline, per-plane / per-particle ones folded. */
function TestMetrics({ step, metrics }: { step: number; metrics: [string, number][] }) {
  // Per-plane metrics and binned ones ("event purity (6 jets)") go under the fold.
  const isDetail = (k: string) => /^plane\d|\(|\//.test(k);
  const show = (list: [string, number][]) =>
    list.map(([k, v]) => (
      <span key={k}>{k}: <b data-testid={`test-${k}`}>{Number.isFinite(v) ? v.toPrecision(4) : String(v)}</b></span>
    ));
  const main = metrics.filter(([k]) => !isDetail(k));
  const detail = metrics.filter(([k]) => isDetail(k));
  return (
    <div className="status" data-testid="test-metrics">
      <span className="muted">test (step {step}):</span>
      {show(main)}
      {detail.length > 0 && (
        <details>
          <summary className="muted">{detail.length} more</summary>
          <div className="status">{show(detail)}</div>
        </details>
      )}
    </div>
  );
}
