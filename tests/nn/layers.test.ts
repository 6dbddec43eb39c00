// Kernel tests of the torch-compatible layer ops (batch norm, dropout, bilinear resampling,
// transposed convolution) against their f64 references and central finite differences, and
// the layer Modules built on them.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import { batchNorm, batchNormOp } from '../../src/tensor/ops/batchnorm';
import { bilinearGeometry, bilinearOp } from '../../src/tensor/ops/bilinear';
import { convTranspose2dOp } from '../../src/tensor/ops/convTranspose';
import { dropoutOp } from '../../src/tensor/ops/dropout';
import { batchNormRunningRef } from '../../src/tensor/reference/batchnorm';
import { bilinearRef } from '../../src/tensor/reference/bilinear';
import { dropoutFactor } from '../../src/tensor/reference/dropout';
import { seededRandom } from '../../src/nn/init';
import { BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout, LeakyReLU, Upsample } from '../../src/nn/layers';
import { batchNormRef } from '../../src/tensor/reference/batchnorm';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, expectClose, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const rnd = (shape: number[], seed: number, lo = -1, hi = 1) => ref(uniform(size(shape), seed, lo, hi).map(Math.fround), shape);

describe('batchNorm op', () => {
  const shapes = [
    [7, 3],
    [2, 5, 7],
    [3, 4, 5, 7],
    [1, 1, 257],
    [2, 3, 20, 13],
  ]; // last: 520 per channel, 3 chunks
  const inputs = (shape: number[], seed: number) => {
    const C = shape[1];
    return [
      rnd(shape, seed, -2, 3),
      rnd([C], seed + 1, 0.5, 1.5),
      rnd([C], seed + 2),
      rnd([C], seed + 3),
      rnd([C], seed + 4, 0.2, 2),
      ref([4], [], 'i32'),
    ];
  };
  // Chunked two-pass moments: f32 error ~1e-6 relative on O(1) normalised outputs.
  for (const shape of shapes) {
    it(`forward train and eval [${shape}]`, async () => {
      await checkForward(e, batchNormOp, inputs(shape, 10), { eps: 1e-5, training: true, momentum: 0.1 }, 1e-4, 1e-5);
      await checkForward(e, batchNormOp, inputs(shape, 20), { eps: 1e-5, training: false, momentum: 0.1 }, 1e-5, 1e-6);
    });
    // dx subtracts two per-channel means from dy (cancellation): ~1e-5 relative error.
    it(`backward train and eval [${shape}] vs finite differences`, async () => {
      await checkGradient(e, batchNormOp, inputs(shape, 30), { eps: 1e-5, training: true, momentum: 0.1 }, 1e-3, 1e-4);
      await checkGradient(e, batchNormOp, inputs(shape, 40), { eps: 1e-5, training: false, momentum: 0.1 }, 1e-4, 1e-5);
    });
  }
  for (const momentum of [0.1, 0.3, null]) {
    it(`train mode updates running stats and the counter in place (momentum ${momentum})`, async () => {
      const shape = [3, 4, 9, 11];
      const [x, g, b, rm, rv] = inputs(shape, 50);
      const state = {
        runningMean: e.fromArray(Float32Array.from(rm.data), [4]),
        runningVar: e.fromArray(Float32Array.from(rv.data), [4]),
        numBatchesTracked: e.fromArray(new Int32Array([2]), [], { dtype: 'i32' }),
      };
      const xt = e.fromArray(Float32Array.from(x.data), shape);
      const y = batchNorm(xt, e.fromArray(Float32Array.from(g.data), [4]), e.fromArray(Float32Array.from(b.data), [4]), state, {
        training: true,
        momentum,
      });
      const want = batchNormRunningRef(x, rm.data, rv.data, 2, momentum);
      // Running values are O(1) blends of f32 moments: 1e-5 relative.
      expectClose(await state.runningMean.read(), want.mean, 1e-5, 1e-6, 'running_mean');
      expectClose(await state.runningVar.read(), want.variance, 1e-5, 1e-6, 'running_var');
      expect(Array.from(await state.numBatchesTracked.read())).toEqual([3]);
      // Eval mode leaves them alone.
      batchNorm(xt, e.fromArray(Float32Array.from(g.data), [4]), e.fromArray(Float32Array.from(b.data), [4]), state, { training: false });
      expectClose(await state.runningMean.read(), want.mean, 1e-5, 1e-6, 'running_mean after eval');
      expect(Array.from(await state.numBatchesTracked.read())).toEqual([3]);
      expect(y.shape).toEqual(shape);
      expect(e.gpu.takeErrors()).toEqual([]);
    });
  }
  it('train mode with one value per channel is an error, as in torch', () => {
    expect(() =>
      e.apply(
        batchNormOp,
        [e.zeros([1, 2]), e.zeros([2]), e.zeros([2]), e.zeros([2]), e.zeros([2]), e.fromArray(new Int32Array(1), [], { dtype: 'i32' })],
        { eps: 1e-5, training: true, momentum: 0.1 },
      ),
    ).toThrow(/more than one value per channel/);
  });
});

