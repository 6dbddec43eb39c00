import type { RefTensor } from '../registry';

/** [N, C, L] view of an [N, C, ...] shape (L = 1 for [N, C]). */
export function batchNormDims(shape: readonly number[]): { N: number; C: number; L: number } {
  if (shape.length < 2) throw new Error(`batchNorm: need x [N, C, ...], got [${shape}]`);
  const [N, C] = shape;
  return { N, C, L: shape.slice(2).reduce((a, b) => a * b, 1) };
}

/** Per-channel batch mean, biased and unbiased variance of x [N, C, ...]. */
export function batchMoments(x: RefTensor): { mean: Float64Array; biased: Float64Array; unbiased: Float64Array } {
  const { N, C, L } = batchNormDims(x.shape);
  const m = N * L;
  const mean = new Float64Array(C);
  const biased = new Float64Array(C);
  const unbiased = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let j = 0; j < L; j++) s += x.data[(n * C + c) * L + j];
    const mu = s / m;
    let ss = 0;
    for (let n = 0; n < N; n++) for (let j = 0; j < L; j++) ss += (x.data[(n * C + c) * L + j] - mu) ** 2;
    mean[c] = mu;
    biased[c] = ss / m;
    unbiased[c] = ss / (m - 1);
  }
  return { mean, biased, unbiased };
}

/**
 * torch.nn.functional.batch_norm in f64: train mode normalises with the batch statistics
 * (biased variance), eval mode with the running ones.
 */
export function batchNormRef(
  x: RefTensor,
  gamma: RefTensor,
  beta: RefTensor,
  runMean: RefTensor,
  runVar: RefTensor,
  eps: number,
  training: boolean,
): RefTensor {
  const { N, C, L } = batchNormDims(x.shape);
  const { mean, biased } = training ? batchMoments(x) : { mean: runMean.data, biased: runVar.data };
  const out = new Float64Array(x.data.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const rstd = 1 / Math.sqrt(biased[c] + eps);
      for (let j = 0; j < L; j++) {
        const i = (n * C + c) * L + j;
        out[i] = gamma.data[c] * (x.data[i] - mean[c]) * rstd + beta.data[c];
      }
    }
  }
  return { data: out, shape: [...x.shape] };
}

/**
 * torch's running-statistics update of one train-mode forward: momentum m (null = cumulative
 * average with factor 1 / num_batches_tracked after the increment), unbiased batch variance.
 */
export function batchNormRunningRef(
  x: RefTensor,
  runMean: ArrayLike<number>,
  runVar: ArrayLike<number>,
  tracked: number,
  momentum: number | null,
): { mean: Float64Array; variance: Float64Array; tracked: number } {
  const { mean, unbiased } = batchMoments(x);
  const f = momentum ?? 1 / (tracked + 1);
  return {
    mean: Float64Array.from(mean, (mu, c) => (1 - f) * runMean[c] + f * mu),
    variance: Float64Array.from(unbiased, (v, c) => (1 - f) * runVar[c] + f * v),
    tracked: tracked + 1,
  };
}
