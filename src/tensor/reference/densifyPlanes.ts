import type { PlanesPayload } from '../../data/stream/planesPayload';

/**
 * f64 reference of ops/densifyPlanes: each (event, plane) pair's voxels at their index in a
 * zero plane, then 2^k × 2^k windows averaged (images, empty pixels count 0) and maxed
 * (labels). Also the windows' sums of |value|, which bound the GPU's f32 rounding.
 */
export function densifyPlanesRef(
  p: PlanesPayload,
  k: number,
): { images: Float64Array; labels: Int32Array; absSums: Float64Array; shape: [number, number, number, number] } {
  const f = 2 ** k;
  const { height: H, width: W } = p;
  if (H % f || W % f) throw new Error(`densifyPlanesRef: cannot pool ${H}×${W} by ${f}`);
  const Ho = H / f;
  const Wo = W / f;
  const n = p.events * p.planes;
  const images = new Float64Array(n * Ho * Wo);
  const absSums = new Float64Array(n * Ho * Wo);
  const labels = new Int32Array(n * Ho * Wo);
  const plane = new Float64Array(H * W);
  for (let q = 0; q < n; q++) {
    plane.fill(0);
    for (let v = p.imageOffsets[q]!; v < p.imageOffsets[q + 1]!; v++) plane[p.imageIndex[v]!] = p.imageValue[v]!;
    for (let y = 0; y < Ho; y++) {
      for (let x = 0; x < Wo; x++) {
        let s = 0;
        let a = 0;
        for (let dy = 0; dy < f; dy++) {
          for (let dx = 0; dx < f; dx++) {
            const val = plane[(y * f + dy) * W + x * f + dx]!;
            s += val;
            a += Math.abs(val);
          }
        }
        images[(q * Ho + y) * Wo + x] = s / (f * f);
        absSums[(q * Ho + y) * Wo + x] = a;
      }
    }
    for (let v = p.labelOffsets[q]!; v < p.labelOffsets[q + 1]!; v++) {
      const idx = p.labelIndex[v]!;
      const o = (q * Ho + Math.floor(Math.floor(idx / W) / f)) * Wo + Math.floor((idx % W) / f);
      labels[o] = Math.max(labels[o]!, p.labelValue[v]!);
    }
  }
  return { images, labels, absSums, shape: [p.events, p.planes, Ho, Wo] };
}
