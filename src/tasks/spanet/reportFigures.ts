/**
 * The evaluation report as the app's table figures (EvalFigure kind 'table'): spanet.test's
 * tables as one table (a row per event type and jet limit; event types with no test event, other
 * than the all-types row, are left out and counted in the note), the jet / detection accuracy i-of-j and the detection
 * metrics. Cells are formatted as spanet.test prints them ("{:.3f}", N/A).
 */
import type { EvalFigure } from '../types';
import { format3 } from './reportText';
import type { TestReport } from './testReport';

export function spanetReportFigures(r: TestReport): EvalFigure[] {
  const clusterCols = r.clusters.map((c) => `${c.name} purity`);
  const first = r.results[r.jetLimits[0]] ?? {};
  const types = [
    ...new Set(
      Object.keys(first)
        .filter((k) => k.includes('/'))
        .map((k) => k.split('/')[0]),
    ),
  ].sort();
  const full = r.results.Full ?? first;
  const anyType = r.clusters.map((c) => `*${c.name}`).join('');
  const shown = types.filter((t) => t === anyType || full[`${t}/event_proportion`] > 0);
  const rows: string[][] = [];
  for (const t of shown) {
    for (const limit of r.jetLimits) {
      const row = r.results[limit];
      rows.push([
        t,
        limit,
        format3(row[`${t}/event_proportion`]),
        format3(row.event_jet_proportion),
        format3(row[`${t}/event_purity`]),
        ...r.clusters.map((c) => format3(row[`${t}/${c.name}_purity`])),
      ]);
    }
  }
  const hidden = types.length - shown.length;
  const figures: EvalFigure[] = [
    {
      id: 'spanet-test-tables',
      title: `spanet.test tables (${r.events} test events)`,
      kind: 'table',
      columns: ['event type', 'jet limit', 'event proportion', 'jet proportion', 'event purity', ...clusterCols],
      rows,
      note:
        `Event type: present particles per cluster (${r.clusters.map((c) => `${c.name} = ${c.particles.join(', ')}`).join('; ')}), * = any.` +
        (hidden ? ` ${hidden} event types without test events are left out (physml evaluate prints every one).` : ''),
    },
  ];
  const v = r.validation;
  const P = r.clusters.reduce((a, c) => a + c.indices.length, 0);
  const grid = (prefix: string) =>
    Array.from({ length: P }, (_, j) => [
      String(j + 1),
      ...Array.from({ length: P }, (_, i) => (i <= j ? format3(v[`${prefix}/accuracy_${i + 1}_of_${j + 1}`]) : '')),
    ]);
  const heads = ['present particles', ...Array.from({ length: P }, (_, i) => `≥ ${i + 1} right`)];
  figures.push({
    id: 'spanet-jet-accuracy',
    title: 'jet accuracy i of j (test)',
    kind: 'table',
    columns: heads,
    rows: grid('jet'),
    note: 'Events with j present particles: the share with at least i particles whose jets are all right (best event permutation).',
  });
  if ('particle/accuracy' in v) {
    figures.push({
      id: 'spanet-detection',
      title: 'detection (test)',
      kind: 'table',
      columns: ['metric', 'value'],
      rows: [
        ['accuracy', 'particle/accuracy'],
        ['sensitivity', 'particle/sensitivity'],
        ['specificity', 'particle/specificity'],
        ['F1', 'particle/f_score'],
        ['validation accuracy', 'validation_accuracy'],
        ['average jet accuracy', 'validation_average_jet_accuracy'],
        ...Array.from({ length: P }, (_, j) =>
          Array.from({ length: j + 1 }, (_, i) => [`detection ${i + 1} of ${j + 1}`, `particle/accuracy_${i + 1}_of_${j + 1}`]),
        ).flat(),
      ].map(([label, k]) => [label, format3(v[k])]),
      note: 'Detection probability ≥ 0.5 against the masks of the chosen event permutation, over every (particle, event), as upstream.',
    });
  }
  return figures;
}
