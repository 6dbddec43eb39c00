import type { CSSProperties } from 'react';
import type { EvalFigure } from '../../tasks/types';

const cell: CSSProperties = { padding: '2px 8px', borderBottom: '1px solid #e3e3e3', whiteSpace: 'nowrap' };
const numeric = /^(-?\d+(\.\d+)?|N\/A)$/;

/**
 * An evaluation table (EvalFigure kind 'table'): the cells are text as the task formatted
 * them, numbers right-aligned; long tables scroll inside the card with the heading kept.
 */
export function EvalTable({ fig }: { fig: EvalFigure }) {
  const columns = fig.columns ?? [];
  const rows = fig.rows ?? [];
  return (
    <div data-testid={`figure-${fig.id}`}>
      <h3>{fig.title}</h3>
      <div style={{ overflow: 'auto', maxHeight: 420 }}>
        <table style={{ borderCollapse: 'collapse', fontSize: 12, fontVariantNumeric: 'tabular-nums' }}>
          <thead>
            <tr>
              {columns.map((c, i) => (
                <th key={i} style={{ ...cell, position: 'sticky', top: 0, background: 'white', textAlign: 'left' }}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                {r.map((v, j) => (
                  <td key={j} style={{ ...cell, textAlign: numeric.test(v) ? 'right' : 'left' }}>
                    {v}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {fig.note && <p style={{ fontSize: 12, color: '#555', margin: '6px 0 0' }}>{fig.note}</p>}
    </div>
  );
}
