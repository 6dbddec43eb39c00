import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/tensor/engine';
import { attention4d, attention4dOp, attentionProbsOp } from '../../src/tensor/ops/attention4d';
import { mergeHeadsOp, narrowRowsOp, splitHeadsOp } from '../../src/tensor/ops/attentionHeads';
import { attention4dRef } from '../../src/tensor/reference/attention4d';
import type { Attention4dAttrs } from '../../src/tensor/reference/attention4d';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, expectClose, ref, type OpInput } from '../helpers/opcheck';
import { rng, uniform } from '../helpers/random';

// Forward: the scores are f32 dot products of D ≤ 16 terms of size ≤ 2 (error ≲ D·2^-24·|q||k|
// ≈ 2e-6 worst case, ~1e-7 typical), exp/divide add a few ulp, and P·V is a convex
// combination of values ≤ 1. Measured worst errors are ~1.5e-7 of max(1, |out|); the
// tolerances (1e-5 relative, 2e-6 absolute) leave more than 10× margin yet catch any wrong
// mask, scale or index (those move outputs by ≥ 1e-3).
const RTOL = 1e-5;
const ATOL_REL = 2e-6;
// Backward against f64 central differences: dS = P⊙(dP − ΣP dP) subtracts sums of size ~1,
// so small entries carry f32 cancellation of ~1e-7 absolute; measured worst ~3e-6 relative
// on entries of 1e-2. 1e-4 relative with a floor of 1e-5·max|grad| leaves > 10× margin.
const G_RTOL = 1e-4;
const G_ATOL_REL = 1e-5;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

/** q [B,H,T,D] in [-2, 2] (peaked softmax rows), k and v in [-1, 1]. */
function qkv(B: number, H: number, T: number, S: number, D: number, seed: number, Dv = D): OpInput[] {
  return [
    ref(uniform(B * H * T * D, seed, -2, 2), [B, H, T, D]),
    ref(uniform(B * H * S * D, seed + 1), [B, H, S, D]),
    ref(uniform(B * H * S * Dv, seed + 2), [B, H, S, Dv]),
  ];
}

/** Key mask [B, S] with about a third of the keys masked, key 0 always kept. */
function keyMask(B: number, S: number, seed: number, dtype: 'f32' | 'i32' = 'i32'): OpInput {
  const r = rng(seed);
  return ref(
    Array.from({ length: B * S }, (_, i) => (i % S === 0 || r() > 0.33 ? 1 : 0)),
    [B, S],
    dtype,
  );
}

