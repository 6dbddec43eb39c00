import { cosmicClassWeights, type BalanceScheme } from './loss';
import type { PlaneData } from './planes';

/** One batch on the host, in the layouts the GPU tensors take (uploaded per step). */
export interface HostBatch {
  /** [B·P, 1, H, W]: image n is plane n % P of event ⌊n / P⌋ */
  images: Float32Array;
  /** [B·P, H, W] */
  labels: Int32Array;
  /** [P, C] class weights of the balance scheme (per batch for "even") */
  classWeights: Float32Array;
  events: number;
}

/**
 * Consecutive batches of `batchSize` events ([E, P, H, W] is already event-major, so a
 * batch is a contiguous slice). A trailing partial batch is kept when `keepPartial`.
 */
export function makeBatches(d: PlaneData, batchSize: number, scheme: BalanceScheme, classes: number, keepPartial = false): HostBatch[] {
  const per = d.planes * d.height * d.width;
  const out: HostBatch[] = [];
  for (let start = 0; start < d.events; start += batchSize) {
    const end = Math.min(start + batchSize, d.events);
    if (end - start < batchSize && !keepPartial) break;
    const labels = Int32Array.from(d.labels.subarray(start * per, end * per));
    out.push({
      images: d.images.slice(start * per, end * per),
      labels,
      classWeights: cosmicClassWeights(scheme, labels, d.planes, classes, d.height * d.width),
      events: end - start,
    });
  }
  return out;
}
