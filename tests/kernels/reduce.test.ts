import { beforeAll, describe, it } from 'vitest';
import { meanOp, sumOp } from '../../src/tensor/ops/reduce';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

// Pairwise/chunked f32 summation of n terms of size ≤1: error ≲ log2(n)·2^-24·Σ|x|;
// with Σ|x| ≈ n/2 relative to the result that can reach ~1e-4 for 300k nearly-cancelling
// terms, hence an absolute tolerance scaled by n.
let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

describe('sum / mean', () => {
  const cases: [number[], number | null][] = [
    [[1], null],
    [[7], null],
    [[257], null],
    [[300_001], null],
    [[7, 257], 0],
    [[7, 257], 1],
    [[3, 5000, 2], 1],
    [[2, 9000], 1],
    [[9000, 3], 0],
    [[4, 3, 5], 2],
  ];
  for (const op of [sumOp, meanOp]) {
    for (const [shape, axis] of cases) {
      it(`${op.name} forward [${shape}] axis=${axis}`, async () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const reduced = axis === null ? n : shape[axis];
        await checkForward(e, op, [ref(uniform(n, n), shape)], { axis }, 1e-5, 2e-7 * reduced);
      });
    }
    for (const [shape, axis] of [
      [[7, 5], 0],
      [[7, 5], 1],
      [[3, 4, 5], 1],
      [[11], null],
    ] as [number[], number | null][]) {
      it(`${op.name} backward [${shape}] axis=${axis}`, async () => {
        const n = shape.reduce((a, b) => a * b, 1);
        await checkGradient(e, op, [ref(uniform(n, 3), shape)], { axis }, 1e-4, 1e-5);
      });
    }
  }
});
