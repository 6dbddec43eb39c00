import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import { logSoftmax, softmax, softmaxAxisOp } from '../../src/tensor/ops/softmaxAxis';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const input = (shape: number[], seed = 1, scale = 4) => ref(uniform(size(shape), seed, -scale, scale), shape);

// f32: exp and the n-term sum give ~n * 2^-24 relative error in the normaliser (n <= 4100
// here, 2.5e-4 worst case, far less in practice as the terms are positive), which is the
// relative error of softmax and the absolute error of log-softmax: rtol/atol 1e-5 + 5e-8 n.
const tol = (n: number): [number, number] => [1e-5 + 5e-8 * n, 1e-5 + 5e-8 * n];

const cases: [number[], number][] = [
  [[1], 0],
  [[7], 0],
  [[257], -1],
  [[4100], 0], // one long column: a workgroup
  [[3, 7, 5], 1],
  [[3, 7, 5], 0],
  [[3, 7, 5], -1],
  [[2, 300, 3], 1], // few long strided columns: workgroups
  [[9000, 3], 1],
  [[3, 9000], 0], // many columns: one thread each
  [[2, 3, 1, 4, 5, 2], 3],
  [[5, 1], 1],
];

describe('softmax / logSoftmax along any axis', () => {
  for (const log of [false, true]) {
    for (const [shape, axis] of cases) {
      const n = shape[axis < 0 ? axis + shape.length : axis];
      it(`${log ? 'logSoftmax' : 'softmax'} [${shape}] axis ${axis}: forward`, async () => {
        await checkForward(e, softmaxAxisOp, [input(shape, size(shape))], { axis, log }, ...tol(n));
      });
    }
    for (const [shape, axis] of [
      [[7], 0],
      [[3, 7, 5], 1],
      [[4, 3, 5], 0],
      [[2, 300, 3], 1],
      [[5, 9], -1],
      [[2, 130], 1],
    ] as [number[], number][]) {
      it(`${log ? 'logSoftmax' : 'softmax'} [${shape}] axis ${axis}: backward`, async () => {
        // rtol 1e-4: the backward's f32 products and n-term sums against f64 differences.
        await checkGradient(e, softmaxAxisOp, [input(shape, 7, 2)], { axis, log }, 1e-4, 1e-5);
      });
    }
  }

  it('is stable for large logits and sums to one', async () => {
    const x = e.fromArray([1000, 999, 998, -1000, -1001, -1003], [2, 3]);
    const p = await softmax(x, 1).read();
    const expected = (a: number[]) => {
      const m = Math.max(...a);
      const s = a.reduce((t, v) => t + Math.exp(v - m), 0);
      return a.map((v) => Math.exp(v - m) / s);
    };
    const want = [...expected([1000, 999, 998]), ...expected([-1000, -1001, -1003])];
    p.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-6));
    const lp = await logSoftmax(x, -1).read();
    lp.forEach((v, i) => expect(Math.abs(v - Math.log(want[i]))).toBeLessThan(1e-5));
    x.dispose();
  });
});
