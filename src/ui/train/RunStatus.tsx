import { useShallow } from 'zustand/react/shallow';
import { useTrainStore } from '../../state/trainStore';

/** State, step, rate, latest losses and test metrics: the part of the panel that changes every message. */
export function RunStatus() {
  const s = useTrainStore(
    useShallow((x) => ({
      state: x.state,
      step: x.step,
      stepsPerSecond: x.stepsPerSecond,
      lastLoss: x.lastTrain.loss,
      lastEval: x.evals[x.evals.length - 1],
      parameterCount: x.parameterCount,
    })),
  );
  const testLoss = s.lastEval?.scalars.loss;
  const testOthers = Object.entries(s.lastEval?.scalars ?? {}).filter(([k]) => k !== 'loss');
  return (
    <>
      <div className="status" data-testid="run-status">
        <span>
          state: <b data-testid="run-state">{s.state}</b>
        </span>
        <span>
          step: <b data-testid="run-step">{s.step}</b>
        </span>
        <span>{s.stepsPerSecond > 0 ? `${s.stepsPerSecond.toFixed(1)} steps/s` : ''}</span>
        {s.lastLoss !== undefined && (
          <span>
            train loss: <b data-testid="train-loss">{s.lastLoss.toPrecision(4)}</b>
          </span>
        )}
        {testLoss !== undefined && (
          <span>
            test loss: <b data-testid="test-loss">{testLoss.toPrecision(4)}</b>
          </span>
        )}
        {s.parameterCount > 0 && <span>{s.parameterCount.toLocaleString()} parameters</span>}
      </div>
      {testOthers.length > 0 && s.lastEval && <TestMetrics step={s.lastEval.step} metrics={testOthers} />}
    </>
  );
}

/** The latest test metrics: headline ones inline, per-plane / per-particle ones folded. */
function TestMetrics({ step, metrics }: { step: number; metrics: [string, number][] }) {
  // Per-plane metrics and binned ones ("event purity (6 jets)") go under the fold; CosmicTagger's
  // Average/* names are the headline ones.
  const isDetail = (k: string) => !k.startsWith('Average/') && /^plane\d|\(|\//.test(k);
  const show = (list: [string, number][]) =>
    list.map(([k, v]) => (
      <span key={k}>
        {k}: <b data-testid={`test-${k}`}>{Number.isFinite(v) ? v.toPrecision(4) : String(v)}</b>
      </span>
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
