import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openNodeH5 } from '../../src/data/h5/node';
import { readSpanetEvents } from '../../src/data/spanet/reader';
import { readEventFile } from '../../src/tasks/spanet/eventFile';
import { prepareData } from '../../src/tasks/spanet/prepare';
import type { EventSpec } from '../../src/tasks/spanet/eventSpec';
import { reportTargets, type ReportTargets } from '../../src/tasks/spanet/reportInputs';
import { tablesFromEvents } from '../../src/tasks/spanet/tables';
import { format3, spanetTestTables } from '../../src/tasks/spanet/reportText';
import { spanetTestReport } from '../../src/tasks/spanet/testReport';
import { hasTtH, TTH_FILE } from './fixtures';

// Numbers from upstream's evaluate_predictions and validation_step on seeded made-up predictions
// (tools/torch_fixtures/make_spanet_eval_fixtures.py; tests/fixtures/spanet-eval/README.md).
const FIXTURES = resolve(__dirname, '../fixtures/spanet-eval');
const fixture = (name: string) => JSON.parse(readFileSync(resolve(FIXTURES, name), 'utf8'));
const CASES = [
  { json: 'ttH.json', file: TTH_FILE, present: hasTtH },
  { json: 'ttbar_demo.json', file: resolve(__dirname, '../../public/demo/spanet_demo.h5'), present: true },
  // made-up targets and weights (in the fixture), an S3 event group, a two-cycle product generator
  { json: 's3_synthetic.json', file: null, present: true },
];

async function fileTargets(file: string, spec: EventSpec): Promise<ReportTargets> {
  const src = await openNodeH5(file);
  let tables;
  try {
    tables = tablesFromEvents(readSpanetEvents(src));
  } finally {
    src.close?.();
  }
  const d = prepareData(tables, spec, 0.5);
  return reportTargets(
    d,
    spec,
    Array.from({ length: d.nEvents }, (_, i) => i),
  );
}

async function ourReport(c: (typeof CASES)[number]) {
  const fx = fixture(c.json);
  const spec = readEventFile(readFileSync(resolve(FIXTURES, fx.event_file), 'utf8'));
  const t: ReportTargets = c.file
    ? await fileTargets(c.file, spec)
    : { targets: fx.targets.map((x: number[][]) => x.flat()), masks: fx.masks, weights: fx.weights, numVectors: fx.num_vectors };
  const report = spanetTestReport({
    spec,
    ...t,
    lines: fx.lines,
    predictions: fx.predictions.map((p: number[][]) => p.flat()),
    detection: fx.detection_probabilities,
    // upstream's group order (a Python set's, PYTHONHASHSEED=0) decides ties of the permuted masks
    eventPermutations: fx.event_permutation_group,
  });
  return { fx, spec, t, report };
}

const key = (perms: number[][]) => perms.map((p) => p.join(',')).sort();

/** Counts are compared exactly by the caller; ratios of counts, both in f64: 1e-12. */
function expectSame(ours: number, theirs: number | null, what: string) {
  if (theirs === null) expect(ours, what).toBeNaN();
  else expect(Math.abs(ours - theirs), what).toBeLessThanOrEqual(1e-12);
}

describe("evaluation report equal to upstream's evaluator", () => {
  for (const c of CASES) {
    it.skipIf(!c.present)(`${c.json}: tables, jet accuracy i-of-j and detection metrics`, async () => {
      const { fx, spec, t, report } = await ourReport(c);
      // the same inputs as upstream's dataset: particles, event group order, vectors, masks
      expect(spec.particles.map((p) => p.name)).toEqual(fx.particles);
      expect(key(spec.eventPerms)).toEqual(key(fx.event_permutation_group));
      expect(t.numVectors).toEqual(fx.num_vectors);
      expect(t.masks).toEqual(fx.masks);
      expect(report.events).toBe(fx.num_vectors.length);
      expect(report.jetLimits).toEqual(fx.jet_limits);
      expect(report.clusters.map((x) => [x.name, x.particles, x.indices])).toEqual(fx.clusters);
      for (const limit of fx.jet_limits) {
        expect(Object.keys(report.results[limit]).sort()).toEqual(Object.keys(fx.tables[limit]).sort());
        for (const [k, v] of Object.entries<number | null>(fx.tables[limit])) expectSame(report.results[limit][k], v, `${limit} ${k}`);
      }
      const upstream = Object.entries<number | null>(fx.validation).filter(([k]) => !k.startsWith('Purity/'));
      expect(Object.keys(report.validation).sort()).toEqual(upstream.map(([k]) => k).sort());
      for (const [k, v] of upstream) expectSame(report.validation[k], v, k);
      // validation_step's whole-set purities are the Full row of the tables
      for (const [k, v] of Object.entries<number | null>(fx.validation).filter(([k]) => k.startsWith('Purity/')))
        expectSame(report.results.Full[k.slice('Purity/'.length)], v, k);
    });
  }
  for (const c of CASES) {
    it.skipIf(!c.present)(`${c.json}: the tables print as spanet.test prints them`, async () => {
      const { report } = await ourReport(c);
      const upstream = readFileSync(resolve(FIXTURES, c.json.replace('.json', '.tables.txt')), 'utf8');
      expect(spanetTestTables(report)).toBe(upstream);
    });
  }
  it("formats as Python's {:.3f}: exact ties to even, NaN as N/A", () => {
    expect([0.0625, 0.1875, 0.3125, 0.0005, 1 / 3, 2 / 3, 1].map(format3)).toEqual([
      '0.062',
      '0.188',
      '0.312',
      '0.001',
      '0.333',
      '0.667',
      '1.000',
    ]);
    expect(format3(NaN)).toBe('N/A');
  });
  it('ties of the chosen permutation follow the given group order (S3 case)', async () => {
    const { fx, spec, report } = await ourReport(CASES[2]);
    const lexicographic = spanetTestReport({
      spec,
      targets: fx.targets.map((x: number[][]) => x.flat()),
      masks: fx.masks,
      weights: fx.weights,
      numVectors: fx.num_vectors,
      predictions: fx.predictions.map((p: number[][]) => p.flat()),
      detection: fx.detection_probabilities,
    });
    // jet accuracies are maxima (order-free); the detection metrics use the permuted masks
    expect(lexicographic.validation['jet/accuracy_2_of_3']).toBe(report.validation['jet/accuracy_2_of_3']);
    expect(lexicographic.validation['particle/accuracy']).not.toBe(report.validation['particle/accuracy']);
  });
  it.skipIf(hasTtH)('(skipped: SPANet example file not found at ../shared/data/spanet_semi_leptonic_ttH_example.h5)', () => {});
});