describe('attention4d forward', () => {
  const sizes: [number, number, number, number, number][] = [
    // B, H, T, S, D
    [1, 1, 1, 1, 5],
    [2, 3, 7, 7, 5],
    [2, 3, 7, 33, 16],
    [1, 2, 33, 7, 16],
    [2, 1, 33, 33, 5],
    [1, 2, 7, 130, 16],
    [1, 2, 257, 300, 16],
  ];
  for (const [B, H, T, S, D] of sizes) {
    it(`B${B} H${H} T${T} S${S} D${D}, no mask`, async () => {
      await checkForward(e, attention4dOp, qkv(B, H, T, S, D, T + S + D), {}, RTOL, ATOL_REL);
    });
    it(`B${B} H${H} T${T} S${S} D${D}, key mask and additive [T, S] mask`, async () => {
      const add = ref(uniform(T * S, 5, -1, 1), [T, S]);
      await checkForward(
        e,
        attention4dOp,
        [...qkv(B, H, T, S, D, 7), keyMask(B, S, 3), add],
        { keyMask: true, addMask: true },
        RTOL,
        ATOL_REL,
      );
    });
  }
  it('Dv ≠ D and a custom scale', async () => {
    await checkForward(e, attention4dOp, qkv(2, 2, 7, 33, 5, 11, 9), { scale: 0.7 }, RTOL, ATOL_REL);
  });
  it('additive masks broadcast as [B, 1, T, S], [1, H, T, S] and [B·H, T, S], with -inf entries', async () => {
    const [B, H, T, S, D] = [2, 3, 7, 33, 5];
    const r = rng(8);
    const withInf = (n: number) => Array.from({ length: n }, () => (r() < 0.2 ? -Infinity : 2 * r() - 1));
    for (const shape of [
      [B, 1, T, S],
      [1, H, T, S],
      [B * H, T, S],
      [B, H, T, S],
    ]) {
      const n = shape.reduce((a, b) => a * b, 1);
      await checkForward(e, attention4dOp, [...qkv(B, H, T, S, D, 9), ref(withInf(n), shape)], { addMask: true }, RTOL, ATOL_REL);
    }
  });
  it('a fully masked row gives zeros, not NaN (torch gives NaN)', async () => {
    const [B, H, T, S, D] = [2, 2, 7, 7, 5];
    // Batch 1 has every key masked; in batch 0, query 3 has every key at -inf.
    const km = ref(
      Array.from({ length: B * S }, (_, i) => (i < S ? 1 : 0)),
      [B, S],
      'i32',
    );
    const add = new Float64Array(T * S);
    add.fill(-Infinity, 3 * S, 4 * S);
    const inputs = [...qkv(B, H, T, S, D, 21), km, ref(add, [T, S])];
    const at: Attention4dAttrs = { keyMask: true, addMask: true };
    await checkForward(e, attention4dOp, inputs, at, RTOL, ATOL_REL);
    const expected = attention4dRef(inputs[0], inputs[1], inputs[2], [inputs[3], inputs[4]], at).data;
    const D0 = T * D;
    for (let h = 0; h < H; h++) {
      expect(Array.from(expected.subarray((H + h) * D0, (H + h + 1) * D0)).every((x) => x === 0)).toBe(true);
      expect(Array.from(expected.subarray(h * D0 + 3 * D, h * D0 + 4 * D)).every((x) => x === 0)).toBe(true);
    }
    await checkGradient(e, attention4dOp, inputs, at, G_RTOL, G_ATOL_REL);
  });
  it("u32, i32 and f32 key masks agree, and keyMaskPads reads the mask as torch's padding mask", async () => {
    const [B, H, T, S, D] = [2, 2, 7, 33, 16];
    const [q, k, v] = qkv(B, H, T, S, D, 31).map((x) => e.fromArray(Float32Array.from(x.data), x.shape));
    const m = keyMask(B, S, 4).data;
    const keep = e.fromArray(Uint32Array.from(m), [B, S], { dtype: 'u32' });
    const outs = [
      attention4d(q, k, v, { keyMask: keep }),
      attention4d(q, k, v, { keyMask: e.fromArray(Int32Array.from(m), [B, S], { dtype: 'i32' }) }),
      attention4d(q, k, v, { keyMask: e.fromArray(Float32Array.from(m), [B, S]) }),
      attention4d(q, k, v, {
        keyMask: e.fromArray(
          Float32Array.from(m, (x) => 1 - x),
          [B, S],
        ),
        keyMaskPads: true,
      }),
      attention4d(q, k, v, {
        keyMask: e.fromArray(
          Uint32Array.from(m, (x) => (x ? 0 : 7)),
          [B, S],
          { dtype: 'u32' },
        ),
        keyMaskPads: true,
      }),
    ];
    const got = await Promise.all(outs.map((t) => t.read()));
    const expected = attention4dRef(
      { data: Float64Array.from(await q.read()), shape: [B, H, T, D] },
      { data: Float64Array.from(await k.read()), shape: [B, H, S, D] },
      { data: Float64Array.from(await v.read()), shape: [B, H, S, D] },
      [{ data: m, shape: [B, S] }],
      { keyMask: true },
    ).data;
    expectClose(got[0], expected, RTOL, ATOL_REL, 'u32 mask');
    // Same kernel, same arithmetic: only the mask decoding differs, so results are bitwise equal.
    for (let i = 1; i < got.length; i++) expect(Array.from(got[i]), `variant ${i}`).toEqual(Array.from(got[0]));
    for (const t of [q, k, v, keep, ...outs]) t.dispose();
    expect(e.gpu.takeErrors()).toEqual([]);
  });
});

