/**
 * The loss balance of a streamed cosmic batch straight from its sparse labels: class pixel
 * counts after max pooling by 2^k, in O(voxels) per plane, without densifying the batch.
 */
import type { PlanesPayload } from '../../data/stream/planesPayload';
import { classWeightsFromCounts, type BalanceScheme } from '../../losses/segmentation';

/** Classes a plane's pixels count in: background, cosmic, neutrino. */
export const PLANE_CLASSES = 3;

/**
 * Pixels of each class in every (event, plane) pair's 2^k-max-pooled plane: [B·P, 3]
 * (background, cosmic, neutrino), pair q = event · planes + plane. A pooled pixel takes the
 * largest label of its window; background is every pooled pixel no label voxel reaches. The
 * scratch is one pooled plane of bytes, reset through the pixels each pair touched.
 */
export function planeClassCounts(p: PlanesPayload, k: number): Float64Array {
  const f = 2 ** k;
  if (!Number.isInteger(k) || k < 0) throw new Error(`planeClassCounts: downsampling exponent ${k} must be a whole number ≥ 0`);
  if (p.height % f || p.width % f) throw new Error(`cannot downsample ${p.height}×${p.width} by ${f}`);
  const Wo = p.width / f;
  const pooled = (p.height / f) * Wo;
  const n = p.events * p.planes;
  const counts = new Float64Array(n * PLANE_CLASSES);
  const best = new Uint8Array(pooled);
  const touched = new Uint32Array(pooled);
  for (let q = 0; q < n; q++) {
    let t = 0;
    for (let v = p.labelOffsets[q]!; v < p.labelOffsets[q + 1]!; v++) {
      const idx = p.labelIndex[v]!;
      const o = Math.floor(Math.floor(idx / p.width) / f) * Wo + Math.floor((idx % p.width) / f);
      const y = p.labelValue[v]!;
      if (!(y === 1 || y === 2)) throw new Error(`planeClassCounts: label ${y} in pair ${q} (the payload lists only 1 and 2)`);
      if (best[o] === 0) touched[t++] = o;
      if (y > best[o]!) best[o] = y;
    }
    for (let i = 0; i < t; i++) {
      counts[q * PLANE_CLASSES + best[touched[i]!]!]++;
      best[touched[i]!] = 0;
    }
    counts[q * PLANE_CLASSES] = pooled - t;
  }
  return counts;
}

/**
 * The [P, C] class weights makeBatches gives a batch (classWeightTable over its dense labels
 * pooled by 2^k), from the payload: per plane, counts summed over the events.
 */
export function payloadClassWeights(p: PlanesPayload, k: number, scheme: BalanceScheme, classes = PLANE_CLASSES): Float32Array {
  const perPlane = new Float64Array(p.planes * classes);
  if (scheme === 'even') {
    const counts = planeClassCounts(p, k);
    for (let q = 0; q < p.events * p.planes; q++)
      for (let c = 0; c < Math.min(classes, PLANE_CLASSES); c++) perPlane[(q % p.planes) * classes + c] += counts[q * PLANE_CLASSES + c]!;
  }
  return classWeightsFromCounts(scheme, perPlane, p.planes, classes);
}
