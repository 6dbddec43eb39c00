import { useTrainStore } from '../../state/trainStore';

const SHOWN = 12;

function KeyList({ title, keys, testId }: { title: string; keys: string[]; testId: string }) {
  if (!keys.length) return null;
  return (
    <div data-testid={testId}>
      <b>
        {keys.length} {title}
      </b>
      <ul>
        {keys.slice(0, SHOWN).map((k) => (
          <li key={k}>
            <code>{k}</code>
          </li>
        ))}
        {keys.length > SHOWN && <li className="muted">… and {keys.length - SHOWN} more</li>}
      </ul>
    </div>
  );
}

/** Load a .safetensors state dict into the created model (strict: every key must match). */
export function LoadWeights() {
  const state = useTrainStore((s) => s.state);
  const report = useTrainStore((s) => s.weights);
  const loadWeights = useTrainStore((s) => s.loadWeights);
  const canLoad = state === 'ready' || state === 'paused';
  return (
    <div className="load-weights" data-testid="load-weights">
      <label title="PyTorch-named weights (state_dict saved with safetensors); shapes and dtypes must match the created model">
        Load weights (.safetensors){' '}
        <input
          type="file"
          accept=".safetensors"
          disabled={!canLoad}
          data-testid="input-load-weights"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void f.arrayBuffer().then((b) => loadWeights(f.name, new Uint8Array(b)));
            e.target.value = '';
          }}
        />
      </label>
      {!canLoad && <span className="muted"> {state === 'running' ? 'pause training to load weights' : 'create the model first'}</span>}
      {report &&
        (report.ok ? (
          <p data-testid="weights-loaded">
            loaded {report.loaded} tensors from {report.name}
          </p>
        ) : (
          <div className="banner error" role="alert" data-testid="weights-error">
            {report.problem ? `${report.name}: ${report.problem}` : `${report.name} does not fit the model; nothing was loaded.`}
            <KeyList title="missing (in the model, not in the file)" keys={report.missing} testId="weights-missing" />
            <KeyList title="unexpected (in the file, not in the model)" keys={report.unexpected} testId="weights-unexpected" />
            <KeyList title="mismatched shape or dtype" keys={report.mismatched} testId="weights-mismatched" />
          </div>
        ))}
    </div>
  );
}
