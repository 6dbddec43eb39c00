/**
 * metrics.jsonl, the same file the CLI writes: one JSON object per line,
 * {"step", "wall_ms", "split": "train" | "test", <metric>: value, …}; non-finite values as null.
 */
export interface MetricRow {
  step: number;
  wallMs: number;
  split: 'train' | 'test';
  values: Record<string, number>;
}

export function formatMetricRows(rows: readonly MetricRow[]): string {
  return rows.map((r) => `${JSON.stringify({ step: r.step, wall_ms: r.wallMs, split: r.split, ...r.values })}\n`).join('');
}

/** Parses metrics.jsonl; bad lines are skipped and counted. */
export function parseMetricRows(text: string): { rows: MetricRow[]; skipped: number } {
  const rows: MetricRow[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const { step, wall_ms, split, ...rest } = JSON.parse(line) as Record<string, unknown>;
      if (typeof step !== 'number' || (split !== 'train' && split !== 'test')) throw new Error('not a metric row');
      const values: Record<string, number> = {};
      for (const [k, v] of Object.entries(rest)) values[k] = typeof v === 'number' ? v : NaN;
      rows.push({ step, wallMs: typeof wall_ms === 'number' ? wall_ms : NaN, split, values });
    } catch {
      skipped++;
    }
  }
  return { rows, skipped };
}

/** Selected series as CSV: one row per (run, split, step), one column per metric. */
export function seriesCsv(runs: { name: string; rows: readonly MetricRow[] }[], metrics?: string[]): string {
  const names = metrics ?? [...new Set(runs.flatMap((r) => r.rows.flatMap((row) => Object.keys(row.values))))];
  const cell = (v: string | number) => {
    if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
    return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  const lines = [['run', 'split', 'step', 'wall_s', ...names].map(cell).join(',')];
  for (const r of runs) {
    for (const row of r.rows) {
      lines.push([r.name, row.split, row.step, row.wallMs / 1000, ...names.map((n) => row.values[n] ?? NaN)].map(cell).join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}
