// Loss, metrics and learning-rate schedule against CosmicTagger's own torch code
// (tests/fixtures/torch/cosmic/upstream_*.json, tools/torch_fixtures/make_cosmic_loss_fixtures.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { segmentationCrossEntropyRef } from '../../src/losses/segmentationRef';
import { cosmicClassWeights, cosmicLoss, DEFAULT_BALANCE, type BalanceScheme } from '../../src/tasks/cosmic/loss';
import { confusionRef, metricScalars, minibatchMeanScalars, segMetricsFromConfusion } from '../../src/tasks/cosmic/metrics';
import { confusionCounts, metricAverages } from '../../src/tasks/cosmic/metricsGpu';
import { cosmicTaggingSpec } from '../../src/tasks/cosmic/spec';
import type { Engine } from '../../src/tensor/engine';
import { resolveOptimizerConfig } from '../../src/train/optim';
import { makeSchedule } from '../../src/train/schedule';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';

const DIR = join(__dirname, '..', 'fixtures', 'torch', 'cosmic');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as T;

interface LossCase {
  name: string;
  scheme: BalanceScheme;
  B: number;
  H: number;
  W: number;
  upstream: string;
  upstream_error?: string;
  logits?: number[];
  labels: number[];
  loss?: number;
  grad?: number[];
}
interface MetricBatch {
  B: number;
  H: number;
  W: number;
  logits: number[];
  labels: number[];
  upstream: Record<string, number | null>;
}
interface LrCase {
  lr: number;
  minibatch_size: number;
  train_size: number;
  optimizer_lr: number[];
}

const P = 3;
const C = 3;
let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

describe("loss = CosmicTagger's LossCalculator", () => {
  const { cases } = fixture<{ cases: LossCase[] }>('upstream_loss.json');

  it('focal is the default balance, as upstream (src/config/optimizer.py)', () => {
    expect(DEFAULT_BALANCE).toBe('focal');
    expect(cosmicTaggingSpec.defaults.balance).toBe('focal');
  });

  for (const c of cases.filter((k) => k.loss !== undefined)) {
    it(`${c.name}: value and logit gradients equal torch's (${c.upstream})`, async () => {
      const HW = c.H * c.W;
      const shape = [c.B * P, C, c.H, c.W];
      const w = cosmicClassWeights(c.scheme, c.labels, P, C, HW);
      const x = e.fromArray(Float32Array.from(c.logits!), shape, { requiresGrad: true });
      const y = e.fromArray(Int32Array.from(c.labels), [c.B * P, c.H, c.W], { dtype: 'i32' });
      const wt = e.fromArray(w, [P, C]);
      const tape = e.beginTape();
      let value: number;
      let grad: Float32Array;
      try {
        const loss = cosmicLoss(x, y, wt, P, c.scheme);
        value = await loss.item();
        grad = await tape.backward(loss).get(x)!.read();
      } finally {
        e.endTape();
      }
      // f32 on both sides, sums over ≤ 108 pixels per plane: a few 1e-7 relative; 1e-5 is a
      // margin that still catches a weight off by 1 % on a single pixel class.
      expect(Math.abs(value - c.loss!)).toBeLessThan(1e-5 * c.loss!);
      const scale = Math.max(...c.grad!.map(Math.abs));
      expectClose(grad, c.grad!, 1e-4, 1e-5 * scale, `${c.name} gradient`);
      for (const t of [x, y, wt]) t.dispose();
      expect(e.gpu.takeErrors()).toEqual([]);
    });
  }

  it('"none": upstream fails (its LossCalculator keeps reduction none for the enum); ours is the intended mean cross-entropy', () => {
    const c = cases.find((k) => k.name === 'none')!;
    expect(c.upstream_error).toMatch(/scalar outputs/);
    expect(c.upstream).toMatch(/intent/);
  });

  it('"even" with a class absent from a plane: upstream raises in label_counts; ours gives that class count 0 (its weight multiplies no pixel)', () => {
    const c = cases.find((k) => k.name === 'even_absent_neutrino')!;
    expect(c.upstream_error).toMatch(/expected Tensor/);
    const HW = c.H * c.W;
    const w = cosmicClassWeights('even', c.labels, P, C, HW);
    // Plane 1 has no neutrino: 1 / (0 + 1).
    expect(w[1 * C + 2]).toBe(1);
    const logits = { data: new Float64Array(c.labels.length * C), shape: [c.B * P, C, c.H, c.W] };
    const v = segmentationCrossEntropyRef(
      logits,
      { data: Float64Array.from(c.labels), shape: [c.B * P, c.H, c.W] },
      { data: Float64Array.from(w), shape: [P, C] },
      { planes: P, focal: false },
    );
    expect(v.data[0]).toBeCloseTo(3 * Math.log(3), 12); // uniform logits: each plane's CE is ln 3
  });
});

