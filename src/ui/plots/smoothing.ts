/**
 * Exponential moving average with bias correction (as TensorBoard's smoothing slider), over
 * the full series before downsampling. Non-finite values pass through and do not enter the mean.
 */
export function smooth(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  if (weight <= 0) {
    for (let i = 0; i < values.length; i++) out[i] = values[i];
    return out;
  }
  let acc = 0;
  let norm = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    acc = weight * acc + (1 - weight) * v;
    norm = weight * norm + (1 - weight);
    out[i] = acc / norm;
  }
  return out;
}