describe('attention4d backward (central differences of the f64 reference)', () => {
  const sizes: [number, number, number, number, number][] = [
    [1, 1, 1, 1, 5],
    [2, 3, 7, 7, 5],
    [1, 2, 7, 33, 16],
    [2, 1, 33, 7, 5],
    [1, 1, 7, 130, 16],
  ];
  for (const [B, H, T, S, D] of sizes) {
    it(`B${B} H${H} T${T} S${S} D${D}`, async () => {
      await checkGradient(e, attention4dOp, qkv(B, H, T, S, D, 40 + T), {}, G_RTOL, G_ATOL_REL);
    });
    it(`B${B} H${H} T${T} S${S} D${D} with key and [B, H, T, S] additive masks`, async () => {
      const add = ref(uniform(B * H * T * S, 6), [B, H, T, S]);
      await checkGradient(
        e,
        attention4dOp,
        [...qkv(B, H, T, S, D, 50 + S), keyMask(B, S, 9, 'f32'), add],
        { keyMask: true, addMask: true, scale: 0.6 },
        G_RTOL,
        G_ATOL_REL,
      );
    });
  }
  it('Dv ≠ D', async () => {
    await checkGradient(e, attention4dOp, qkv(2, 2, 7, 33, 5, 61, 9), {}, G_RTOL, G_ATOL_REL);
  });
  it('a long query axis (T 600: dK and dV take the split-K matmul path)', async () => {
    await checkGradient(e, attention4dOp, qkv(1, 1, 600, 7, 5, 62), {}, G_RTOL, G_ATOL_REL);
  });
});

describe('attentionProbs', () => {
  for (const [B, H, T, S, D] of [
    [1, 1, 1, 1, 5],
    [2, 3, 7, 33, 16],
    [1, 2, 33, 130, 5],
  ] as [number, number, number, number, number][]) {
    it(`forward and backward B${B} H${H} T${T} S${S} D${D} with a key mask`, async () => {
      const inputs = [...qkv(B, H, T, S, D, 70).slice(0, 2), keyMask(B, S, 2)];
      await checkForward(e, attentionProbsOp, inputs, { keyMask: true }, RTOL, ATOL_REL);
      await checkGradient(e, attentionProbsOp, inputs, { keyMask: true }, G_RTOL, G_ATOL_REL);
    });
  }
});

/** f32-representable values, so data movement can be checked for exact equality. */
const f32s = (n: number, seed: number) => Float64Array.from(uniform(n, seed), Math.fround);

describe('head layout moves', () => {
  // Pure data movement: results must be exact.
  for (const [B, T, H, D] of [
    [1, 1, 1, 5],
    [2, 7, 3, 5],
    [3, 33, 4, 16],
  ]) {
    for (const seqFirst of [false, true]) {
      const tokens = seqFirst ? [T, B, H * D] : [B, T, H * D];
      it(`split/merge B${B} T${T} H${H} D${D} seqFirst=${seqFirst}`, async () => {
        const n = B * T * H * D;
        await checkForward(e, splitHeadsOp, [ref(f32s(n, n), tokens)], { heads: H, seqFirst }, 0, 0);
        await checkForward(e, mergeHeadsOp, [ref(f32s(n, n + 1), [B, H, T, D])], { heads: H, seqFirst }, 0, 0);
        await checkGradient(e, splitHeadsOp, [ref(f32s(n, 2), tokens)], { heads: H, seqFirst }, 1e-6, 1e-7);
        await checkGradient(e, mergeHeadsOp, [ref(f32s(n, 3), [B, H, T, D])], { heads: H, seqFirst }, 1e-6, 1e-7);
      });
    }
  }
  it('narrowRows takes rows of axis 0 of 1-D and 2-D tensors; its gradient is zero elsewhere', async () => {
    await checkForward(e, narrowRowsOp, [ref(f32s(48, 1), [48])], { start: 16, length: 16 }, 0, 0);
    await checkForward(e, narrowRowsOp, [ref(f32s(21 * 7, 1), [21, 7])], { start: 14, length: 7 }, 0, 0);
    await checkGradient(e, narrowRowsOp, [ref(f32s(21 * 7, 2), [21, 7])], { start: 7, length: 7 }, 1e-6, 1e-7, 200);
  });
});
