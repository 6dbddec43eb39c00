import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import { assignmentAccuracy, assignmentNllOp } from '../../src/tensor/ops/assignment';
import { attentionOp } from '../../src/tensor/ops/attention';
import { layerNormOp } from '../../src/tensor/ops/layernorm';
import { sliceRowsOp } from '../../src/tensor/ops/rows';
import { maskedSoftmaxOp, LOG_ZERO, type MaskedSoftmaxAttrs } from '../../src/tensor/ops/softmax';
import type { Tensor } from '../../src/tensor/tensor';
import { batchedRowDotOp, symmetrizeOp, tripletContractionOp } from '../../src/tensor/ops/symmetric';
import { assignmentAccuracyRef } from '../../src/tensor/reference/assignment';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, expectClose, ref, type OpInput } from '../helpers/opcheck';
import { rng, uniform } from '../helpers/random';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

// 0/1 masks: the ops accept i32 as well as u32 (same bits), and opcheck uploads i32.
const u32 = (data: number[], shape: number[]): OpInput => ref(data, shape, 'i32');

/**
 * Log-softmax gives LOG_ZERO (-1e30) at masked entries. The generic checks scale their
 * tolerance by the largest |output| and difference a loss that contains those constants,
 * so the log variant is checked here: masked entries exactly, the others against the f64
 * reference, and the gradient of L = Σ_valid y·s against central differences.
 */
async function checkLogSoftmax(x: OpInput, mask: OpInput, at: MaskedSoftmaxAttrs, rtol: number, gradTol: number) {
  const refs = (xs: OpInput[]) => xs.map((v) => ({ data: Float64Array.from(v.data), shape: [...v.shape] }));
  const want = maskedSoftmaxOp.reference(refs([x, mask]), at).data;
  const seed = uniform(want.length, 99, 0.5, 1.5).map((v, i) => (want[i] === LOG_ZERO ? 0 : v));
  const xt = e.fromArray(Float32Array.from(x.data), x.shape, { requiresGrad: true });
  const mt = e.fromArray(Int32Array.from(mask.data), mask.shape, { dtype: 'i32' });
  const tape = e.beginTape();
  let got: Float32Array;
  let grad: Float32Array;
  try {
    const y = e.apply(maskedSoftmaxOp, [xt, mt], at);
    got = (await y.read()) as Float32Array;
    const g = tape.backward(y, e.fromArray(Float32Array.from(seed), y.shape) as Tensor<'f32'>);
    grad = await g.get(xt)!.read();
  } finally {
    e.endTape();
  }
  expect(e.gpu.takeErrors()).toEqual([]);
  const masked = [...want.keys()].filter((i) => want[i] === LOG_ZERO);
  expect(masked.map((i) => got[i])).toEqual(masked.map(() => Math.fround(LOG_ZERO)));
  const live = [...want.keys()].filter((i) => want[i] !== LOG_ZERO);
  expectClose(
    live.map((i) => got[i]),
    live.map((i) => want[i]),
    rtol,
    1e-6,
    'log-softmax forward',
  );
  const loss = (xd: Float64Array) => {
    const y = maskedSoftmaxOp.reference([{ data: xd, shape: x.shape }, refs([mask])[0]], at).data;
    let s = 0;
    for (const i of live) s += y[i] * seed[i];
    return s;
  };
  const fd = Array.from(x.data, (v, i) => {
    const xd = Float64Array.from(x.data);
    xd[i] = v + 1e-6;
    const up = loss(xd);
    xd[i] = v - 1e-6;
    return (up - loss(xd)) / 2e-6;
  });
  expectClose(grad, fd, gradTol, gradTol * Math.max(...fd.map(Math.abs)), 'log-softmax gradient');
}

function masks(r: () => number, rows: number, cols: number, pValid: number, keepFirst = true): number[] {
  return Array.from({ length: rows * cols }, (_, i) => ((keepFirst && i % cols === 0) || r() < pValid ? 1 : 0));
}

