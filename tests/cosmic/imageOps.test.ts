import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import { conv2dOp } from '../../src/tensor/ops/conv2d';
import { instanceNormOp } from '../../src/tensor/ops/norm';
import { avgPool2dOp, maxPool2dOp } from '../../src/tensor/ops/pool';
import { upsampleNearestOp } from '../../src/tensor/ops/upsample';
import { concatChannelsOp } from '../../src/tensor/ops/concat';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

// Values representable in f32, so copies and maxima can be compared exactly.
const img = (shape: number[], seed: number) =>
  ref(
    uniform(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ).map(Math.fround),
    shape,
  );

// Sums of ≤ Cin·K² = 75 products of O(1) f32 values: relative error ~1e-6; 1e-5 leaves margin.
// Gradients are compared with central differences of the f64 reference (tolerance 1e-4
// relative to the largest gradient: f32 accumulation over ≤ a few hundred terms).
describe('conv2d', () => {
  const cases: { name: string; x: number[]; w: number[]; stride: number; pad: number }[] = [
    { name: '3×3 pad 1', x: [2, 3, 6, 5], w: [4, 3, 3, 3], stride: 1, pad: 1 },
    { name: '1×1', x: [2, 5, 4, 4], w: [3, 5, 1, 1], stride: 1, pad: 0 },
    { name: '5×5 pad 2', x: [1, 2, 7, 7], w: [2, 2, 5, 5], stride: 1, pad: 2 },
    { name: '2×2 stride 2', x: [2, 3, 6, 8], w: [4, 3, 2, 2], stride: 2, pad: 0 },
    { name: '3×3 stride 2 pad 1, odd size', x: [1, 2, 7, 5], w: [3, 2, 3, 3], stride: 2, pad: 1 },
  ];
  for (const c of cases) {
    it(`forward ${c.name}`, async () => {
      const bias = ref(uniform(c.w[0], 7), [c.w[0]]);
      await checkForward(e, conv2dOp, [img(c.x, 1), img(c.w, 2), bias], { stride: c.stride, pad: c.pad }, 1e-5, 1e-5);
      await checkForward(e, conv2dOp, [img(c.x, 3), img(c.w, 4)], { stride: c.stride, pad: c.pad }, 1e-5, 1e-5);
    });
    it(`backward ${c.name} (dX, dW, dB) vs finite differences`, async () => {
      const bias = ref(uniform(c.w[0], 8), [c.w[0]]);
      await checkGradient(e, conv2dOp, [img(c.x, 5), img(c.w, 6), bias], { stride: c.stride, pad: c.pad }, 1e-4, 1e-4);
    });
  }
  it('weight gradient over several chunks (N·Ho·Wo > 512) matches finite differences', async () => {
    await checkGradient(
      e,
      conv2dOp,
      [img([3, 2, 16, 12], 9), img([2, 2, 3, 3], 10), ref([0.1, -0.2], [2])],
      { stride: 1, pad: 1 },
      1e-4,
      1e-4,
      24,
    );
  });
});

describe('instance norm', () => {
  // Two-pass mean/variance per plane: f32 relative error ~1e-6 on O(1) outputs.
  it('forward', async () => {
    await checkForward(e, instanceNormOp, [img([2, 3, 5, 7], 11), img([3], 12), img([3], 13)], { eps: 1e-5 }, 1e-4, 1e-5);
  });
  it('forward over several chunks (HW = 600)', async () => {
    await checkForward(e, instanceNormOp, [img([1, 2, 20, 30], 14), img([2], 15), img([2], 16)], { eps: 1e-5 }, 1e-4, 1e-5);
  });
  it('constant plane gives β, not NaN', async () => {
    await checkForward(
      e,
      instanceNormOp,
      [ref(new Array(8).fill(2.5), [1, 2, 2, 2]), ref([1, 2], [2]), ref([0.5, -1], [2])],
      { eps: 1e-5 },
      0,
      1e-6,
    );
  });
  it('backward (dX, dγ, dβ) vs finite differences', async () => {
    // dx subtracts two means from dy: cancellation raises the f32 error to ~1e-5 relative.
    await checkGradient(e, instanceNormOp, [img([2, 3, 4, 5], 17), img([3], 18), img([3], 19)], { eps: 1e-5 }, 1e-3, 1e-4);
  });
});

describe('pooling', () => {
  it('max pool 2×2 forward, even and odd sizes', async () => {
    await checkForward(e, maxPool2dOp, [img([2, 3, 6, 8], 21)], { k: 2 }, 0, 0);
    await checkForward(e, maxPool2dOp, [img([1, 2, 7, 5], 22)], { k: 2 }, 0, 0);
  });
  it('max pool backward routes the gradient to the argmax', async () => {
    await checkGradient(e, maxPool2dOp, [img([2, 2, 5, 6], 23)], { k: 2 }, 1e-5, 1e-6);
  });
  it('average pool 2×2 and 4×4 forward', async () => {
    await checkForward(e, avgPool2dOp, [img([2, 3, 6, 8], 24)], { k: 2 }, 1e-6, 1e-7);
    await checkForward(e, avgPool2dOp, [img([1, 2, 9, 8], 25)], { k: 4 }, 1e-6, 1e-7);
  });
  it('average pool backward', async () => {
    await checkGradient(e, avgPool2dOp, [img([1, 2, 7, 6], 26)], { k: 2 }, 1e-5, 1e-6);
  });
});

describe('nearest upsample and channel concat', () => {
  it('upsample ×2 forward (exact copy)', async () => {
    await checkForward(e, upsampleNearestOp, [img([2, 3, 3, 4], 31)], { factor: 2 }, 0, 0);
  });
  it('upsample ×2 and ×3 backward', async () => {
    await checkGradient(e, upsampleNearestOp, [img([1, 2, 3, 4], 32)], { factor: 2 }, 1e-5, 1e-6);
    await checkGradient(e, upsampleNearestOp, [img([1, 1, 2, 3], 33)], { factor: 3 }, 1e-5, 1e-6);
  });
  it('concat forward (exact copy) and backward', async () => {
    await checkForward(e, concatChannelsOp, [img([2, 3, 3, 4], 34), img([2, 2, 3, 4], 35)], {}, 0, 0);
    await checkGradient(e, concatChannelsOp, [img([2, 1, 2, 3], 36), img([2, 3, 2, 3], 37)], {}, 1e-6, 1e-7);
  });
  it('concat rejects mismatched sizes', () => {
    const a = e.zeros([1, 2, 3, 3]);
    const b = e.zeros([1, 2, 3, 4]);
    expect(() => e.apply(concatChannelsOp, [a, b], {})).toThrow(/agree/);
    a.dispose();
    b.dispose();
  });
});

describe('instance norm over several chunks', () => {
  it('backward with HW = 600 (3 chunks) vs finite differences', async () => {
    await checkGradient(e, instanceNormOp, [img([1, 2, 20, 30], 41), img([2], 42), img([2], 43)], { eps: 1e-5 }, 1e-3, 1e-4, 24);
  });
  it('mean far from zero: merged chunk moments keep the variance accurate', async () => {
    const x = ref(
      uniform(600, 44).map((v) => Math.fround(1000 + v)),
      [1, 1, 20, 30],
    );
    await checkForward(e, instanceNormOp, [x, ref([1], [1]), ref([0], [1])], { eps: 1e-5 }, 1e-3, 1e-3);
  });
});
