import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/nn/init';
import { DEFAULT_URESNET, UResNet, type UResNetConfig } from '../../src/nn/uresnet';
import { cosmicTaggingTask, type CosmicConfig } from '../../src/tasks/cosmic/task';
import type { Engine } from '../../src/tensor/engine';
import { Adam } from '../../src/train/adam';
import { Trainer, type MetricPoint } from '../../src/train/trainer';
import { testEngine } from '../helpers/engine';
import { expectClose } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const tiny: UResNetConfig = { ...DEFAULT_URESNET, initialFilters: 4, bottleneckDeepest: 8 };

async function run(cfg: UResNetConfig, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const model = new UResNet(e, cfg, seededRandom(7));
  const y = e.scope(() => model.forward(e.fromArray(x, shape)));
  const out = await y.read();
  expect(y.shape).toEqual([shape[0], cfg.classes, shape[2], shape[3]]);
  y.dispose();
  model.dispose();
  expect(e.gpu.takeErrors()).toEqual([]);
  return out;
}

describe('U-ResNet', () => {
  const variants: [string, Partial<UResNetConfig>][] = [
    ['default (residual, concat, max pooling, joined planes)', {}],
    [
      'sum connections, convolutional downsampling, multiplicative growth',
      { connections: 'sum', downsampling: 'convolutional', growth: 'multiplicative' },
    ],
    [
      'no connections, plain blocks, no norm, depth 3, 5×5 deepest',
      { connections: 'none', residual: false, normalization: 'none', depth: 3, filterSizeDeepest: 5 },
    ],
    ['depth 0, planes not joined', { depth: 0, joinPlanes: false }],
  ];
  for (const [name, over] of variants) {
    it(`forward: ${name}`, async () => {
      const out = await run({ ...tiny, ...over }, Float32Array.from(uniform(6 * 16 * 16, 1, 0, 1)), [6, 1, 16, 16]);
      expect(out.every(Number.isFinite)).toBe(true);
    });
  }

  it('planes share weights; joining at the deepest layer lets a plane see the other planes', async () => {
    const hw = 16 * 16;
    const x = Float32Array.from(uniform(3 * hw, 2, 0, 1));
    const changed = Float32Array.from(x);
    for (let q = 0; q < hw; q++) changed[hw + q] += 1; // alter plane 1 only
    const plane0 = (a: Float32Array) => a.subarray(0, 3 * hw);
    for (const joinPlanes of [false, true]) {
      const cfg = { ...tiny, joinPlanes };
      const a = await run(cfg, x, [3, 1, 16, 16]);
      const b = await run(cfg, changed, [3, 1, 16, 16]);
      const diff = Math.max(...plane0(a).map((v, i) => Math.abs(v - plane0(b)[i])));
      if (joinPlanes) expect(diff).toBeGreaterThan(1e-4);
      else expect(diff).toBe(0);
    }
    // Shared weights: with separate planes, the same image gives the same output in any plane slot.
    const same = Float32Array.from({ length: 3 * hw }, (_, i) => x[i % hw]);
    const out = await run({ ...tiny, joinPlanes: false }, same, [3, 1, 16, 16]);
    expect(out.subarray(3 * hw, 6 * hw)).toEqual(out.subarray(0, 3 * hw));
  });

  it('rejects image sides not divisible by 2^depth', () => {
    const model = new UResNet(e, tiny, seededRandom(1));
    const x = e.zeros([3, 1, 18, 16]);
    expect(() => model.forward(x)).toThrow(/divisible by 4/);
    x.dispose();
    model.dispose();
  });
});

const small: CosmicConfig = {
  ...cosmicTaggingTask.defaults,
  trainEvents: 8,
  testEvents: 3,
  imageSize: 16,
  downsample: 0,
  batchSize: 2,
  filters: 4,
  bottleneckDeepest: 8,
  depth: 1,
};

