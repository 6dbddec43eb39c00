import { useTrainStore } from '../state/trainStore';

export function ErrorList() {
  const errors = useTrainStore((s) => s.errors);
  const dismiss = useTrainStore((s) => s.dismissError);
  const gpu = useTrainStore((s) => s.gpu);
  const state = useTrainStore((s) => s.state);
  const restart = useTrainStore((s) => s.restart);
  if (!errors.length || gpu === 'unavailable') return null;
  return (
    <div className="errors">
      {state === 'error' && (
        <div className="banner error" role="alert">
          The GPU engine stopped. Your loaded files are kept.{' '}
          <button onClick={restart} data-testid="btn-restart-engine">
            Restart GPU engine
          </button>
        </div>
      )}
      {errors.map((e, i) => (
        // GPU messages span lines ("- While encoding …"): keep them.
        <div className="banner error" key={i} role="alert" data-testid="train-error" style={{ whiteSpace: 'pre-wrap' }}>
          {e} <button onClick={() => dismiss(i)}>dismiss</button>
        </div>
      ))}
    </div>
  );
}
