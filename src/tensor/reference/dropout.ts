import type { RefTensor } from '../registry';

/** lowbias32, as dropout.wgsl's mix32 (u32 arithmetic). */
export function mix32(v: number): number {
  let x = v >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The kernel's per-element factor: 0 (dropped) or 1 / (1 - p). */
export function dropoutFactor(i: number, seed: number, p: number): number {
  const u = (mix32((i + mix32(seed)) >>> 0) >>> 8) / 16777216;
  return u >= Math.fround(p) ? 1 / (1 - p) : 0;
}

export function dropoutRef(x: RefTensor, p: number, seed: number): RefTensor {
  return { data: Float64Array.from(x.data, (v, i) => v * dropoutFactor(i, seed, p)), shape: [...x.shape] };
}
