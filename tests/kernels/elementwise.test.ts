import { beforeAll, describe, it } from 'vitest';
import { BINARY_OPS, UNARY_OPS, biasAddOp } from '../../src/tensor/ops/elementwise';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

// Elementwise kernels do one f32 operation chain per element: relative error ~1e-6; the
// transcendental functions (exp, log, tanh) are accurate to a few ulp on SwiftShader.
const FWD_RTOL = 1e-5;
const GRAD_RTOL = 1e-4;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const SIZES = [1, 7, 257, 70_001];

describe('unary ops', () => {
  for (const [name, op] of Object.entries(UNARY_OPS)) {
    // log needs positive input; exp stays in a range where f32 is not saturated.
    const [lo, hi] = name === 'log' ? [0.1, 3] : [-3, 3];
    for (const n of SIZES) {
      it(`${name} forward n=${n}`, async () => {
        await checkForward(e, op, [ref(uniform(n, n, lo, hi), [n])], { alpha: -0.75 }, FWD_RTOL, 1e-6);
      });
    }
    it(`${name} backward vs finite differences`, async () => {
      await checkGradient(e, op, [ref(uniform(257, 5, lo, hi), [257])], { alpha: -0.75 }, GRAD_RTOL, 1e-5);
    });
  }
});

describe('binary ops', () => {
  for (const [name, op] of Object.entries(BINARY_OPS)) {
    for (const n of SIZES) {
      it(`${name} forward n=${n}`, async () => {
        await checkForward(e, op, [ref(uniform(n, 1, -2, 2), [n]), ref(uniform(n, 2, -2, 2), [n])], {}, FWD_RTOL, 1e-6);
      });
    }
    it(`${name} backward vs finite differences`, async () => {
      await checkGradient(e, op, [ref(uniform(7 * 9, 3), [7, 9]), ref(uniform(7 * 9, 4), [7, 9])], {}, GRAD_RTOL, 1e-5);
    });
  }
});

describe('biasAdd', () => {
  for (const [rows, cols] of [
    [1, 1],
    [7, 3],
    [257, 65],
    [3, 1000],
  ]) {
    it(`forward [${rows}, ${cols}]`, async () => {
      await checkForward(e, biasAddOp, [ref(uniform(rows * cols, 8), [rows, cols]), ref(uniform(cols, 9), [cols])], {}, FWD_RTOL, 1e-6);
    });
  }
  it('backward vs finite differences (bias gradient is a column sum)', async () => {
    await checkGradient(e, biasAddOp, [ref(uniform(33 * 5, 10), [33, 5]), ref(uniform(5, 11), [5])], {}, GRAD_RTOL, 1e-5);
  });
});
