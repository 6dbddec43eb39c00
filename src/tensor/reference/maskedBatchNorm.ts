/**
 * f64 references of upstream SPANet's MaskedBatchNorm (spanet/network/layers/linear_block/
 * normalizations.py at 46c6805) in train mode: batch statistics over the vectors whose mask is
 * set (unbiased variance, as torch's Tensor.var), the running-statistics update, and the
 * normalisation with those statistics held constant (upstream detaches them).
 */

/** x [N, D] row-major, mask [N] (non-zero = real vector) → per-feature mean and unbiased variance. */
export function maskedBatchStatsRef(x: ArrayLike<number>, mask: ArrayLike<number>, D: number): { mean: Float64Array; var: Float64Array } {
  const N = mask.length;
  let n = 0;
  const mean = new Float64Array(D);
  const v = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    if (!mask[i]) continue;
    n++;
    for (let d = 0; d < D; d++) mean[d] += x[i * D + d];
  }
  for (let d = 0; d < D; d++) mean[d] /= n;
  for (let i = 0; i < N; i++) {
    if (!mask[i]) continue;
    for (let d = 0; d < D; d++) v[d] += (x[i * D + d] - mean[d]) ** 2;
  }
  for (let d = 0; d < D; d++) v[d] /= n - 1;
  return { mean, var: v };
}

/** ((x − mean) / √(var + eps) · weight + bias) · mask, per row of x [N, D]. */
export function maskedBatchNormApplyRef(
  x: ArrayLike<number>,
  mask: ArrayLike<number>,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  eps: number,
): Float64Array {
  const D = mean.length;
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const d = i % D;
    const m = mask[Math.floor(i / D)] ? 1 : 0;
    y[i] = (((x[i] - mean[d]) / Math.sqrt(variance[d] + eps)) * weight[d] + bias[d]) * m;
  }
  return y;
}

/**
 * The running statistics after one train-mode batch: replaced by the batch's when no batch
 * was tracked yet (count 0), else (1 − momentum)·running + momentum·batch; count + 1.
 */
export function maskedRunningUpdateRef(
  runMean: ArrayLike<number>,
  runVar: ArrayLike<number>,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  count: number,
  momentum: number,
): { mean: Float64Array; var: Float64Array; count: number } {
  const mix = (r: ArrayLike<number>, b: ArrayLike<number>) =>
    Float64Array.from(b, (v, i) => (count === 0 ? v : (1 - momentum) * r[i] + momentum * v));
  return { mean: mix(runMean, mean), var: mix(runVar, variance), count: count + 1 };
}
