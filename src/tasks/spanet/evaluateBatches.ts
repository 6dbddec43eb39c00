/**
 * SpanetRun's evaluation over any sequence of uploaded batches, each with the prepared data
 * its slots index (the in-memory run: its test batches over the whole file's data; the
 * streamed run: one pass over the validation or test stream, a prepared batch at a time):
 * the loss terms averaged over batches, event / particle purity by jet multiplicity,
 * detection accuracy, regression residuals, classification accuracy, and spanet.test's
 * tables (testReport.ts) with their scalars and figures.
 */
import type { EvalFigure, EvalResult } from '../types';
import type { GpuBatch } from './batch';
import type { EventSpec } from './eventSpec';
import type { PreparedData } from './prepare';
import { greedyAssignment, matchEvent } from './reconstruct';
import { spanetReportFigures } from './reportFigures';
import type { SpanetPrediction } from './task';
import { spanetTestReport, type TestReport } from './testReport';

export interface EvalBatch {
  gpu: GpuBatch;
  /** what gpu.host.events index */
  data: PreparedData;
}

export async function evaluateSpanetBatches(
  spec: EventSpec,
  source: Iterable<EvalBatch> | AsyncIterable<EvalBatch>,
  predict: (b: GpuBatch) => Promise<SpanetPrediction>,
): Promise<{ result: EvalResult; report: TestReport | null }> {
  let report: TestReport | null = null;
  const P = spec.particles.length;
  const ks = spec.particles.map((p) => p.products.length);
  const minJets = ks.reduce((a, k) => a + k, 0);
  const bins = [`${minJets} jets`, `${minJets + 1} jets`, `≥${minJets + 2} jets`];
  const binOf = (n: number) => Math.max(0, Math.min(2, n - minJets));
  const full = [0, 0, 0],
    fullCorrect = [0, 0, 0];
  const particleTotal = new Array<number>(P).fill(0),
    particleCorrect = new Array<number>(P).fill(0);
  let complete = 0,
    correct = 0,
    detHits = 0,
    detTotal = 0;
  const R = spec.regressions.length;
  const regPred: number[][] = spec.regressions.map(() => []),
    regTrue: number[][] = spec.regressions.map(() => []);
  const clsHits = spec.classifications.map(() => 0),
    clsTotal = spec.classifications.map(() => 0);
  const termSums: Record<string, number> = {};
  let batches = 0;
  // inputs of spanet.test's tables: greedy predictions, raw targets, presence, vectors (jets + global inputs)
  const tr = {
    predictions: ks.map(() => [] as number[]),
    targets: ks.map(() => [] as number[]),
    masks: ks.map(() => [] as number[]),
    numVectors: [] as number[],
    // detection metrics and the weighted jet accuracy of upstream's validation step (testReport.ts)
    weights: ks.map(() => [] as number[]),
    detection: ks.map(() => [] as number[]),
  };
  for await (const { gpu: b, data: d } of source) {
    const pred = await predict(b);
    batches++;
    for (const [k, v] of Object.entries(pred.terms)) termSums[k] = (termSums[k] ?? 0) + v;
    b.host.events.forEach((ev, slot) => {
      if (ev < 0) return;
      const probs = pred.logProbs.map((lp, p) => {
        const S = d.N ** ks[p];
        return lp.subarray(slot * S, slot * S + S).map(Math.exp);
      });
      const reco = greedyAssignment(probs, ks, d.N);
      const truth = spec.particles.map((p, pi) => {
        const jets = Array.from(d.truth.subarray((ev * P + pi) * 3, (ev * P + pi) * 3 + p.products.length));
        return jets.every((j) => j >= 0) && new Set(jets).size === jets.length ? jets : null;
      });
      const m = matchEvent(reco, truth, spec);
      spec.particles.forEach((_, pi) => {
        for (let a = 0; a < ks[pi]; a++) {
          tr.predictions[pi].push(reco[pi]?.[a] ?? -2);
          tr.targets[pi].push(d.truth[(ev * P + pi) * 3 + a]);
        }
        tr.masks[pi].push(d.present[ev * P + pi]);
        tr.weights[pi].push(d.weights[ev * P + pi]);
        tr.detection[pi].push(pred.detection[slot * P + pi]);
      });
      tr.numVectors.push(d.nJets[ev] + d.globalSlices.length);
      complete += m.complete;
      correct += m.correct;
      m.perParticle.forEach((ok, p) => {
        if (ok !== null) {
          particleTotal[p]++;
          if (ok) particleCorrect[p]++;
        }
      });
      if (m.complete === P) {
        const bin = binOf(d.nJets[ev]);
        full[bin]++;
        if (m.correct === P) fullCorrect[bin]++;
      }
      for (let p = 0; p < P; p++) {
        const label = b.host.detection[slot * P + p];
        detTotal++;
        if ((pred.detection[slot * P + p] > 0.5 ? 1 : 0) === label) detHits++;
      }
      for (let r = 0; r < R; r++) {
        const t = d.regressions[ev * R + r];
        if (!Number.isFinite(t)) continue;
        regPred[r].push(pred.regression[slot * R + r]);
        regTrue[r].push(t);
      }
      spec.classifications.forEach((_, ci) => {
        const label = d.classes[ev * spec.classifications.length + ci];
        if (label < 0) return;
        const C = d.classCounts[ci];
        const row = pred.classProbs[ci].subarray(slot * C, slot * C + C);
        clsTotal[ci]++;
        if (row.indexOf(Math.max(...row)) === label) clsHits[ci]++;
      });
    });
  }
  const ratio = (a: number, b: number) => (b > 0 ? a / b : NaN);
  const scalars: Record<string, number> = {};
  for (const [k, v] of Object.entries(termSums)) scalars[k] = v / Math.max(1, batches);
  const allFull = full.reduce((a, x) => a + x, 0);
  scalars['event purity'] = ratio(
    fullCorrect.reduce((a, x) => a + x, 0),
    allFull,
  );
  bins.forEach((name, i) => {
    scalars[`event purity (${name})`] = ratio(fullCorrect[i], full[i]);
  });
  scalars['particle purity'] = ratio(correct, complete);
  spec.particles.forEach((p, i) => {
    scalars[`${p.name} purity`] = ratio(particleCorrect[i], particleTotal[i]);
  });
  scalars['detection accuracy'] = ratio(detHits, detTotal);
  spec.regressions.forEach((name, r) => {
    let s = 0;
    regPred[r].forEach((v, i) => {
      s += (v - regTrue[r][i]) ** 2;
    });
    scalars[`${name} residual rms`] = Math.sqrt(ratio(s, regPred[r].length));
  });
  spec.classifications.forEach((name, ci) => {
    scalars[`${name} accuracy`] = ratio(clsHits[ci], clsTotal[ci]);
  });
  if (tr.numVectors.length) {
    report = spanetTestReport({ spec, ...tr });
    const anyType = report.clusters.map((c) => `*${c.name}`).join('');
    for (const limit of report.jetLimits) {
      const row = report.results[limit];
      scalars[`spanet.test ${limit}: ${anyType} event purity`] = row[`${anyType}/event_purity`];
      for (const c of report.clusters) scalars[`spanet.test ${limit}: ${anyType} ${c.name} purity`] = row[`${anyType}/${c.name}_purity`];
    }
  }
  const figures: EvalFigure[] = [
    {
      id: 'purity-by-jets',
      title: 'event purity by jet multiplicity (test)',
      kind: 'scatter',
      x: [minJets, minJets + 1, minJets + 2],
      y: bins.map((_, i) => ratio(fullCorrect[i], full[i])),
      xLabel: `jets (last bin: ≥${minJets + 2})`,
      yLabel: 'event purity',
    },
  ];
  if (R) {
    figures.push({
      id: 'regression',
      title: `${spec.regressions[0]}: prediction vs truth (test)`,
      kind: 'scatter',
      x: regTrue[0],
      y: regPred[0],
      xLabel: 'truth',
      yLabel: 'prediction',
    });
  }
  // the report as tables in the page (reportFigures.ts)
  if (tr.numVectors.length && report) figures.push(...spanetReportFigures(report));
  return { result: { scalars, figures }, report };
}
