/** Exponential moving average with bias correction (as TensorBoard's smoothing slider). */
export function smooth(values: number[], weight: number): number[] {
  if (weight <= 0) return values;
  const out: number[] = [];
  let acc = 0;
  let norm = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      out.push(v);
      continue;
    }
    acc = weight * acc + (1 - weight) * v;
    norm = weight * norm + (1 - weight);
    out.push(acc / norm);
  }
  return out;
}
