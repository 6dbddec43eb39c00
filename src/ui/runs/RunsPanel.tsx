import { useEffect, useState } from 'react';
import { listCheckpoints } from '../../runs/checkpointStore';
import { runFolder } from '../../runs/opfs';
import { parseMetricRows, seriesCsv } from '../../runs/metricsLog';
import { useRunsStore, type RunRecord } from '../../state/runsStore';
import { useTrainStore } from '../../state/trainStore';
import { checkpointName } from '../../train/checkpoint';
import { bytesText, download } from './download';
import { RunsCompare } from './RunsCompare';
import { UrlConfigSync } from './UrlConfigSync';

const fmt = (v: number) => (Number.isFinite(v) ? v.toPrecision(4) : String(v));

async function exportRun(r: RunRecord, what: 'run' | 'weights' | 'csv'): Promise<void> {
  const s = useRunsStore.getState();
  if (what === 'run') {
    const text = await s.readText(r.id, 'run.json');
    if (text) download(`${r.name}.RUN.json`, text, 'application/json');
    return;
  }
  if (what === 'csv') {
    const rows = parseMetricRows((await s.readText(r.id, 'metrics.jsonl')) ?? '').rows;
    download(`${r.name}.metrics.csv`, seriesCsv([{ name: r.name, rows }]), 'text/csv');
    return;
  }
  // The newest checkpoint's weights (or a physml train folder's final weights).
  const list = await listCheckpoints(runFolder(r.id));
  const last = list[list.length - 1];
  const bytes = last ? await s.readBytes(r.id, `checkpoints/${checkpointName(last.step)}/model.safetensors`) : await s.readBytes(r.id, 'weights.safetensors');
  if (!bytes) {
    useRunsStore.setState({ message: { kind: 'error', text: 'this run has no weights yet (no checkpoint)' } });
    return;
  }
  download(`${r.name}-step${last?.step ?? r.steps}.safetensors`, bytes as BlobPart);
}

