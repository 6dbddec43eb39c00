import { beforeAll, describe, expect, it } from 'vitest';
import { confusionRef, metricScalars, segMetricsFromConfusion } from '../../src/tasks/cosmic/metrics';
import { confusionCounts, metricAverages } from '../../src/tasks/cosmic/metricsGpu';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';
import { rng, uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

/** One-hot logits [N, 3, HW] whose argmax is `pred` (images given pixel-major). */
function logitsFor(preds: number[][]): Float32Array {
  const HW = preds[0].length;
  const out = new Float32Array(preds.length * 3 * HW);
  preds.forEach((p, n) => p.forEach((c, q) => (out[(n * 3 + c) * HW + q] = 1)));
  return out;
}

function metricsOf(labels: number[][], preds: number[][], planes: number) {
  const HW = labels[0].length;
  const conf = confusionRef(logitsFor(preds), labels.flat(), labels.length, 3, HW);
  return segMetricsFromConfusion(conf, labels.length, planes, 3);
}

const L1 = [0, 0, 1, 1, 2, 0];
const P1 = [0, 1, 1, 0, 2, 2];
const EMPTY = [0, 0, 0, 0, 0, 0];

describe('metrics by hand (CosmicTagger definitions)', () => {
  it('one image: accuracy, non-background accuracy, cosmic and neutrino IoU, mIoU', () => {
    const m = metricsOf([L1], [P1], 1).average;
    expect(m.accuracy).toBeCloseTo(3 / 6, 12);
    expect(m.nonbgAccuracy).toBeCloseTo(2 / 3, 12);
    expect(m.iou[0]).toBeCloseTo(1 / 3, 12); // pred {1,2} vs label {2,3}
    expect(m.iou[1]).toBeCloseTo(1 / 2, 12); // pred {4,5} vs label {4}
    expect(m.miou).toBeCloseTo(5 / 12, 12);
  });
  it('an all-background image: IoU 1 (empty union), skipped by the non-background accuracy', () => {
    const m = metricsOf([L1, EMPTY], [P1, EMPTY], 1).average;
    expect(m.accuracy).toBeCloseTo(9 / 12, 12);
    expect(m.nonbgAccuracy).toBeCloseTo(2 / 3, 12);
    expect(m.iou[0]).toBeCloseTo((1 / 3 + 1) / 2, 12);
    expect(m.iou[1]).toBeCloseTo((1 / 2 + 1) / 2, 12);
    expect(m.miou).toBeCloseTo(17 / 24, 12);
  });
  it('a predicted class with no label has IoU 0', () => {
    const m = metricsOf([[0, 0]], [[1, 0]], 1).average;
    expect(m.iou).toEqual([0, 1]);
    expect(m.accuracy).toBe(0.5);
  });
  it('planes: per-plane values and their average; a label-free plane leaves the non-background average', () => {
    const m = metricsOf([L1, EMPTY], [P1, EMPTY], 2);
    expect(m.perPlane[0].accuracy).toBeCloseTo(0.5, 12);
    expect(m.perPlane[1].accuracy).toBe(1);
    expect(Number.isNaN(m.perPlane[1].nonbgAccuracy)).toBe(true);
    expect(m.average.accuracy).toBeCloseTo(0.75, 12);
    expect(m.average.nonbgAccuracy).toBeCloseTo(2 / 3, 12);
    expect(m.average.iou[0]).toBeCloseTo((1 / 3 + 1) / 2, 12);
    const s = metricScalars(m);
    expect(s['Average/Cosmic_IoU']).toBeCloseTo(2 / 3, 12);
    expect(s['plane0/Neutrino_IoU']).toBeCloseTo(0.5, 12);
    expect(s['plane1/Neutrino_IoU']).toBe(1);
  });
  it('no labels anywhere: non-background accuracy is 1 when skipping, never NaN', () => {
    expect(metricsOf([EMPTY, EMPTY, EMPTY], [EMPTY, P1, EMPTY], 3).average.nonbgAccuracy).toBe(1);
  });
  it("nonbg_empty nan (upstream's 0/0): one image without labels makes its plane and the average NaN, the rest unchanged", () => {
    const HW = L1.length;
    const conf = confusionRef(logitsFor([L1, EMPTY, L1, L1]), [...L1, ...EMPTY, ...L1, ...L1], 4, 3, HW);
    const nan = segMetricsFromConfusion(conf, 4, 2, 3, 'nan');
    const skip = segMetricsFromConfusion(conf, 4, 2, 3, 'skip');
    expect(nan.perPlane[0].nonbgAccuracy).toBe(1);
    expect(Number.isNaN(nan.perPlane[1].nonbgAccuracy)).toBe(true);
    expect(Number.isNaN(nan.average.nonbgAccuracy)).toBe(true);
    expect(skip.perPlane[1].nonbgAccuracy).toBe(1);
    expect(skip.average.nonbgAccuracy).toBe(1);
    expect(nan.average.miou).toBe(skip.average.miou);
  });
});

describe('metrics on the GPU', () => {
  async function gpuConfusion(logits: Float32Array, labels: Int32Array, N: number, H: number, W: number) {
    const lt = e.fromArray(logits, [N, 3, H, W]);
    const yt = e.fromArray(labels, [N, H, W], { dtype: 'i32' });
    const conf = confusionCounts(e, lt, yt);
    const got = await conf.read();
    for (const t of [lt, yt, conf]) t.dispose();
    expect(e.gpu.takeErrors()).toEqual([]);
    return got;
  }

  it('confusion counts match the pixel reference, one chunk and several (HW > 1024), ignored labels', async () => {
    for (const [N, H, W] of [
      [6, 4, 5],
      [3, 40, 30],
    ]) {
      const HW = H * W;
      const r = rng(N + HW);
      const logits = Float32Array.from(uniform(N * 3 * HW, HW, -2, 2));
      const labels = Int32Array.from({ length: N * HW }, (_, i) => (i % 11 === 5 ? -1 : Math.floor(r() * 3)));
      const got = await gpuConfusion(logits, labels, N, H, W);
      // Integer counts: exact.
      expect(Array.from(got)).toEqual(Array.from(confusionRef(logits, labels, N, 3, HW)));
    }
  });

  it('GPU averages equal the TypeScript reduction (random counts and the hand cases)', async () => {
    const r = rng(5);
    const cases: { conf: Float64Array; planes: number }[] = [
      { conf: Float64Array.from({ length: 6 * 9 }, () => Math.floor(r() * 20)), planes: 3 },
      { conf: confusionRef(logitsFor([L1, EMPTY]), [...L1, ...EMPTY], 2, 3, 6), planes: 2 },
      { conf: confusionRef(logitsFor([EMPTY, P1, EMPTY]), [...EMPTY, ...EMPTY, ...EMPTY], 3, 3, 6), planes: 3 },
    ];
    for (const { conf, planes } of cases) {
      const N = conf.length / 9;
      const ct = e.fromArray(Float32Array.from(conf), [N, 9]);
      const scalars = metricAverages(e, ct, planes);
      const names = ['Average/Total_Accuracy', 'Average/Non_Bkg_Accuracy', 'Average/Cosmic_IoU', 'Average/Neutrino_IoU', 'Average/mIoU'];
      const got = await Promise.all(names.map((k) => scalars[k].item()));
      const m = segMetricsFromConfusion(conf, N, planes, 3).average;
      // Ratios of integers in f32: ~1e-7 relative.
      expectClose(got, [m.accuracy, m.nonbgAccuracy, m.iou[0], m.iou[1], m.miou], 1e-6, 1e-7, 'metric averages');
      ct.dispose();
      for (const t of Object.values(scalars)) t.dispose();
    }
    expect(e.gpu.takeErrors()).toEqual([]);
  });
});