describe('dropout op', () => {
  for (const n of [1, 7, 257, 4099]) {
    it(`forward and backward reproduce the reference mask bit for bit (n = ${n})`, async () => {
      // Same hash, same 24-bit uniform: outputs are x·0 or x·(1/(1-p)) in f32, one rounding.
      await checkForward(e, dropoutOp, [rnd([n], n)], { p: 0.3, seed: 12345 + n }, 1e-7, 0);
      await checkGradient(e, dropoutOp, [rnd([n], n + 1)], { p: 0.3, seed: 777 }, 1e-5, 1e-7);
    });
  }
  it('drops a fraction p and keeps the mean (10^5 draws, 5 sigma)', async () => {
    const n = 100_000;
    const p = 0.25;
    const y = e.apply(dropoutOp, [e.full([n], 1)], { p, seed: 3 });
    const out = await y.read();
    const zeros = out.filter((v) => v === 0).length;
    expect(Math.abs(zeros / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    expect(out.every((v) => v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-6)).toBe(true);
  });
  it('different seeds give different masks', () => {
    let same = 0;
    for (let i = 0; i < 1000; i++) if ((dropoutFactor(i, 1, 0.5) === 0) === (dropoutFactor(i, 2, 0.5) === 0)) same++;
    expect(same).toBeGreaterThan(400);
    expect(same).toBeLessThan(600);
  });
});

describe('bilinear op (align_corners=False)', () => {
  const cases: { x: number[]; opts: Parameters<typeof bilinearGeometry>[2] }[] = [
    { x: [2, 3, 5, 7], opts: { scale: 2 } },
    { x: [1, 2, 1, 1], opts: { scale: 3 } },
    { x: [1, 1, 4, 6], opts: { scale: [3, 2] } },
    { x: [2, 1, 7, 5], opts: { size: [10, 13] } },
    { x: [1, 2, 9, 8], opts: { size: [4, 3] } }, // downsampling
    { x: [1, 1, 16, 17], opts: { size: [257, 1] } },
  ];
  // Each output is a 4-tap blend with weights in [0, 1]: one f32 rounding per tap, ~1e-7.
  for (const c of cases) {
    const g = bilinearGeometry(c.x[2], c.x[3], c.opts);
    it(`forward and backward [${c.x}] → ${g.outH}×${g.outW}`, async () => {
      await checkForward(e, bilinearOp, [rnd(c.x, 60)], g, 1e-5, 1e-6);
      await checkGradient(e, bilinearOp, [rnd(c.x, 61)], g, 1e-4, 1e-5);
    });
  }
  it('matches hand values of torch for a 1×2 → 1×4 row (scale 2)', () => {
    // torch: F.interpolate(tensor([[[[0., 1.]]]]), scale_factor=2, mode='bilinear') = [0, .25, .75, 1]
    const y = bilinearRef(ref([0, 1], [1, 1, 1, 2]), bilinearGeometry(1, 2, { scale: 2 }));
    expect(Array.from(y.data)).toEqual([0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1]); // two rows: H = 1 → floor(1·2)
  });
});

describe('convTranspose2d op', () => {
  const cases: {
    name: string;
    x: number[];
    w: number[];
    stride: [number, number];
    padding: [number, number];
    outputPadding: [number, number];
  }[] = [
    { name: '3×3 stride 1', x: [2, 3, 5, 4], w: [3, 2, 3, 3], stride: [1, 1], padding: [0, 0], outputPadding: [0, 0] },
    { name: '3×3 stride 2 pad 1 out-pad 1', x: [2, 4, 5, 7], w: [4, 3, 3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 1] },
    { name: '2×2 stride 2', x: [1, 2, 3, 3], w: [2, 5, 2, 2], stride: [2, 2], padding: [0, 0], outputPadding: [0, 0] },
    { name: '4×3 kernel, strides 3/2, pads 2/1', x: [2, 1, 4, 5], w: [1, 2, 4, 3], stride: [3, 2], padding: [2, 1], outputPadding: [2, 0] },
    { name: '1×1 input', x: [1, 3, 1, 1], w: [3, 1, 3, 3], stride: [1, 1], padding: [0, 0], outputPadding: [0, 0] },
  ];
  // Sums of ≤ Cin·K² O(1) products: f32 relative error ~1e-6.
  for (const c of cases) {
    const attrs = { stride: c.stride, padding: c.padding, outputPadding: c.outputPadding };
    it(`forward ${c.name}`, async () => {
      await checkForward(e, convTranspose2dOp, [rnd(c.x, 70), rnd(c.w, 71), rnd([c.w[1]], 72)], attrs, 1e-5, 1e-5);
      await checkForward(e, convTranspose2dOp, [rnd(c.x, 73), rnd(c.w, 74)], attrs, 1e-5, 1e-5);
    });
    it(`backward ${c.name} (dX, dW, dB) vs finite differences`, async () => {
      await checkGradient(e, convTranspose2dOp, [rnd(c.x, 75), rnd(c.w, 76), rnd([c.w[1]], 77)], attrs, 1e-4, 1e-4);
    });
  }
  it('weight gradient over several chunks (N·H·W > 512)', async () => {
    const attrs = { stride: [2, 2] as [number, number], padding: [1, 1] as [number, number], outputPadding: [1, 1] as [number, number] };
    await checkGradient(e, convTranspose2dOp, [rnd([3, 2, 15, 13], 78), rnd([2, 3, 3, 3], 79), rnd([3], 80)], attrs, 1e-4, 1e-4, 24);
  });
  it('rejects output_padding ≥ stride, as torch', () => {
    const attrs = { stride: [1, 1] as [number, number], padding: [0, 0] as [number, number], outputPadding: [1, 1] as [number, number] };
    expect(() => e.apply(convTranspose2dOp, [e.zeros([1, 1, 2, 2]), e.zeros([1, 1, 3, 3])], attrs)).toThrow(/output_padding/);
  });
});

describe('layer Modules', () => {
  const tensor = (x: { data: Float64Array; shape: number[] }) => e.fromArray(Float32Array.from(x.data), x.shape);

  it("Conv2d and ConvTranspose2d draw torch's default bounds: 1/√fan_in, fan_in from weight dim 1", async () => {
    const rand = seededRandom(1);
    const conv = new Conv2d(e, 6, 5, 3, rand, { padding: 1 });
    const convT = new ConvTranspose2d(e, 6, 2, 3, rand);
    for (const [m, fanIn] of [
      [conv, 6 * 9],
      [convT, 2 * 9],
    ] as const) {
      const w = await m.weight.read();
      const b = await m.bias!.read();
      const bound = 1 / Math.sqrt(fanIn);
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound); // the whole range is used
      expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(bound);
    }
    expect(conv.weight.shape).toEqual([5, 6, 3, 3]);
    expect(convT.weight.shape).toEqual([6, 2, 3, 3]);
    expect(new Conv2d(e, 2, 3, 1, rand, { bias: false }).stateLayout().map(([n]) => n)).toEqual(['weight']);
  });

  it('BatchNorm1d on [N, C] and [N, C, L], BatchNorm2d on [N, C, H, W]; rank errors name the layer', async () => {
    for (const [shape, make] of [
      [[9, 3], () => new BatchNorm1d(e, 3)],
      [[4, 3, 5], () => new BatchNorm1d(e, 3)],
      [[2, 3, 3, 5], () => new BatchNorm2d(e, 3)],
    ] as const) {
      const m = make();
      const x = rnd([...shape], 90);
      const C = [3];
      const ones = ref([1, 1, 1], C);
      const zeros = ref([0, 0, 0], C);
      // Fresh torch defaults: weight 1, bias 0, running 0 / 1.
      expectClose(
        await m.forward(tensor(x)).read(),
        batchNormRef(x, ones, zeros, zeros, ones, 1e-5, true).data,
        1e-4,
        1e-5,
        `train [${shape}]`,
      );
      m.eval();
      const sd = await m.stateDict();
      const rm = ref(sd.running_mean.data as Float32Array, C);
      const rv = ref(sd.running_var.data as Float32Array, C);
      expectClose(await m.forward(tensor(x)).read(), batchNormRef(x, ones, zeros, rm, rv, 1e-5, false).data, 1e-5, 1e-6, `eval [${shape}]`);
    }
    expect(() => new BatchNorm2d(e, 3).forward(e.zeros([2, 3]))).toThrow(/BatchNorm2d\(3\): expected x of rank 4/);
    expect(new BatchNorm1d(e, 2, { affine: false }).stateLayout().map(([n]) => n)).toEqual([
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
  });

  it('Dropout: identity in eval mode, a new seeded mask each train forward, reproducible per seed', async () => {
    const x = e.full([1000], 1);
    const a = new Dropout(e, 0.5, 11);
    const m1 = await a.forward(x).read();
    const m2 = await a.forward(x).read();
    expect(Array.from(m1)).not.toEqual(Array.from(m2));
    const b = new Dropout(e, 0.5, 11);
    expect(Array.from(await b.forward(x).read())).toEqual(Array.from(m1));
    a.eval();
    expect(a.forward(x)).toBe(x);
    expect(Array.from(await new Dropout(e, 1).forward(x).read()).every((v) => v === 0)).toBe(true);
  });

  it('LeakyReLU(0.2) and bilinear / nearest Upsample', async () => {
    const x = rnd([1, 2, 3, 4], 91);
    const y = await new LeakyReLU(e, 0.2).forward(tensor(x)).read();
    expectClose(
      y,
      Array.from(x.data, (v) => (v > 0 ? v : 0.2 * v)),
      1e-6,
      1e-7,
      'leaky',
    );
    const up = await new Upsample(e, { scaleFactor: 2 }).forward(tensor(x)).read();
    expectClose(up, bilinearRef(x, bilinearGeometry(3, 4, { scale: 2 })).data, 1e-6, 1e-7, 'bilinear');
    const near = new Upsample(e, { scaleFactor: 3, mode: 'nearest' }).forward(tensor(x));
    expect(near.shape).toEqual([1, 2, 9, 12]);
    expect(() => new Upsample(e, { size: [5, 5], mode: 'nearest' }).forward(tensor(x))).toThrow(/nearest/);
  });
});
