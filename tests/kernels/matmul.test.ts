import { beforeAll, describe, expect, it } from 'vitest';
import { matmulOp, type MatmulAttrs } from '../../src/tensor/ops/matmul';
import { matmulSplits } from '../../src/tensor/kernels';
import type { Engine } from '../../src/tensor/engine';
import { testEngine } from '../helpers/engine';
import { checkForward, checkGradient, ref } from '../helpers/opcheck';
import { uniform } from '../helpers/random';

// A dot product of length K in f32 with fma accumulates relative error ~K·2^-24 in the
// worst case; for K ≤ 300 and inputs in [-1, 1] that is < 2e-5 of the largest |C|.
const RTOL = 1e-4;
const ATOL_REL = 2e-5;

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});

function operands(M: number, N: number, K: number, at: MatmulAttrs, batch = 0, seed = 1) {
  const a = at.transA ? [K, M] : [M, K];
  const b = at.transB ? [N, K] : [K, N];
  const lead = batch ? [batch] : [];
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1) * (batch || 1);
  return [
    ref(uniform(size(a), seed), [...lead, ...a]),
    ref(uniform(size(b), seed + 1), [...lead, ...b]),
  ];
}

describe('matmul forward', () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [7, 7, 7], [1, 257, 3], [65, 1, 129], [257, 63, 70], [64, 64, 64]];
  for (const [M, N, K] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`M${M} N${N} K${K} tA=${transA} tB=${transB}`, async () => {
          const at = { transA, transB };
          await checkForward(e, matmulOp, operands(M, N, K, at), at, RTOL, ATOL_REL);
        });
      }
    }
  }
  for (const activation of ['relu', 'gelu', 'sigmoid', 'tanh'] as const) {
    it(`fused bias + ${activation}, M130 N67 K33`, async () => {
      const at = { activation };
      await checkForward(e, matmulOp, [...operands(130, 67, 33, at), ref(uniform(67, 7), [67])], at, RTOL, ATOL_REL);
    });
  }
  // Few output tiles and a long K take the split-K path (partial products + reduction).
  for (const [M, N, K, tA] of [[7, 5, 1000, true], [70, 65, 2049, true], [3, 130, 777, false]] as [number, number, number, boolean][]) {
    it(`split-K M${M} N${N} K${K} tA=${tA}`, async () => {
      const at = { transA: tA };
      expect(matmulSplits({ M, N, K, batch: 1, transA: tA, transB: false, strideA: 0, strideB: 0, act: 'none' })).toBeGreaterThan(1);
      // K up to 2049 terms: f32 error grows ~sqrt(K)·2^-24 relative to Σ|a·b| ≈ K/4.
      await checkForward(e, matmulOp, operands(M, N, K, at), at, RTOL, 1e-4);
    });
  }
  it('split-K batched', async () => {
    expect(matmulSplits({ M: 9, N: 11, K: 600, batch: 2, transA: false, transB: false, strideA: 1, strideB: 1, act: 'none' })).toBeGreaterThan(1);
    await checkForward(e, matmulOp, operands(9, 11, 600, {}, 2), {}, RTOL, 1e-4);
  });
  it('batched [3, 17, 9]·[3, 9, 70]ᵀ', async () => {
    const at = { transB: true };
    await checkForward(e, matmulOp, operands(17, 70, 9, at, 3), at, RTOL, ATOL_REL);
  });
});

describe('matmul backward vs finite differences', () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      it(`tA=${transA} tB=${transB} M7 N5 K9`, async () => {
        const at = { transA, transB };
        await checkGradient(e, matmulOp, operands(7, 5, 9, at), at, 1e-3, 1e-4);
      });
    }
  }
  for (const activation of ['relu', 'gelu', 'sigmoid', 'tanh'] as const) {
    it(`bias + ${activation}`, async () => {
      const at = { activation, transB: true };
      await checkGradient(e, matmulOp, [...operands(9, 6, 5, at, 0, 3), ref(uniform(6, 4), [6])], at, 1e-3, 1e-4);
    });
  }
  it('batched', async () => {
    const at = { transA: true };
    await checkGradient(e, matmulOp, operands(5, 4, 3, at, 2, 8), at, 1e-3, 1e-4);
  });
});
