import { beforeAll, describe, it } from 'vitest';
import { mseOp, softmaxCrossEntropyOp } from '../../src/tensor/ops/losses';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { rng, uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

function labels(n: number, classes: number, seed: number, ignoreEvery = 0) {
  const r = rng(seed);
  return ref(
    Array.from({ length: n }, (_, i) => (ignoreEvery && i % ignoreEvery === 0 ? -1 : Math.floor(r() * classes))),
    [n],
    'i32',
  );
}

describe('mse', () => {
  for (const n of [1, 7, 257, 10_007]) {
    it(`forward n=${n}`, async () => {
      await checkForward(e, mseOp, [ref(uniform(n, 1), [n]), ref(uniform(n, 2), [n])], {}, 1e-5, 1e-6);
    });
  }
  it('backward vs finite differences', async () => {
    await checkGradient(e, mseOp, [ref(uniform(63, 3), [9, 7]), ref(uniform(63, 4), [9, 7])], {}, 1e-4, 1e-5);
  });
});

describe('softmax cross-entropy', () => {
  // log-sum-exp with max subtraction: relative error of a few ulp per row, ~1e-6 overall.
  for (const [R, C] of [
    [1, 1],
    [1, 3],
    [7, 5],
    [257, 3],
    [33, 400],
  ]) {
    it(`forward R=${R} C=${C}`, async () => {
      await checkForward(
        e,
        softmaxCrossEntropyOp,
        [ref(uniform(R * C, R, -4, 4), [R, C]), labels(R, C, C)],
        { hasWeights: false },
        1e-5,
        1e-6,
      );
    });
  }
  it('forward with class weights and ignored rows', async () => {
    await checkForward(
      e,
      softmaxCrossEntropyOp,
      [ref(uniform(100 * 3, 1, -4, 4), [100, 3]), labels(100, 3, 2, 7), ref([1, 1.5, 10], [3])],
      { hasWeights: true },
      1e-5,
      1e-6,
    );
  });
  it('all rows ignored gives 0, not NaN', async () => {
    await checkForward(e, softmaxCrossEntropyOp, [ref(uniform(6, 1), [2, 3]), ref([-1, -1], [2], 'i32')], { hasWeights: false }, 0, 0);
  });
  it('backward vs finite differences', async () => {
    await checkGradient(
      e,
      softmaxCrossEntropyOp,
      [ref(uniform(12 * 4, 5, -3, 3), [12, 4]), labels(12, 4, 6, 5)],
      { hasWeights: false },
      1e-4,
      1e-5,
    );
  });
  it('backward with class weights', async () => {
    await checkGradient(
      e,
      softmaxCrossEntropyOp,
      [ref(uniform(10 * 3, 6, -3, 3), [10, 3]), labels(10, 3, 8), ref([1, 1.5, 10], [3])],
      { hasWeights: true },
      1e-4,
      1e-5,
    );
  });
});
