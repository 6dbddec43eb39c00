import { useTrainStore } from '../../state/trainStore';

/** Export the trained weights; the file is offered as a download link. */
export function ExportBar() {
  const state = useTrainStore((s) => s.state);
  const exported = useTrainStore((s) => s.exported);
  const exportModel = useTrainStore((s) => s.exportModel);
  const canExport = state === 'ready' || state === 'paused';
  return (
    <div className="card">
      <h3>Export</h3>
      <div className="buttons">
        <button disabled={!canExport} onClick={() => exportModel('safetensors')} data-testid="btn-export-safetensors">
          weights (.safetensors)
        </button>
        <button disabled={!canExport} onClick={() => exportModel('onnx')} data-testid="btn-export-onnx">
          model (.onnx)
        </button>
      </div>
      {!canExport && state === 'running' && <p className="muted">pause training to export</p>}
      {exported && (
        <p data-testid="export-result">
          <a href={exported.url} download={exported.name}>
            {exported.name}
          </a>{' '}
          ({(exported.bytes / 1024).toFixed(1)} KiB)
          {exported.note && (
            <>
              <br />
              <span className="muted" data-testid="export-check">
                ✓ {exported.note}
              </span>
            </>
          )}
        </p>
      )}
    </div>
  );
}
