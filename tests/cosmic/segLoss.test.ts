import { beforeAll, describe, expect, it } from 'vitest';
import { classWeightTable, segmentationCrossEntropyOp } from '../../src/losses/segmentation';
import { segmentationCrossEntropyGradRef, segmentationCrossEntropyRef } from '../../src/losses/segmentationRef';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, expectClose, ref } from '../helpers/opcheck';
import { rng, uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

function labels(n: number, seed: number, ignoreEvery = 0) {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => (ignoreEvery && i % ignoreEvery === 3 ? -1 : Math.floor(r() * 3)));
}

// B = 2 events × P = 3 planes, C = 3 classes, 4×5 pixels.
const shape = [6, 3, 4, 5];
const logits = ref(uniform(6 * 3 * 20, 1, -3, 3), shape);
const lab = labels(6 * 20, 2, 7);
const labRef = ref(lab, [6, 4, 5], 'i32');

describe('segmentation cross-entropy (NCHW, per plane)', () => {
  // Per-pixel log-sum-exp (a few ulp) summed over ≤ 40 pixels per plane: ~1e-6 relative.
  for (const scheme of ['none', 'light', 'even', 'focal'] as const) {
    it(`forward, ${scheme} weights`, async () => {
      const w = ref(classWeightTable(scheme, lab, 3, 3, 20), [3, 3]);
      await checkForward(e, segmentationCrossEntropyOp, [logits, labRef, w], { planes: 3, focal: scheme === 'focal' }, 1e-5, 1e-6);
    });
  }
  for (const scheme of ['none', 'light', 'even'] as const) {
    it(`backward vs finite differences, ${scheme} weights`, async () => {
      const w = ref(classWeightTable(scheme, lab, 3, 3, 20), [3, 3]);
      await checkGradient(e, segmentationCrossEntropyOp, [logits, labRef, w], { planes: 3, focal: false }, 1e-4, 1e-4);
    });
  }
  it('focal backward equals the gradient with the focal weights held fixed', async () => {
    const w = Float32Array.from(classWeightTable('focal', lab, 3, 3, 20));
    const x = e.fromArray(Float32Array.from(logits.data), shape, { requiresGrad: true });
    const y = e.fromArray(Int32Array.from(lab), [6, 4, 5], { dtype: 'i32' });
    const wt = e.fromArray(w, [3, 3]);
    const tape = e.beginTape();
    let got: Float32Array;
    try {
      const loss = e.apply(segmentationCrossEntropyOp, [x, y, wt], { planes: 3, focal: true });
      got = await tape.backward(loss).get(x)!.read();
    } finally {
      e.endTape();
    }
    const expected = segmentationCrossEntropyGradRef(
      logits,
      labRef,
      { data: Float64Array.from(w), shape: [3, 3] },
      { planes: 3, focal: true },
    );
    expectClose(got, expected, 1e-4, 1e-6, 'focal gradient');
    for (const t of [x, y, wt]) t.dispose();
  });
  it('a plane without any counted pixel contributes 0, not NaN', async () => {
    const allIgnored = lab.map((v, i) => (Math.floor(i / 20) % 3 === 1 ? -1 : v));
    const w = ref([1, 1, 1, 1, 1, 1, 1, 1, 1], [3, 3]);
    await checkForward(
      e,
      segmentationCrossEntropyOp,
      [logits, ref(allIgnored, [6, 4, 5], 'i32'), w],
      { planes: 3, focal: false },
      1e-5,
      1e-6,
    );
    const full = segmentationCrossEntropyRef(logits, ref(allIgnored, [6, 4, 5], 'i32'), w, { planes: 3, focal: false }).data[0];
    expect(Number.isFinite(full)).toBe(true);
  });
});

describe('class weight table', () => {
  it('light: 1, 1.5, 10 on every plane', () => {
    expect(Array.from(classWeightTable('light', [0, 1], 2, 3, 1))).toEqual([1, 1.5, 10, 1, 1.5, 10]);
  });
  it('even: 1/(count+1) per plane, finite when a class is absent', () => {
    // 2 events × 2 planes × 2 pixels; plane 0 has labels 0,0,1,0 ; plane 1 has 2,2,0,2.
    const y = [0, 0, 2, 2, 1, 0, 0, 2];
    expect(Array.from(classWeightTable('even', y, 2, 3, 2))).toEqual([1 / 4, 1 / 2, 1, 1 / 2, 1, 1 / 4].map(Math.fround));
  });
  it('none and focal: ones', () => {
    expect(Array.from(classWeightTable('none', [2], 1, 3, 1))).toEqual([1, 1, 1]);
    expect(Array.from(classWeightTable('focal', [2], 1, 3, 1))).toEqual([1, 1, 1]);
  });
});
