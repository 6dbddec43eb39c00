import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import {
  argmax,
  argmaxAxesOp,
  argmin,
  argminAxesOp,
  logsumexpAxesOp,
  maxAxes,
  maxAxesOp,
  meanAxesOp,
  minAxesOp,
  sumAxes,
  sumAxesOp,
  varAxes,
  varAxesOp,
  type ReduceAxesAttrs,
} from '../../src/tensor/ops/reduceAxes';
import type { OpDef } from '../../src/tensor/registry';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
// f32-representable inputs in [-1, 1]: max/min/argmax are then exact against the reference.
const input = (shape: number[], seed = 1) => ref(uniform(size(shape), seed).map(Math.fround), shape);
const reducedCount = (shape: number[], axes: number[] | null) =>
  axes === null ? size(shape) : axes.reduce((p, a) => p * shape[a < 0 ? a + shape.length : a], 1);

// Tolerances (f32): sums of R terms of size <= 1 carry an error <~ R * 2^-24 * sum|x| in the
// worst case of the sequential chunk loops, relative to the largest output that is ~2e-7 * R
// (as tests/kernels/reduce.test.ts argues). var sums non-negative squared deviations (the
// mean's own error enters only at second order): the same bound. logsumexp's error is the
// relative error of its positive sum, the same bound in absolute terms, plus the log's
// rounding. max/min/argmax/argmin select an element, so they are exact.
const tolerance = (op: OpDef<ReduceAxesAttrs>, R: number): [number, number] => {
  if ([maxAxesOp, minAxesOp, argmaxAxesOp, argminAxesOp].includes(op)) return [0, 0];
  if (op === logsumexpAxesOp) return [1e-6, 1e-6 + 2e-7 * R];
  return [1e-5, 2e-7 * R];
};

const cases: [number[], number[] | null, boolean][] = [
  [[1], null, false],
  [[7], [0], true],
  [[257], null, false],
  [[300_001], null, false], // one output, 74 workgroup chunks, then a second pass
  [[7, 257], [1], false],
  [[7, 257], [0], true],
  [[3, 5, 7], [0, 2], true],
  [[2, 3, 4, 5, 3, 2], [1, 3, 5], false],
  [[2, 3, 4, 5, 3, 2], [-1, -6], true],
  [[9000, 3], [0], false], // few outputs, long strided reduction
  [[3, 9001], [-1], false],
  [[20_000, 5], [1], false], // many outputs: one thread each
  [[2, 1, 3], [1], false],
];

const forwardOps = [sumAxesOp, meanAxesOp, maxAxesOp, minAxesOp, varAxesOp, logsumexpAxesOp, argmaxAxesOp, argminAxesOp];

describe('reductions over any axes: forward', () => {
  for (const op of forwardOps) {
    for (const [shape, axes, keepdims] of cases) {
      if (op === varAxesOp && reducedCount(shape, axes) === 1) continue; // R - 1 = 0
      it(`${op.name} [${shape}] axes ${JSON.stringify(axes)}${keepdims ? ' keepdims' : ''}`, async () => {
        const R = reducedCount(shape, axes);
        await checkForward(e, op, [input(shape, shape.length + R)], { axes, keepdims }, ...tolerance(op, R));
      });
    }
  }

  it('many outputs with long rows: thread chunks and their partials (sum, argmax)', async () => {
    const shape = [8192, 1100];
    const x = input(shape, 5);
    await checkForward(e, sumAxesOp, [x], { axes: [1], keepdims: false }, ...tolerance(sumAxesOp, 1100));
    await checkForward(e, argmaxAxesOp, [x], { axes: [1], keepdims: false }, 0, 0);
  });

  it('var with correction 0 (biased) and 2', async () => {
    for (const correction of [0, 2]) {
      await checkForward(e, varAxesOp, [input([5, 7, 3], 2)], { axes: [0, 2], keepdims: false, correction }, 1e-5, 1e-5);
    }
  });

  it('logsumexp is stable for large inputs', async () => {
    const x = ref(Float64Array.from([1000, 999, -1000, 80, 88, 87.5]), [2, 3]);
    await checkForward(e, logsumexpAxesOp, [x], { axes: [1], keepdims: false }, 1e-6, 1e-6);
  });
});

describe('ties and index conventions', () => {
  it('argmax / argmin take the first index among equal values, as torch', async () => {
    const x = e.fromArray([1, 3, 3, 0, 2, 2, 2, 2, 0, -1, 5, -1], [3, 4]);
    expect([...(await argmax(x, 1).read())]).toEqual([1, 0, 2]);
    expect([...(await argmin(x, -1).read())]).toEqual([3, 0, 1]);
    expect([...(await argmax(x, 0).read())]).toEqual([1, 0, 2, 1]);
    expect([...(await argmax(x).read())]).toEqual([10]); // flat index over all axes
    x.dispose();
  });

  it('first index among ties across chunks and workgroup lanes', async () => {
    const n = 300_001;
    const data = new Float32Array(n);
    for (const i of [290_000, 150_000, 7000, 7001]) data[i] = 5;
    const x = e.fromArray(data, [n]);
    expect(await argmax(x).item()).toBe(7000);
    expect(await argmin(x).item()).toBe(0);
    x.dispose();
  });

  it('the gradient of max goes to the first maximal element only', async () => {
    const x = e.fromArray([3, 1, 3, 2, 2, 0], [2, 3], { requiresGrad: true });
    const tape = e.beginTape();
    try {
      const y = maxAxes(x, 1);
      const g = tape.backward(sumAxes(y));
      expect([...(await g.get(x)!.read())]).toEqual([1, 0, 0, 1, 0, 0]);
    } finally {
      e.endTape();
    }
    x.dispose();
  });

  it('an empty reduction sums to 0 (as torch); max / argmax of nothing is an error', async () => {
    const x = e.zeros([3, 0, 2]);
    expect([...(await sumAxes(x, 1).read())]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => maxAxes(x, [1, 2])).toThrow(/empty/);
    expect(() => argmax(x, 1)).toThrow(/empty/);
    x.dispose();
  });

  it('varAxes unbiased: false divides by R', async () => {
    const x = e.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    const v = await varAxes(x, 1, { unbiased: false }).read();
    expect(Math.abs(v[0] - 2 / 3)).toBeLessThan(1e-6);
    const u = await varAxes(x, 1).read();
    expect(Math.abs(u[1] - 1)).toBeLessThan(1e-6);
    x.dispose();
  });
});

describe('reductions over any axes: backward', () => {
  const gradCases: [number[], number[] | null, boolean][] = [
    [[7, 5], [1], false],
    [[3, 4, 5], [0, 2], true],
    [[2, 3, 1, 4], null, false],
    [[11], null, true],
    [[4, 3, 2, 3], [-3], false],
  ];
  // f32 backward against f64 central differences: rtol 1e-4 covers the f32 round-off of
  // the few-term products these gradients are.
  for (const op of [sumAxesOp, meanAxesOp, maxAxesOp, minAxesOp, varAxesOp, logsumexpAxesOp]) {
    for (const [shape, axes, keepdims] of gradCases) {
      it(`${op.name} [${shape}] axes ${JSON.stringify(axes)}`, async () => {
        await checkGradient(e, op, [input(shape, 3)], { axes, keepdims }, 1e-4, 1e-5);
      });
    }
  }
  it('varAxes backward with correction 0', async () => {
    await checkGradient(e, varAxesOp, [input([6, 5], 4)], { axes: [0], keepdims: false, correction: 0 }, 1e-4, 1e-5);
  });
});
