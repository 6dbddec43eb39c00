import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import { concat, concatOp, pad, padOp, permute, permuteOp, slice, sliceAxes, sliceOp, transpose } from '../../src/tensor/ops/shape';
import { padPerDim } from '../../src/tensor/reference/shape';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

// Every op here is a pure copy (or a copy plus a constant), so the forward must match the
// reference exactly. Gradients are copies of the f32 seed, while the finite differences
// use the f64 seed: they differ by the seed's f32 rounding, 2^-24 relative, hence rtol 1e-6.
const EXACT = [0, 0] as const;
const GRAD = [1e-6, 1e-7] as const;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
// f32-representable values, so that a copy is exact against the f64 reference.
const input = (shape: number[], seed = 1) => ref(uniform(size(shape), seed).map(Math.fround), shape);

describe('permute', () => {
  const cases: [number[], number[]][] = [
    [[7], [0]],
    [
      [257, 3],
      [1, 0],
    ],
    [
      [3, 5, 7],
      [2, 0, 1],
    ],
    [
      [2, 3, 1, 5, 4, 3],
      [5, 3, 1, 0, 4, 2],
    ],
    [
      [1, 7, 1],
      [2, 1, 0],
    ],
    [
      [2, 3, 2, 3, 2, 3, 2, 1],
      [7, 6, 5, 4, 3, 2, 1, 0],
    ],
    [
      [3, 4],
      [-1, -2],
    ],
  ];
  for (const [shape, dims] of cases) {
    it(`[${shape}] by [${dims}]`, async () => {
      await checkForward(e, permuteOp, [input(shape)], { dims }, ...EXACT);
      await checkGradient(e, permuteOp, [input(shape)], { dims }, ...GRAD);
    });
  }

  it('moves i32 bit patterns unchanged, and transpose swaps two axes', async () => {
    const vals = Int32Array.from([-1, 2 ** 31 - 1, -(2 ** 31), 0x7fc00001, 1, -8388608]);
    const x = e.fromArray(vals, [2, 3], { dtype: 'i32' });
    const y = transpose(x, 0, -1);
    expect(y.shape).toEqual([3, 2]);
    expect([...(await y.read())]).toEqual([vals[0], vals[3], vals[1], vals[4], vals[2], vals[5]]);
    x.dispose();
    y.dispose();
  });

  it('rejects a non-permutation', () => {
    const x = e.zeros([2, 3]);
    expect(() => permute(x, [0, 0])).toThrow(/permutation/);
    x.dispose();
  });
});

describe('slice', () => {
  const cases: [number[], { begin: number[]; end: number[]; step: number[] }][] = [
    [[7], { begin: [2], end: [7], step: [1] }],
    [[7, 257], { begin: [0, 3], end: [7, 250], step: [1, 7] }],
    [[5, 6, 7], { begin: [1, 0, 2], end: [5, 6, 7], step: [2, 5, 3] }],
    [[257], { begin: [0], end: [257], step: [256] }],
    [[4, 3], { begin: [2, 1], end: [2, 3], step: [1, 1] }], // empty along dim 0
  ];
  for (const [shape, at] of cases) {
    it(`[${shape}] begin [${at.begin}] end [${at.end}] step [${at.step}]`, async () => {
      await checkForward(e, sliceOp, [input(shape)], at, ...EXACT);
      if (size(shape) && at.begin.every((b, d) => b < at.end[d])) await checkGradient(e, sliceOp, [input(shape)], at, ...GRAD);
    });
  }

  it('follows Python slice bounds (negative from the end, clamped)', async () => {
    const n = 11;
    const data = Float32Array.from({ length: n }, (_, i) => i);
    const x = e.fromArray(data, [1, n]);
    const pick = (start: number, end: number, step: number) => {
      const s = start < 0 ? Math.max(0, start + n) : Math.min(start, n);
      const t = end < 0 ? Math.max(0, end + n) : Math.min(end, n);
      const out: number[] = [];
      for (let i = s; i < t; i += step) out.push(i);
      return out;
    };
    for (const [s, t, st] of [
      [-5, 100, 2],
      [3, -2, 3],
      [-100, 4, 1],
      [8, 3, 1],
    ]) {
      const y = slice(x, -1, s, t, st);
      expect([...(await y.read())], `${s}:${t}:${st}`).toEqual(pick(s, t, st));
      y.dispose();
    }
    const z = sliceAxes(x, [0, 1], [0, 1], [1, 10], [1, 4]);
    expect([...(await z.read())]).toEqual([1, 5, 9]);
    z.dispose();
    x.dispose();
  });
});

describe('concat', () => {
  const cases: [number[][], number][] = [
    [[[7]], 0],
    [
      [
        [2, 3, 5],
        [2, 1, 5],
        [2, 7, 5],
      ],
      1,
    ],
    [
      [
        [3, 4],
        [1, 4],
        [257, 4],
      ],
      0,
    ],
    [
      [
        [3, 2, 2],
        [3, 2, 1],
        [3, 2, 0],
        [3, 2, 7],
      ],
      -1,
    ],
    [
      [
        [3, 2, 2],
        [3, 2, 1],
        [3, 2, 7],
      ],
      -1,
    ],
    [
      [
        [1, 2, 3, 1, 2],
        [1, 2, 3, 4, 2],
      ],
      3,
    ],
  ];
  for (const [shapes, axis] of cases) {
    it(`${shapes.map((s) => `[${s}]`).join(' + ')} on axis ${axis}`, async () => {
      const xs = shapes.map((s, k) => input(s, k + 1));
      await checkForward(e, concatOp, xs, { axis }, ...EXACT);
      // The finite-difference helper cannot probe an empty input; the others are checked.
      if (shapes.every((s) => size(s) > 0)) await checkGradient(e, concatOp, xs, { axis }, ...GRAD);
    });
  }

  it('rejects mismatched shapes', () => {
    const a = e.zeros([2, 3]);
    const b = e.zeros([3, 3]);
    expect(() => concat([a, b], 1)).toThrow(/does not match/);
    a.dispose();
    b.dispose();
  });
});

describe('pad', () => {
  it('orders pads as torch.nn.functional.pad (shapes of its documentation example)', () => {
    expect(padPerDim([3, 3, 4, 2], [1, 1]).shape).toEqual([3, 3, 4, 4]);
    expect(padPerDim([3, 3, 4, 2], [1, 1, 2, 2]).shape).toEqual([3, 3, 8, 4]);
    expect(padPerDim([3, 3, 4, 2], [0, 1, 2, 1, 3, 3]).shape).toEqual([3, 9, 7, 3]);
  });

  const cases: [number[], number[], number][] = [
    [[7], [1, 2], 0],
    [[3, 4], [0, 3], 2.5],
    [[2, 3, 5], [1, 2, 0, 3, 2, 1], -1],
    [[5, 7], [-1, 2, 3, -2], 0], // negative pads crop
    [[257], [1, 0], 0],
  ];
  for (const [shape, pads, value] of cases) {
    it(`[${shape}] by [${pads}] with ${value}`, async () => {
      await checkForward(e, padOp, [input(shape)], { pads, value }, ...EXACT);
      await checkGradient(e, padOp, [input(shape)], { pads, value }, ...GRAD);
    });
  }

  it('places the values where torch does', async () => {
    const x = e.fromArray([1, 2, 3, 4], [2, 2]);
    const y = pad(x, [1, 0, 0, 1], 9);
    expect(y.shape).toEqual([3, 3]);
    expect([...(await y.read())]).toEqual([9, 1, 2, 9, 3, 4, 9, 9, 9]);
    x.dispose();
    y.dispose();
  });
});
