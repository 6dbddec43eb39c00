import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import { segmentMaxOp, segmentMeanOp, segmentSumOp, segmentReduce } from '../../src/tensor/ops/segment';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { rng, uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

/** Offsets for the given segment sizes, then `padding` rows that belong to no segment. */
function layout(sizes: number[], padding = 0) {
  const offsets = [0];
  for (const n of sizes) offsets.push(offsets[offsets.length - 1] + n);
  return { offsets: ref(offsets, [offsets.length], 'i32'), rows: offsets[offsets.length - 1] + padding };
}

/** Distinct values at least 1/(2n) apart in random order: no ties, so max has a unique argmax
 * and finite differences (h = 1e-6) never cross a tie. */
function distinct(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const v = Float64Array.from({ length: n }, (_, i) => -1 + (2 * i + 1) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}

const sizesOf = (count: number, seed: number, max: number) => {
  const r = rng(seed);
  return Array.from({ length: count }, () => Math.floor(r() * (max + 1)));
};

// Sequential f32 sums of n terms |x| ≤ 1: error ≤ n·2^-24·Σ|x| in the worst case, ~1e-6 for the
// sizes here; max is exact (a copy). The atol is relative to max|y| (opcheck's convention).
const OPS = [segmentSumOp, segmentMeanOp, segmentMaxOp];
const FORWARD: [string, number[], number, number][] = [
  ['one row', [1], 1, 0],
  ['1-D values', [3, 0, 5], 0, 2],
  ['empty segments and padding', [3, 0, 4, 0, 0, 3], 2, 5],
  ['odd width', sizesOf(40, 1, 30), 3, 7],
  ['wide', sizesOf(20, 2, 50), 130, 11],
  ['many segments', sizesOf(300, 3, 40), 4, 100],
  ['one long segment', [5000], 2, 0],
];

describe('segment sum / mean / max forward', () => {
  for (const op of OPS) {
    for (const [what, sizes, cols, padding] of FORWARD) {
      it(`${op.name}: ${what}`, async () => {
        const { offsets, rows } = layout(sizes, padding);
        const shape = cols === 0 ? [rows] : [rows, cols];
        const n = rows * Math.max(cols, 1);
        await checkForward(e, op, [ref(uniform(n, n + cols), shape), offsets], {}, 1e-5, 1e-6 * Math.max(1, Math.max(...sizes) / 100));
      });
    }
  }

  it('an offset that does not start at row 0 leaves the leading rows out', async () => {
    for (const op of OPS) {
      await checkForward(e, op, [ref(uniform(30, 5), [10, 3]), ref([2, 5, 5, 9], [4], 'i32')], {}, 1e-5, 1e-6);
    }
  });

  it('empty segments are exactly 0 even when every value is negative (max convention)', async () => {
    const { offsets, rows } = layout([2, 0, 3], 1);
    const x = e.fromArray(
      Float32Array.from({ length: rows * 2 }, (_, i) => -5 - i),
      [rows, 2],
    );
    const off = e.fromArray(Int32Array.from(offsets.data), offsets.shape, { dtype: 'i32' });
    for (const kind of ['sum', 'mean', 'max'] as const) {
      const y = await e.scope(() => segmentReduce(x, off, kind)).read();
      expect([y[2], y[3]], kind).toEqual([0, 0]);
      expect(y[0], kind).toBeLessThan(-4);
    }
    expect(e.gpu.takeErrors()).toEqual([]);
  });

  it('u32 offsets work like i32', async () => {
    const x = e.fromArray(Float32Array.from(uniform(12, 8)), [6, 2]);
    const a = e.fromArray([0, 2, 6], [3], { dtype: 'u32' });
    const b = e.fromArray([0, 2, 6], [3], { dtype: 'i32' });
    const [ya, yb] = await Promise.all([segmentReduce(x, a, 'sum').read(), segmentReduce(x, b, 'sum').read()]);
    expect(Array.from(ya)).toEqual(Array.from(yb));
  });

  it('is deterministic: the same inputs give bit-identical outputs', async () => {
    const { offsets, rows } = layout(sizesOf(50, 9, 200), 3);
    const x = e.fromArray(Float32Array.from(uniform(rows * 16, 4, -100, 100)), [rows, 16]);
    const off = e.fromArray(Int32Array.from(offsets.data), offsets.shape, { dtype: 'i32' });
    for (const kind of ['sum', 'mean', 'max'] as const) {
      const a = await segmentReduce(x, off, kind).read();
      const b = await segmentReduce(x, off, kind).read();
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), kind).toBe(true);
    }
  });
});

describe('segment sum / mean / max backward', () => {
  // Gathers and copies: the only f32 error is the 1/count of mean, ~1 ulp.
  const GRAD: [string, number[], number, number][] = [
    ['plain', [3, 4, 2], 3, 0],
    ['empty segments and padding rows', [0, 3, 0, 0, 4, 1, 0], 2, 3],
    ['1-D values', [2, 5, 0, 1], 0, 2],
    ['wide', sizesOf(6, 4, 6), 37, 1],
    // Hundreds of segments, some empty: the backward's binary search over offsets.
    ['many segments', sizesOf(300, 5, 12), 2, 9],
  ];
  for (const op of OPS) {
    for (const [what, sizes, cols, padding] of GRAD) {
      it(`${op.name}: ${what}`, async () => {
        const { offsets, rows } = layout(sizes, padding);
        const n = rows * Math.max(cols, 1);
        const shape = cols === 0 ? [rows] : [rows, cols];
        await checkGradient(e, op, [ref(distinct(n, n), shape), offsets], {}, 1e-4, 1e-5, 600);
      });
    }
  }

  it('padding rows and rows outside every segment get exactly zero gradient', async () => {
    const { offsets, rows } = layout([0, 3, 0, 2], 4);
    for (const kind of ['sum', 'mean', 'max'] as const) {
      const x = e.fromArray(Float32Array.from(distinct(rows * 3, 2)), [rows, 3], { requiresGrad: true });
      const off = e.fromArray(Int32Array.from(offsets.data), offsets.shape, { dtype: 'i32' });
      const tape = e.beginTape();
      let g: Float32Array;
      try {
        const y = segmentReduce(x, off, kind);
        tape.backward(y, e.full(y.shape, 1));
        g = await x.grad!.read();
      } finally {
        e.endTape();
      }
      expect(Array.from(g.subarray(5 * 3)), kind).toEqual(new Array(4 * 3).fill(0));
      // With dy = 1, each column of a segment of n rows receives n (sum), 1 (mean: n·1/n) or
      // 1 (max: all of it at the argmax row) in total.
      for (const [start, end] of [
        [0, 3],
        [3, 5],
      ]) {
        for (let c = 0; c < 3; c++) {
          let total = 0;
          for (let r = start; r < end; r++) total += g[r * 3 + c];
          expect(total, `${kind} rows ${start}..${end} column ${c}`).toBeCloseTo(kind === 'sum' ? end - start : 1, 5);
        }
      }
    }
    expect(e.gpu.takeErrors()).toEqual([]);
  });
});