describe('cosmic tagging task', () => {
  it('trains: the loss falls, train metrics are probabilities, evaluation gives metrics and figures', async () => {
    const runObj = await cosmicTaggingTask.create(e, small);
    const trainer = new Trainer(e, runObj, { lr: 1e-2 }, 5);
    const points: MetricPoint[] = [];
    await trainer.runSteps(20, (p) => points.push(...p));
    expect(points.length).toBe(20);
    // CosmicTagger's names (torch_trainer._calculate_accuracy).
    const keys = [
      'loss',
      'Average/Total_Accuracy',
      'Average/Non_Bkg_Accuracy',
      'Average/Cosmic_IoU',
      'Average/Neutrino_IoU',
      'Average/mIoU',
    ];
    // The Trainer adds its own scalars (learning rate, gradient norm, skipped steps).
    const trainerKeys = ['lr', 'grad_norm', 'skipped_steps'];
    expect(
      Object.keys(points[0].values)
        .filter((k) => !trainerKeys.includes(k))
        .sort(),
    ).toEqual([...keys].sort());
    for (const p of points) {
      for (const k of keys.slice(1)) {
        expect(p.values[k]).toBeGreaterThanOrEqual(0);
        expect(p.values[k]).toBeLessThanOrEqual(1);
      }
    }
    const mean = (ps: MetricPoint[]) => ps.reduce((a, p) => a + p.values.loss, 0) / ps.length;
    expect(mean(points.slice(-4))).toBeLessThan(0.7 * mean(points.slice(0, 4)));
    const ev = await trainer.evaluate();
    for (const k of [...keys, 'plane0/Cosmic_IoU', 'plane2/Neutrino_IoU', 'minibatch_mean/Average/mIoU'])
      expect(Number.isFinite(ev.scalars[k]), k).toBe(true);
    expect(ev.figures!.map((f) => f.id)).toEqual(['cosmic-confusion', 'cosmic-event']);
    // Confusion matrix: rows normalised, counts (in the text) summing to every test pixel.
    const cm = ev.figures![0];
    for (const row of cm.z!) expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12);
    const counts = cm.text!.flat().map((t) => Number(t.replace(/.*\(|\)|,/g, '')));
    expect(counts.reduce((a, v) => a + v, 0)).toBe(3 * 3 * 16 * 16);
    // The display: full resolution, three layers of [3, 16, 16], labels in {0, 1, 2}.
    const d = ev.figures![1].planes!;
    expect([d.count, d.height, d.width]).toEqual([3, 16, 16]);
    expect(d.layers.map((l) => l.id)).toEqual(['cosmic-input', 'cosmic-truth', 'cosmic-prediction']);
    for (const l of d.layers) expect(l.values.length).toBe(3 * 16 * 16);
    expect(Array.from(d.layers[2].values).every((v) => v === 0 || v === 1 || v === 2)).toBe(true);
    const w = await runObj.namedWeights!();
    expect(Object.keys(w)).toContain('initial_convolution.conv.weight'); // upstream's UResNet names
    expect(runObj.describe()).toMatch(/8 train \/ 3 test events \(synthetic\), 3×16×16/);
    expect(e.gpu.takeErrors()).toEqual([]);
    trainer.dispose();
  }, 300_000);

  it('gradient accumulation over 2 micro-batches of 1 event equals one batch of 2 events', async () => {
    // Without batch norm (its batch statistics differ between 1 and 2 events, in torch too)
    // and with the "none" balance a 2-event batch loss is the mean of the two single-event
    // losses, so the two updates agree up to f32 round-off.
    const cfg = {
      ...small,
      balance: 'none',
      network: 'custom',
      normalization: 'none',
      n_initial_filters: 4,
      depth: 2,
      blocks_per_layer: 1,
      blocks_deepest_layer: 1,
      blocks_final: 1,
      filter_size_deepest: '3',
      bottleneck_deepest: 8,
    };
    const whole = await cosmicTaggingTask.create(e, { ...cfg, batchSize: 2 });
    const parts = await cosmicTaggingTask.create(e, { ...cfg, batchSize: 1 });
    const optA = new Adam(e, whole.parameters(), { lr: 1e-2 });
    const trainerB = new Trainer(e, parts, { lr: 1e-2 }, 1, 2);
    const lossA = e.scope(() => {
      const tape = e.beginTape();
      const l = whole.trainStep(0).loss;
      tape.backward(l);
      e.endTape();
      optA.update();
      return l;
    });
    e.gpu.submit();
    let lossB = NaN;
    await trainerB.runSteps(1, (p) => (lossB = p[0].values.loss));
    // Losses of O(1): f32 sums over 3·256 pixels, ~1e-6 relative.
    expectClose([lossB], [await lossA.item()], 1e-5, 1e-6, 'loss');
    const [pa, pb] = [whole.parameters(), parts.parameters()];
    for (let i = 0; i < pa.length; i += 5) {
      // One Adam step moves each weight by ≈ lr·sign(g); sign flips of tiny gradients aside,
      // the weights agree to ~1e-5 (gradients differ only by f32 summation order).
      expectClose(await pb[i].read(), await pa[i].read(), 0, 2e-4, `parameter ${i}`);
    }
    lossA.dispose();
    optA.dispose();
    whole.dispose();
    trainerB.dispose();
    expect(e.gpu.takeErrors()).toEqual([]);
  });
});
