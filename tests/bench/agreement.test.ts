import { describe, expect, it } from 'vitest';
import { checkMatmulRows, gammaF32, maxNormRelDiff } from '../../tools/bench/agreement';
import { uniformF32 } from '../../tools/bench/inputs';

/** C = A·B accumulated in f32 (Math.fround after every operation), row-major. */
function f32Matmul(a: Float32Array, b: Float32Array, M: number, K: number, N: number): Float32Array {
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = Math.fround(s + Math.fround(a[i * K + k] * b[k * N + j]));
      c[i * N + j] = s;
    }
  }
  return c;
}

describe('bench agreement checks', () => {
  const [M, K, N] = [8, 96, 12];
  const a = uniformF32(M * K, 1);
  const b = uniformF32(K * N, 2);
  const rows = [0, 3, 7];

  it('accepts f32 products summed in different orders', () => {
    const forward = f32Matmul(a, b, M, K, N);
    // The same product with k reversed: a different rounding sequence.
    const rev = (x: Float32Array, rowsX: number, colsX: number, byRow: boolean) =>
      Float32Array.from(x, (_, idx) => {
        const r = Math.floor(idx / colsX),
          c = idx % colsX;
        return byRow ? x[(rowsX - 1 - r) * colsX + c] : x[r * colsX + (colsX - 1 - c)];
      });
    const backward = f32Matmul(rev(a, M, K, false), rev(b, K, N, true), M, K, N);
    const check = checkMatmulRows(a, b, { M, K, N }, rows, { ours: forward, tfjs: backward });
    expect(check.ok, check.detail).toBe(true);
  });

  it('rejects a product with B transposed, one wrong element, or a NaN', () => {
    const good = f32Matmul(a, b, M, K, N);
    // Bᵀ stored [N, K] but read as [K, N]: the layout mistake a kernel can make.
    const bT = Float32Array.from({ length: K * N }, (_, idx) => b[(idx % K) * N + Math.floor(idx / K)]);
    const transposed = f32Matmul(a, bT, M, K, N);
    expect(checkMatmulRows(a, b, { M, K, N }, rows, { ours: transposed }).ok).toBe(false);

    const nudged = good.slice();
    // One element off by 1e-3 of |C|: far outside γ_96 ≈ 5.7e-6 relative to Σ|ab|.
    nudged[3 * N + 5] += 1e-3 * Math.max(...good.map(Math.abs));
    expect(checkMatmulRows(a, b, { M, K, N }, rows, { ours: nudged }).ok).toBe(false);

    const withNaN = good.slice();
    withNaN[7 * N] = NaN;
    expect(checkMatmulRows(a, b, { M, K, N }, rows, { ours: withNaN }).ok).toBe(false);
  });

  it('γ_k and max-norm differences', () => {
    expect(gammaF32(1024)).toBeCloseTo((1024 * 2 ** -24) / (1 - 1024 * 2 ** -24), 15);
    expect(maxNormRelDiff([1, -4, 2], [1, -4, 2])).toBe(0);
    expect(maxNormRelDiff([1, -4, 2.5], [1, -4, 2])).toBeCloseTo(0.5 / 4, 12);
    expect(maxNormRelDiff([NaN, 0], [1, 0])).toBeNaN();
  });
});
