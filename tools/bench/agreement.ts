import type { AgreementCheck } from './types';

/** Unit roundoff of f32 with round-to-nearest. */
const F32_U = 2 ** -24;

/**
 * Higham's γ_k = k·u / (1 − k·u). Any k-term f32 dot product, summed in any order (with or
 * without fused multiply-add), lies within γ_k · Σ|a_i·b_i| of the exact value.
 */
export function gammaF32(k: number): number {
  return (k * F32_U) / (1 - k * F32_U);
}

export interface MatmulDims {
  M: number;
  K: number;
  N: number;
}

/**
 * Compares sampled rows of C = A·B (row-major) from each implementation with an f64
 * product. Each element must lie within γ_K·(|A|·|B|)_ij of it: the worst-case f32 error
 * of a K-term dot product, so any correct kernel passes and a wrong one (wrong layout,
 * missing tile) misses by orders of magnitude.
 */
export function checkMatmulRows(
  a: Float32Array,
  b: Float32Array,
  { M, K, N }: MatmulDims,
  rows: number[],
  results: Record<string, Float32Array>,
): AgreementCheck {
  const names = Object.keys(results);
  const worst = Object.fromEntries(names.map((n) => [n, 0]));
  let maxAbsC = 0;
  let maxPairDiff = 0;
  const g = gammaF32(K);
  for (const i of rows) {
    if (i < 0 || i >= M) throw new Error(`row ${i} outside 0..${M - 1}`);
    for (let j = 0; j < N; j++) {
      let exact = 0;
      let magnitude = 0;
      for (let k = 0; k < K; k++) {
        const p = a[i * K + k] * b[k * N + j];
        exact += p;
        magnitude += Math.abs(p);
      }
      const bound = g * magnitude;
      maxAbsC = Math.max(maxAbsC, Math.abs(exact));
      for (const n of names) {
        const err = Math.abs(results[n][i * N + j] - exact);
        // A NaN result makes the ratio NaN, which Math.max keeps and `<= 1` rejects.
        worst[n] = Math.max(worst[n], bound > 0 ? err / bound : err === 0 ? 0 : Infinity);
      }
      if (names.length === 2) {
        maxPairDiff = Math.max(maxPairDiff, Math.abs(results[names[0]][i * N + j] - results[names[1]][i * N + j]));
      }
    }
  }
  const ok = names.every((n) => worst[n] <= 1);
  const errs = names.map((n) => `${n} ${fmt(worst[n])}`).join(', ');
  const pair = names.length === 2 ? `; max |${names[0]} − ${names[1]}| = ${fmt(maxPairDiff)} (max |C| ${fmt(maxAbsC)})` : '';
  return {
    ok,
    detail: `${rows.length} rows vs f64, worst error / γ_K·(|A||B|) bound: ${errs}${pair}`,
  };
}

/** max|x − y| / max|y|: a difference measured against the tensor's own scale. */
export function maxNormRelDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`length ${x.length} vs ${y.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    diff = Math.max(diff, d); // NaN propagates, so a NaN result never passes
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return scale > 0 ? diff / scale : diff === 0 ? 0 : Infinity;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2);
}
