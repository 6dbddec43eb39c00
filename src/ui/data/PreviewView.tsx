import { useState } from 'react';
import type { PreviewState } from '../../state/dataStore';
import { HistogramPlot } from './HistogramPlot';

function cell(v: number | string): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(6);
  return v;
}

export function PreviewView({ preview }: { preview: PreviewState }) {
  const [hist, setHist] = useState(0);
  if (preview.loading)
    return (
      <div className="data-preview" data-testid="data-preview">
        Loading {preview.path}…
      </div>
    );
  if (preview.error)
    return (
      <div className="data-preview data-error" data-testid="data-error" role="alert">
        {preview.error.message}
      </div>
    );
  const p = preview.data;
  if (!p) return null;
  const h = p.histograms[Math.min(hist, p.histograms.length - 1)];
  return (
    <div className="data-preview" data-testid="data-preview">
      <div className="data-preview-title">
        {p.path} — {p.info.dtypeText} [{p.info.shape.join(', ')}], first {p.rows.length} of {p.totalRows} rows
      </div>
      <div className="data-table-wrap">
        <table className="data-table" data-testid="data-preview-table">
          <thead>
            <tr>
              <th>#</th>
              {p.columns.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {p.rows.map((r, i) => (
              <tr key={i}>
                <td>{i}</td>
                {r.map((v, j) => (
                  <td key={j}>{cell(v)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {p.histograms.length > 1 && (
        <label className="data-hist-select">
          histogram of{' '}
          <select value={hist} onChange={(e) => setHist(Number(e.target.value))}>
            {p.histograms.map((x, i) => (
              <option key={x.column} value={i}>
                {x.column}
              </option>
            ))}
          </select>
        </label>
      )}
      {h && <HistogramPlot h={h} />}
    </div>
  );
}