describe("metrics = CosmicTagger's _calculate_accuracy", () => {
  const { batches } = fixture<{ batches: MetricBatch[] }>('upstream_metrics.json');
  const conf = (b: MetricBatch) => confusionRef(b.logits, b.labels, b.B * P, C, b.H * b.W);
  const same = (got: number, want: number | null, key: string) => {
    if (want === null) expect(Number.isNaN(got), `${key}: upstream NaN, got ${got}`).toBe(true);
    // Upstream averages f32 values and weighs planes by 0.3333333: ≤ 2e-7 apart; 6 digits.
    else expect(Math.abs(got - want), `${key}: ${got} vs ${want}`).toBeLessThan(1e-6);
  };

  it('every name and value of upstream, NaN included, with nonbg_empty = nan (4 minibatches)', () => {
    for (const b of batches) {
      const s = metricScalars(segMetricsFromConfusion(conf(b), b.B * P, P, C, 'nan'));
      expect(Object.keys(s).sort()).toEqual(Object.keys(b.upstream).sort());
      for (const [k, v] of Object.entries(b.upstream)) same(s[k], v, k);
    }
    expect(Object.values(batches[0].upstream).filter((v) => v === null).length).toBe(2); // plane1 and Average Non_Bkg
  });

  it('nonbg_empty = skip differs only where upstream is NaN (the image without labels is left out)', () => {
    const b = batches[0];
    const s = metricScalars(segMetricsFromConfusion(conf(b), b.B * P, P, C, 'skip'));
    for (const [k, v] of Object.entries(b.upstream)) if (v !== null) same(s[k], v, k);
    expect(s['plane1/Non_Bkg_Accuracy']).toBeGreaterThan(0);
    expect(s['Average/Non_Bkg_Accuracy']).toBeCloseTo(
      (s['plane0/Non_Bkg_Accuracy'] + s['plane1/Non_Bkg_Accuracy'] + s['plane2/Non_Bkg_Accuracy']) / 3,
      12,
    );
  });

  it('GPU confusion counts and Average/* scalars equal upstream (nan and skip)', async () => {
    for (const b of batches) {
      const N = b.B * P;
      const lt = e.fromArray(Float32Array.from(b.logits), [N, C, b.H, b.W]);
      const yt = e.fromArray(Int32Array.from(b.labels), [N, b.H, b.W], { dtype: 'i32' });
      const ct = confusionCounts(e, lt, yt);
      expect(Array.from(await ct.read())).toEqual(Array.from(conf(b)));
      for (const mode of ['nan', 'skip'] as const) {
        const avg = metricAverages(e, ct, P, undefined, mode);
        expect(Object.keys(avg)).toEqual([
          'Average/Total_Accuracy',
          'Average/Non_Bkg_Accuracy',
          'Average/Cosmic_IoU',
          'Average/Neutrino_IoU',
          'Average/mIoU',
        ]);
        for (const [k, t] of Object.entries(avg)) {
          const v = await t.item();
          if (mode === 'nan' || b.upstream[k] !== null) same(v, b.upstream[k], `${mode} ${k}`);
          else expect(Number.isFinite(v)).toBe(true);
          t.dispose();
        }
      }
      for (const t of [lt, yt, ct]) t.dispose();
    }
    expect(e.gpu.takeErrors()).toEqual([]);
  });

  it("per-minibatch mean (upstream's inference_report: Σ over minibatches / n) next to the per-image mean", () => {
    const rest = batches.slice(1); // batches without NaN, of 2, 2 and 1 events
    const got = minibatchMeanScalars(
      rest.map((b) => ({ conf: conf(b), images: b.B * P })),
      P,
      C,
      'nan',
    );
    for (const k of ['Average/Total_Accuracy', 'Average/Non_Bkg_Accuracy', 'Average/Cosmic_IoU', 'Average/Neutrino_IoU', 'Average/mIoU']) {
      const want = rest.reduce((a, b) => a + b.upstream[k]!, 0) / rest.length;
      expect(Math.abs(got[`minibatch_mean/${k}`] - want), k).toBeLessThan(1e-6);
    }
    // Per image over all 5 events weighs the 1-event batch less: the two differ.
    const all = rest.map(conf);
    const joined = new Float64Array(all.reduce((a, c) => a + c.length, 0));
    let o = 0;
    for (const c of all) joined.set(c, (o += c.length) - c.length);
    const perImage = metricScalars(segMetricsFromConfusion(joined, 5 * P, P, C, 'nan'));
    expect(Math.abs(perImage['Average/Cosmic_IoU'] - got['minibatch_mean/Average/Cosmic_IoU'])).toBeGreaterThan(1e-4);
  });
});

describe("learning rate = CosmicTagger's build_lr_schedule through torch's LambdaLR", () => {
  const { cases } = fixture<{ cases: LrCase[] }>('upstream_lr.json');
  for (const c of cases) {
    it(`lr ${c.lr}, ${c.train_size} events / minibatch ${c.minibatch_size}: every step's optimiser lr`, () => {
      const epoch = c.train_size / c.minibatch_size;
      const lrAt = makeSchedule(resolveOptimizerConfig({ name: 'adam', lr: c.lr, schedule: 'cosmictagger', warmup_steps: epoch }));
      const got = c.optimizer_lr.map((_, k) => lrAt(k));
      // f64 both sides; upstream's epoch is k·(minibatch/size), ours k/E: an ulp apart.
      expectClose(got, c.optimizer_lr, 1e-12, 0, 'lr');
      // The three phases are all exercised: warm-up from 1e-4, flat lr, decay towards 1e-4.
      expect(got[0]).toBeCloseTo(1e-4, 15);
      expect(got[Math.round(10 * epoch)]).toBe(c.lr);
      expect(got.at(-1)!).toBeLessThan(c.lr);
    });
  }
  it('refuses the schedule without an epoch length', () => {
    expect(() => makeSchedule(resolveOptimizerConfig({ schedule: 'cosmictagger', warmup_steps: 0 }))).toThrow(/steps per epoch/);
  });
});
