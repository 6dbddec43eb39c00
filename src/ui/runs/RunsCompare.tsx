import { useMemo } from 'react';
import { useRunsStore } from '../../state/runsStore';

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
 * The ticked runs: their curves are overlaid on the Train panel's live chart (MetricsChart,
 * one colour per run, its own smoothing, PNG / SVG / CSV export); here, how many points each
 * brought and the RUN.json keys where their configs differ.
 */
export function RunsCompare() {
  const selected = useRunsStore((s) => s.selected);
  const loaded = useRunsStore((s) => s.loaded);
  const runs = useRunsStore((s) => s.runs);
  const shown = selected.filter((id) => loaded[id]).map((id) => ({ id, name: runs.find((r) => r.id === id)?.name ?? id, ...loaded[id] }));

  const diff = useMemo(() => {
    const flat = shown.map((r) => flatten(r.run ?? {}));
    const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
    return keys.filter((k) => new Set(flat.map((f) => f[k] ?? '—')).size > 1).map((k) => [k, flat.map((f) => f[k] ?? '—')] as const);
  }, [shown]);

  if (!selected.length) return <p className="muted">tick runs to overlay their curves on the Train panel's chart</p>;

  return (
    <div className="card" data-testid="runs-compare">
      <div className="status">
        <span>on the Train panel's chart:</span>
        {shown.map((r, i) => (
          <span key={r.id}>
            {r.name} <span data-testid={`runs-points-${i}`}>{r.rows.filter((x) => x.split === 'train').length} points</span>
          </span>
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
