import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import {
  gather,
  indexAddOp,
  indexSelect,
  indexSelectOp,
  scatterAdd,
  scatterAddOp,
  takeAlongAxis,
  takeAlongAxisOp,
} from '../../src/tensor/ops/gather';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref, type OpInput } from '../helpers/opcheck';
import { rng, uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
// f32-representable values: a gather is then exact against the f64 reference.
const input = (shape: number[], seed = 1) => ref(uniform(size(shape), seed).map(Math.fround), shape);
/** i32 indices in [lo, hi), with a few out of range (negative and too large) when `oob`. */
function indices(shape: number[], hi: number, seed: number, oob = false): OpInput {
  const r = rng(seed);
  const data = Float64Array.from({ length: size(shape) }, () => Math.floor(r() * hi));
  if (oob && data.length >= 3) {
    data[0] = -1;
    data[Math.floor(data.length / 2)] = hi;
    data[data.length - 1] = hi + 1000;
  }
  return ref(data, shape, 'i32');
}

// Gathers are exact. Gradients and scatters add at most K f32 terms of size <= 1.5:
// error <~ K * 2^-24 * 1.5 relative to the largest output, so atolRel 1e-7 * K.
const EXACT = [0, 0] as const;

describe('indexSelect', () => {
  const cases: [number[], number, number, boolean][] = [
    [[7], 0, 1, false],
    [[7, 5], 0, 3, false],
    [[3, 257, 2], 1, 300, true],
    [[4, 3, 7], -1, 9, true],
    [[2, 1, 3, 1, 2], 2, 1, false],
  ];
  for (const [shape, axis, K, oob] of cases) {
    it(`[${shape}] axis ${axis}, ${K} indices${oob ? ' (some out of range)' : ''}`, async () => {
      const a = axis < 0 ? axis + shape.length : axis;
      const ins = [input(shape), indices([K], shape[a], K + 1, oob)];
      await checkForward(e, indexSelectOp, ins, { axis }, ...EXACT);
      await checkGradient(e, indexSelectOp, ins, { axis }, 1e-5, 1e-7 * K);
    });
  }

  it('out-of-range indices gather 0 (GPU-side guard)', async () => {
    const x = e.fromArray([10, 11, 12, 13, 14, 15, 16], [7]);
    const idx = e.fromArray([-1, 7, 2, 2147483647, 6], [5], { dtype: 'i32' });
    expect([...(await indexSelect(x, 0, idx).read())]).toEqual([0, 0, 12, 0, 16]);
    x.dispose();
    idx.dispose();
  });

  it('gathers i32 tensors bit for bit', async () => {
    const x = e.fromArray([-5, 2147483647, -2147483648, 7], [4], { dtype: 'i32' });
    const idx = e.fromArray([2, 1, 0, 3, 3], [5], { dtype: 'i32' });
    expect([...(await indexSelect(x, 0, idx).read())]).toEqual([-2147483648, 2147483647, -5, 7, 7]);
    x.dispose();
    idx.dispose();
  });
});

describe('takeAlongAxis / gather', () => {
  const cases: [number[], number[], number, boolean][] = [
    [[7], [7], 0, false],
    [[4, 7], [4, 3], 1, false],
    [[4, 7], [2, 3], 1, true], // index smaller off the axis, as torch.gather allows
    [[7, 5], [9, 5], 0, true],
    [[3, 2, 257, 2], [3, 2, 31, 2], -2, true],
  ];
  for (const [shape, ishape, axis, oob] of cases) {
    it(`x [${shape}] index [${ishape}] axis ${axis}`, async () => {
      const a = axis < 0 ? axis + shape.length : axis;
      const ins = [input(shape), indices(ishape, shape[a], size(ishape), oob)];
      await checkForward(e, takeAlongAxisOp, ins, { axis }, ...EXACT);
      await checkGradient(e, takeAlongAxisOp, ins, { axis }, 1e-5, 1e-7 * ishape[a]);
    });
  }

  it('gather(x, axis, index) is torch.gather', async () => {
    const x = e.fromArray([1, 2, 3, 4], [2, 2]);
    const idx = e.fromArray([0, 0, 1, 0], [2, 2], { dtype: 'i32' });
    expect([...(await gather(x, 1, idx).read())]).toEqual([1, 1, 4, 3]); // torch's own doc example
    expect([...(await takeAlongAxis(x, idx, 1).read())]).toEqual([1, 1, 4, 3]);
    x.dispose();
    idx.dispose();
  });
});

describe('scatterAdd / indexAdd', () => {
  const scatterCases: [number[], number[], number, boolean][] = [
    [[7], [7], 0, false],
    [[5, 7], [5, 9], 1, true],
    [[5, 7], [3, 7], 0, false],
    [[4, 6, 3], [2, 13, 3], 1, true], // index / src smaller off the axis
    [[257, 3], [300, 3], 0, false],
  ];
  for (const [bshape, sshape, axis, oob] of scatterCases) {
    it(`scatterAdd base [${bshape}] src [${sshape}] axis ${axis}`, async () => {
      const ins = [input(bshape, 2), indices(sshape, bshape[axis], size(sshape) + 7, oob), input(sshape, 3)];
      const K = sshape[axis];
      await checkForward(e, scatterAddOp, ins, { axis }, 1e-6, 1e-7 * K);
      await checkGradient(e, scatterAddOp, ins, { axis }, 1e-5, 1e-7 * K);
    });
  }

  const indexAddCases: [number[], number, number][] = [
    [[7, 4], 0, 11],
    [[3, 257], 1, 500],
    [[2, 3, 5], -1, 1],
  ];
  for (const [bshape, axis, K] of indexAddCases) {
    it(`indexAdd base [${bshape}] axis ${axis}, ${K} indices`, async () => {
      const a = axis < 0 ? axis + bshape.length : axis;
      const sshape = [...bshape];
      sshape[a] = K;
      const ins = [input(bshape, 4), indices([K], bshape[a], K, true), input(sshape, 5)];
      await checkForward(e, indexAddOp, ins, { axis }, 1e-6, 1e-7 * K);
      await checkGradient(e, indexAddOp, ins, { axis }, 1e-5, 1e-7 * K);
    });
  }

  it('adds duplicates and drops out-of-range indices', async () => {
    const base = e.fromArray([1, 1, 1], [3]);
    const idx = e.fromArray([2, 2, -1, 0, 3], [5], { dtype: 'i32' });
    const src = e.fromArray([10, 20, 30, 40, 50], [5]);
    expect([...(await scatterAdd(base, 0, idx, src).read())]).toEqual([41, 1, 31]);
    for (const t of [base, idx, src]) t.dispose();
  });
});