function RunRow({ r, current }: { r: RunRecord; current: boolean }) {
  const s = useRunsStore();
  const busy = useTrainStore((t) => t.state === 'running' || t.state === 'creating');
  const [name, setName] = useState(r.name);
  useEffect(() => setName(r.name), [r.name]);
  const best = Object.entries(r.best)
    .filter(([k]) => k.startsWith('Average/') || !/^plane\d|\(|\//.test(k))
    .slice(0, 4);
  return (
    <tr data-testid="run-row" data-run-id={r.id} className={current ? 'current' : undefined}>
      <td><input type="checkbox" checked={s.selected.includes(r.id)} onChange={() => void s.toggleSelected(r.id)} data-testid="run-compare" aria-label="compare" /></td>
      <td>
        <input value={name} onChange={(e) => setName(e.target.value)} onBlur={() => name !== r.name && void s.rename(r.id, name)}
          onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()} data-testid="run-name" />
      </td>
      <td>{r.task}</td>
      <td title={r.data?.fingerprint ?? ''}>
        {r.data ? <>{r.data.file}{r.data.size !== undefined && ` (${bytesText(r.data.size)})`}{r.data.fingerprint && <span className="muted"> {r.data.fingerprint.slice(10, 22)}…</span>}</> : <span className="muted">built-in</span>}
      </td>
      <td>{new Date(r.created).toLocaleString()}</td>
      <td data-testid="run-steps">{r.steps}</td>
      <td data-testid="run-checkpoint">{r.checkpoint ?? '—'}</td>
      <td>{best.map(([k, v]) => <div key={k}>{k} {fmt(v)}</div>)}</td>
      <td data-testid="run-status-cell">{current ? <b>{r.status}</b> : r.status}</td>
      <td className="buttons">
        <button disabled={busy || r.checkpoint === null} onClick={() => void s.resume(r.id)} data-testid="run-resume">Resume</button>
        <button onClick={() => void s.duplicate(r.id)} disabled={busy}>Duplicate config</button>
        <select value="" onChange={(e) => { if (e.target.value) void exportRun(r, e.target.value as 'run' | 'weights' | 'csv'); }} data-testid="run-export">
          <option value="">Export…</option>
          <option value="run">RUN.json</option>
          <option value="weights">weights (.safetensors)</option>
          <option value="csv">metrics CSV</option>
        </select>
        <button disabled={current && busy} onClick={() => confirm(`Delete ${r.name} and its checkpoints?`) && void s.remove(r.id)} data-testid="run-delete">Delete</button>
      </td>
    </tr>
  );
}

/** Every run in this browser's storage, its checkpoints, resume, compare and export. */
export function RunsPanel() {
  const s = useRunsStore();
  const gpuState = useTrainStore((t) => t.state);
  useEffect(() => void s.init(), []); // eslint-disable-line react-hooks/exhaustive-deps
  if (!s.available) return null;
  const cur = s.runs.find((r) => r.id === s.currentId);
  const cutOff = s.runs.filter((r) => (r.status === 'interrupted' || r.status === 'crashed') && r.checkpoint !== null);
  const crashed = gpuState === 'error' && cur && cur.checkpoint !== null ? cur : null;
  const offer = crashed ?? (cutOff.length && !cur ? cutOff[0] : null);
  const p = s.policy;
  return (
    <section className="panel" data-testid="runs-panel">
      <UrlConfigSync />
      <h2>Runs</h2>
      {offer && (
        <div className="banner" data-testid="resume-offer">
          {offer.name} {offer.status === 'crashed' || crashed ? 'stopped with the GPU device or the worker' : 'was interrupted'} at step {offer.steps}; its last checkpoint is at step {offer.checkpoint}.{' '}
          <button onClick={() => void s.resume(offer.id)} data-testid="resume-offer-btn">Resume from step {offer.checkpoint}</button>
        </div>
      )}
      {s.message && (
        <div className={s.message.kind === 'error' ? 'error' : 'muted'} data-testid="runs-message">
          {s.message.text} <button className="link" onClick={s.dismiss}>dismiss</button>
        </div>
      )}
      <div className="card">
        <div className="form-grid">
          <label><span>checkpoint every (steps, 0 = off)</span>
            <input type="number" min={0} value={p.everySteps} onChange={(e) => s.setPolicy({ everySteps: Math.max(0, Math.round(+e.target.value)) })} data-testid="ckpt-every" /></label>
          <label><span>…or every (minutes, 0 = off)</span>
            <input type="number" min={0} step={0.5} value={p.everyMinutes} onChange={(e) => s.setPolicy({ everyMinutes: Math.max(0, +e.target.value) })} /></label>
          <label><span>keep the last</span>
            <input type="number" min={1} value={p.keep} onChange={(e) => s.setPolicy({ keep: Math.max(1, Math.round(+e.target.value)) })} /></label>
          <label><span>and the best by test</span>
            <input value={p.bestMetric ?? ''} onChange={(e) => s.setPolicy({ bestMetric: e.target.value || undefined })} /></label>
        </div>
        <p className="muted">Checkpoints are also written on pause. The settings apply to the next model created or resumed.</p>
        <div className="status" data-testid="storage-info">
          {s.storage ? <span>storage: {bytesText(s.storage.usage)} used of {bytesText(s.storage.quota)} ({bytesText(Math.max(0, s.storage.quota - s.storage.usage))} free){s.storage.persisted ? ', persistent' : ''}</span> : <span>storage: unknown</span>}
          {!s.storage?.persisted && <button className="link" onClick={() => void s.requestPersist()}>ask for persistent storage</button>}
          <label className="link">open a physml train folder…
            <input type="file" style={{ display: 'none' }} multiple {...{ webkitdirectory: '' }} data-testid="open-run-folder"
              onChange={(e) => { const f = [...(e.target.files ?? [])]; e.target.value = ''; if (f.length) void s.importFolder(f); }} />
          </label>
        </div>
        {s.runs.length === 0 ? <p className="muted">no runs yet: create a model in the Train panel</p> : (
          <div className="table-scroll">
            <table className="runs-table" data-testid="runs-table">
              <thead><tr><th /><th>name</th><th>task</th><th>data</th><th>started</th><th>steps</th><th>checkpoint</th><th>best test</th><th>status</th><th /></tr></thead>
              <tbody>{s.runs.map((r) => <RunRow key={r.id} r={r} current={r.id === s.currentId} />)}</tbody>
            </table>
          </div>
        )}
      </div>
      <RunsCompare />
    </section>
  );
}
