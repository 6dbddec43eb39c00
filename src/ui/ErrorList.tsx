import { useTrainStore } from '../state/trainStore';

export function ErrorList() {
  const errors = useTrainStore((s) => s.errors);
  const dismiss = useTrainStore((s) => s.dismissError);
  const gpu = useTrainStore((s) => s.gpu);
  if (!errors.length || gpu === 'unavailable') return null;
  return (
    <div className="errors">
      {errors.map((e, i) => (
        <div className="banner error" key={i} role="alert" data-testid="train-error">
          {e} <button onClick={() => dismiss(i)}>dismiss</button>
        </div>
      ))}
    </div>
  );
}
