import type { RefTensor } from '../registry';

/** Instance norm in f64: x [N, C, H, W], γ [C], β [C]; biased variance, as in the kernel. */
export function instanceNormRef(x: RefTensor, gamma: RefTensor, beta: RefTensor, eps: number): RefTensor {
  const [N, C, H, W] = x.shape;
  const hw = H * W;
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < N * C; r++) {
    const c = r % C;
    const row = x.data.subarray(r * hw, (r + 1) * hw);
    let mean = 0;
    for (const v of row) mean += v;
    mean /= hw;
    let variance = 0;
    for (const v of row) variance += (v - mean) ** 2;
    variance /= hw;
    const rstd = 1 / Math.sqrt(variance + eps);
    for (let j = 0; j < hw; j++) out[r * hw + j] = gamma.data[c] * (row[j] - mean) * rstd + beta.data[c];
  }
  return { data: out, shape: [...x.shape] };
}
