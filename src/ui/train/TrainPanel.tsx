import { useCallback } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useTrainStore } from '../../state/trainStore';
import { TASK_CATALOG, taskSpec } from '../../tasks/catalog';
import { ConfigForm } from './ConfigForm';
import { EvalFigures } from './EvalFigures';
import { ExportBar } from './ExportBar';
import { LoadWeights } from './LoadWeights';
import { MetricsChart } from './MetricsChart';
import { NumberField } from './NumberField';
import { RunConfigBar } from './RunConfigBar';
import { OptimizerForm } from './OptimizerForm';
import { ProfileView } from './ProfileView';
import { RunStatus } from './RunStatus';
import { StreamStatus } from './StreamStatus';

/** Pick a task, set it up, train it live, export it. */
export function TrainPanel() {
  // Everything but what changes on every worker message (RunStatus and the chart take those),
  // so a long run does not re-render the forms.
  const s = useTrainStore(
    useShallow(
      ({ step: _st, stepsPerSecond: _sps, series: _se, seriesVersion: _sv, lastTrain: _lt, evals: _ev, lastEval: _le, ...rest }) => rest,
    ),
  );
  const def = taskSpec(s.taskId);
  const fileData = s.data?.taskId === s.taskId;
  const invalid = Object.keys(s.fieldErrors);
  const { setFieldError, setSettings } = s;
  const loopError = (key: string) => (m: string | null) => setFieldError(`loop.${key}`, m);
  const evalEveryError = useCallback(loopError('evalEvery'), [setFieldError]);
  const accumulateError = useCallback(loopError('accumulate'), [setFieldError]);
  const maxStepsError = useCallback(loopError('maxSteps'), [setFieldError]);
  const busy = s.state === 'running' || s.state === 'creating';
  const hasModel = s.state === 'ready' || s.state === 'paused' || s.state === 'running';

  return (
    <section className="panel" data-testid="train-panel">
      <h2>Train</h2>
      <div className="card">
        <label className="row">
          <span>task</span>
          <select value={s.taskId} disabled={busy} onChange={(e) => s.selectTask(e.target.value)} data-testid="task-select">
            {TASK_CATALOG.map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <p className="muted">{def.description}</p>
        <ConfigForm
          key={s.taskId}
          fields={def.fields}
          values={s.config}
          onChange={s.setConfig}
          onFieldError={setFieldError}
          fileData={fileData}
          disabled={busy}
        />
        <h3>optimizer</h3>
        <OptimizerForm value={s.settings.optimizer} onChange={s.setOptimizer} disabled={busy} />
        <h3>loop</h3>
        <div className="form-grid">
          <NumberField
            label="evaluate every (steps)"
            value={s.settings.evalEvery}
            int
            min={0}
            disabled={busy}
            testId="cfg-eval-every"
            onChange={(evalEvery) => setSettings({ evalEvery })}
            onError={evalEveryError}
          />
          <NumberField
            label="gradient accumulation (micro-batches)"
            value={s.settings.accumulate}
            int
            min={1}
            max={1024}
            disabled={busy}
            testId="cfg-accumulate"
            title="micro-batches whose gradients are summed before each update: a larger effective batch in the same GPU memory"
            onChange={(accumulate) => setSettings({ accumulate })}
            onError={accumulateError}
          />
          <NumberField
            label="stop after (steps, 0 = never)"
            value={s.settings.maxSteps}
            int
            min={0}
            disabled={busy}
            testId="cfg-max-steps"
            onChange={(maxSteps) => setSettings({ maxSteps })}
            onError={maxStepsError}
          />
        </div>
        <p className="muted" data-testid="train-data">
          data: {fileData && s.data ? <b>{s.data.label}</b> : 'built-in demo data'}
          {fileData && (
            <button className="link" disabled={busy} onClick={() => s.setData(null)} data-testid="btn-clear-data">
              use built-in demo data
            </button>
          )}
        </p>
        <div className="buttons">
          <button onClick={s.create} disabled={busy || s.gpu !== 'ready' || invalid.length > 0} data-testid="btn-create">
            {hasModel ? 'Reset (new model)' : 'Create model'}
          </button>
          <button onClick={s.start} disabled={!hasModel || busy} data-testid="btn-start">
            Start
          </button>
          <button onClick={s.pause} disabled={s.state !== 'running'} data-testid="btn-pause">
            Pause
          </button>
          <button onClick={() => s.stepOnce(1)} disabled={!hasModel || busy} data-testid="btn-step">
            Step
          </button>
        </div>
        <RunConfigBar />
        <LoadWeights />
        {s.progress && (
          <div className="progress" data-testid="progress">
            <span>{s.progress.what}…</span>
            <progress max={1} value={s.progress.fraction || undefined} />
          </div>
        )}
        {invalid.length > 0 && (
          <p className="field-error" data-testid="form-invalid">
            fix the marked fields to create a model
          </p>
        )}
        <RunStatus />
        <StreamStatus />
        {s.description && (
          <p className="muted" data-testid="run-description">
            {s.description}
          </p>
        )}
      </div>
      <MetricsChart />
      <EvalFigures />
      <ExportBar />
      <ProfileView />
    </section>
  );
}
