import type { RefTensor } from '../registry';

/** y = (x - mean) / sqrt(var + eps) * gamma + beta over the last axis, in f64. */
export function layerNormRef(x: RefTensor, gamma: RefTensor, beta: RefTensor, eps: number): RefTensor {
  const W = gamma.data.length;
  const R = x.data.length / W;
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < R; r++) {
    const row = x.data.subarray(r * W, r * W + W);
    let m = 0;
    for (const v of row) m += v;
    m /= W;
    let v2 = 0;
    for (const v of row) v2 += (v - m) ** 2;
    const rstd = 1 / Math.sqrt(v2 / W + eps);
    for (let c = 0; c < W; c++) out[r * W + c] = (row[c] - m) * rstd * gamma.data[c] + beta.data[c];
  }
  return { data: out, shape: [...x.shape] };
}