describe('masked softmax', () => {
  // exp/log in f32 with max subtraction: a few ulp per entry; sums over ≤ 1000 entries add
  // ~1e-6 relative. 2e-5 leaves margin without hiding an indexing error (those are O(1)).
  const RTOL = 2e-5;
  it.each([[false], [true]])('explicit mask, log=%s, forward and gradient', async (log) => {
    const r = rng(3);
    const R = 12,
      C = 7;
    const x = ref(uniform(R * C, 1, -3, 3), [R, C]);
    const m = u32(masks(r, R / 3, C, 0.6), [R / 3, C]);
    m.data[C] = 0; // one mask row that hides everything: output must be 0 / LOG_ZERO, not NaN
    for (let c = 0; c < C; c++) m.data[C + c] = 0;
    const at = { log, mode: 'mask' as const, rowsPerMask: 3 };
    if (log) {
      await checkLogSoftmax(x, m, at, RTOL, 1e-3);
    } else {
      await checkForward(e, maskedSoftmaxOp, [x, m], at, RTOL, 1e-6);
      await checkGradient(e, maskedSoftmaxOp, [x, m], at, 1e-3, 1e-4);
    }
  });
  it('long rows (several chunks per thread)', async () => {
    const r = rng(5);
    const R = 3,
      C = 1000;
    await checkForward(
      e,
      maskedSoftmaxOp,
      [ref(uniform(R * C, 2, -5, 5), [R, C]), u32(masks(r, R, C, 0.5), [R, C])],
      { log: false, mode: 'mask', rowsPerMask: 1 },
      RTOL,
      1e-6,
    );
  });
  it.each([[1], [2], [3]])('assignment space k=%i: padded and repeated jets are excluded', async (k) => {
    const N = 5,
      B = 3;
    const jm = u32([1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [B, N]);
    const x = ref(uniform(B * N ** k, 7 + k, -2, 2), [B, N ** k]);
    const at = { log: true, mode: 'assignment' as const, k };
    await checkLogSoftmax(x, jm, at, RTOL, 1e-3);
    // Event 0: jets 0-3 real. Valid tuples = ordered choices of k distinct real jets.
    const want = maskedSoftmaxOp.reference(
      [
        { data: x.data, shape: x.shape },
        { data: jm.data, shape: jm.shape },
      ],
      at,
    ).data;
    const valid = Array.from(want.subarray(0, N ** k)).filter((v) => v !== LOG_ZERO).length;
    expect(valid).toBe([4, 12, 24][k - 1]);
  });
});

describe('layer norm', () => {
  // Two-pass mean/variance in f32 over W ≤ 48 entries: ~1e-6 relative; gradient 1e-4.
  it('forward and gradient', async () => {
    const R = 9,
      W = 48;
    const inputs = [ref(uniform(R * W, 1, -2, 3), [R, W]), ref(uniform(W, 2, 0.5, 1.5), [W]), ref(uniform(W, 3), [W])];
    await checkForward(e, layerNormOp, inputs, { eps: 1e-5 }, 1e-5, 1e-5);
    await checkGradient(e, layerNormOp, inputs, { eps: 1e-5 }, 1e-3, 1e-4);
  });
});

describe('masked multi-head attention', () => {
  // Dot products of length dh ≤ 8 and softmax over ≤ 6 keys in f32: ~1e-6 relative.
  it.each([[1], [2]])('forward and gradient, %i heads', async (heads) => {
    const B = 3,
      N = 4,
      W = 8;
    const rows = B * N + B;
    const qkv = ref(uniform(rows * 3 * W, 11 + heads, -1.5, 1.5), [rows, 3 * W]);
    // event 2 has no jets at all: only its event token attends
    const mask = u32([1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1], [B, N + 1]);
    const at = { B, N, heads };
    await checkForward(e, attentionOp, [qkv, mask], at, 1e-5, 1e-5);
    await checkGradient(e, attentionOp, [qkv, mask], at, 1e-3, 1e-4, 96);
  });
});

describe('symmetric tensor attention', () => {
  it('symmetrize: pair and triplet groups, forward and gradient', async () => {
    for (const [k, perms] of [
      [
        2,
        [
          [0, 1],
          [1, 0],
        ],
      ],
      [
        3,
        [
          [0, 1, 2],
          [1, 0, 2],
        ],
      ],
      [
        3,
        [
          [0, 1, 2],
          [1, 2, 0],
          [2, 0, 1],
        ],
      ],
    ] as [number, number[][]][]) {
      const D = 4;
      const w = ref(uniform(D ** k, k + perms.length), Array(k).fill(D));
      await checkForward(e, symmetrizeOp, [w], { k, perms }, 1e-6, 1e-6);
      await checkGradient(e, symmetrizeOp, [w], { k, perms }, 1e-4, 1e-5);
    }
  });
  // Sums of D = 4 products in f32: ~1e-7 relative to the largest score.
  it('triplet contraction: forward and gradient', async () => {
    const B = 2,
      N = 4,
      D = 3;
    const inputs = [ref(uniform(B * N * D * N, 21), [B, N, D, N]), ref(uniform(B * N * D, 22), [B, N, D])];
    await checkForward(e, tripletContractionOp, inputs, {}, 1e-5, 1e-5);
    await checkGradient(e, tripletContractionOp, inputs, {}, 1e-3, 1e-4, 64);
  });
});

describe('batched row dot (jet-by-jet contraction)', () => {
  // Sums of D = 5 products in f32: ~1e-7 relative.
  it('forward and gradient', async () => {
    const inputs = [ref(uniform(2 * 7 * 5, 41), [2, 7, 5]), ref(uniform(2 * 4 * 5, 42), [2, 4, 5])];
    await checkForward(e, batchedRowDotOp, inputs, {}, 1e-5, 1e-5);
    await checkGradient(e, batchedRowDotOp, inputs, {}, 1e-3, 1e-4);
  });
});

describe('slice rows', () => {
  it('copies a row range and scatters the gradient back', async () => {
    const x = ref(uniform(10 * 3, 5), [10, 3]);
    // an exact copy of f32 values: the only difference to the f64 input is f32 rounding (2^-24)
    await checkForward(e, sliceRowsOp, [x], { start: 4, count: 5 }, 1e-7, 0);
    await checkGradient(e, sliceRowsOp, [x], { start: 4, count: 5 }, 1e-5, 1e-6);
  });
});

describe('assignment loss over the event permutation group', () => {
  const B = 6,
    P = 2,
    G = 2;
  // particle 0: pairs over N=3 (S=9), particle 1: singlets over N=3 (S=3)
  function inputs() {
    const r = rng(17);
    const t: number[] = [];
    for (let g = 0; g < G; g++)
      for (let b = 0; b < B; b++)
        for (let p = 0; p < P; p++) {
          const S = p === 0 ? 9 : 3;
          t.push(b === 5 ? -1 : b === 4 && p === 1 ? -1 : Math.floor(r() * S));
        }
    return [ref(t, [G, B, P], 'i32'), ref(uniform(B * 9, 31, -4, 0), [B, 9]), ref(uniform(B * 3, 32, -4, 0), [B, 3])];
  }
  it('forward and gradient (events fully or partly masked)', async () => {
    const at = { B, P, G };
    await checkForward(e, assignmentNllOp, inputs(), at, 1e-5, 1e-6);
    await checkGradient(e, assignmentNllOp, inputs(), at, 1e-4, 1e-5);
  });
  it('batch accuracy metric matches its reference', async () => {
    const xs = inputs();
    // make some targets the row maximum so the accuracy is neither 0 nor 1
    for (let b = 0; b < 3; b++) xs[1].data[b * 9 + xs[0].data[b * P]] = 1;
    const at = { B, P, G };
    const acc = e.scope(() =>
      assignmentAccuracy(
        e,
        e.fromArray(Int32Array.from(xs[0].data), xs[0].shape, { dtype: 'i32' }),
        [e.fromArray(Float32Array.from(xs[1].data), xs[1].shape), e.fromArray(Float32Array.from(xs[2].data), xs[2].shape)],
        at,
      ),
    );
    const got = await acc.item();
    acc.dispose();
    const want = assignmentAccuracyRef(
      xs.map((x) => ({ data: x.data, shape: x.shape })),
      at,
    );
    expect(want).toBeGreaterThan(0);
    expect(want).toBeLessThan(1);
    expect(got).toBeCloseTo(want, 6);
  });
});
