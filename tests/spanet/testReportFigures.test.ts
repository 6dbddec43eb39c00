import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { readEventFile } from '../../src/tasks/spanet/eventFile';
import { spanetReportFigures } from '../../src/tasks/spanet/reportFigures';
import { format3 } from '../../src/tasks/spanet/reportText';
import { spanetTestReport } from '../../src/tasks/spanet/testReport';
import { EvalTable } from '../../src/ui/plots/EvalTable';

const FIXTURES = resolve(__dirname, '../fixtures/spanet-eval');

/** The S3 fixture's report (made-up predictions; the numbers themselves are checked in testReportUpstream). */
function s3Report(withoutX = false) {
  const fx = JSON.parse(readFileSync(resolve(FIXTURES, 's3_synthetic.json'), 'utf8'));
  const spec = readEventFile(readFileSync(resolve(FIXTURES, 's3_synthetic.yaml'), 'utf8'));
  return spanetTestReport({
    spec,
    targets: fx.targets.map((x: number[][]) => x.flat()),
    // without X: no event has the type …1X, so those rows go
    masks: withoutX ? fx.masks.map((m: number[], p: number) => (p === 3 ? m.map(() => 0) : m)) : fx.masks,
    weights: fx.weights,
    numVectors: fx.num_vectors,
    predictions: fx.predictions.map((p: number[][]) => p.flat()),
    detection: fx.detection_probabilities,
  });
}

describe('evaluation report as app tables', () => {
  it('has a row per event type with test events and jet limit, the i-of-j grid and the detection metrics', () => {
    const r = s3Report(true);
    const [tables, jets, det] = spanetReportFigures(r);
    expect(tables.kind).toBe('table');
    expect(tables.columns).toEqual([
      'event type',
      'jet limit',
      'event proportion',
      'jet proportion',
      'event purity',
      'W purity',
      'X purity',
    ]);
    const types = [
      ...new Set(
        Object.keys(r.results.Full)
          .filter((k) => k.includes('/'))
          .map((k) => k.split('/')[0]),
      ),
    ];
    // 5 × 3 types; with X never present *W1X … 3W1X have no event, nor 0W*X (any type needs a particle)
    expect(types).toHaveLength(15);
    const empty = ['*W1X', '0W1X', '1W1X', '2W1X', '3W1X', '0W*X'];
    expect(new Set(tables.rows!.map((x) => x[0]))).toEqual(new Set(types.filter((t) => !empty.includes(t))));
    expect(tables.rows).toHaveLength(9 * r.jetLimits.length);
    expect(tables.note).toContain('6 event types without test events');
    for (const row of tables.rows!) {
      const res = r.results[row[1]];
      expect(row.slice(2)).toEqual(
        [`${row[0]}/event_proportion`, 'event_jet_proportion', `${row[0]}/event_purity`, `${row[0]}/W_purity`, `${row[0]}/X_purity`].map(
          (k) => format3(res[k]),
        ),
      );
    }
    // 4 particles: rows j = 1..4, cells i ≤ j
    expect(jets.rows).toHaveLength(4);
    expect(jets.rows![2]).toEqual(['3', ...[1, 2, 3].map((i) => format3(r.validation[`jet/accuracy_${i}_of_3`])), '']);
    expect(det.rows!.find((x) => x[0] === 'F1')![1]).toBe(format3(r.validation['particle/f_score']));
  });

  it('renders as an HTML table with every cell', () => {
    const fig = spanetReportFigures(s3Report())[1];
    const html = renderToStaticMarkup(createElement(EvalTable, { fig }));
    expect(html).toContain('data-testid="figure-spanet-jet-accuracy"');
    expect(html.match(/<th[ >]/g)).toHaveLength(fig.columns!.length);
    expect(html.match(/<td/g)).toHaveLength(fig.rows!.length * fig.columns!.length);
    expect(html).toContain(`>${fig.rows![3][4]}</td>`);
  });
});
