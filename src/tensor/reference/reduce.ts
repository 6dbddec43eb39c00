import type { RefTensor } from '../registry';

/** Sum (or mean) over `axis`, or over everything when axis is null. */
export function reduceRef(x: RefTensor, axis: number | null, mean: boolean): RefTensor {
  if (axis === null) {
    let s = 0;
    for (const v of x.data) s += v;
    return { data: new Float64Array([mean ? s / x.data.length : s]), shape: [] };
  }
  const outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
  const n = x.shape[axis];
  const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < inner; i++) out[o * inner + i] += x.data[(o * n + j) * inner + i];
    }
  }
  if (mean) for (let i = 0; i < out.length; i++) out[i] /= n;
  return { data: out, shape: x.shape.filter((_, k) => k !== axis) };
}
