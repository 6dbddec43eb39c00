import type { Larcv3Spec, SparsePlane } from './larcv3Encode';

/** Dense per-plane images and labels of E events: [E, P, H, W] each. */
export interface DensePlanes {
  events: number;
  planes: number;
  height: number;
  width: number;
  images: Float32Array;
  labels: ArrayLike<number>;
}

/**
 * A CosmicTagger-style larcv3 file: two sparse2d producers over the same planes, charge
 * (only lit pixels become voxels) and segmentation labels (only non-background pixels, as
 * in CosmicTagger's files). Voxel id = row · width + column.
 */
export function denseToLarcv3(d: DensePlanes, imageProducer: string, labelProducer: string): Larcv3Spec {
  const hw = d.height * d.width;
  const image: SparsePlane[][] = [];
  const label: SparsePlane[][] = [];
  for (let e = 0; e < d.events; e++) {
    const ev: SparsePlane[] = [];
    const lab: SparsePlane[] = [];
    for (let p = 0; p < d.planes; p++) {
      const meta = { valid: true, projectionId: p, imageSizes: [d.height, d.width], numberOfVoxels: [d.height, d.width], origin: [0, 0] };
      const base = (e * d.planes + p) * hw;
      const ids: number[] = [];
      const values: number[] = [];
      const lids: number[] = [];
      const lvalues: number[] = [];
      for (let i = 0; i < hw; i++) {
        if (d.images[base + i] !== 0) {
          ids.push(i);
          values.push(d.images[base + i]);
        }
        if (d.labels[base + i] !== 0) {
          lids.push(i);
          lvalues.push(d.labels[base + i]);
        }
      }
      ev.push({ meta, ids, values });
      lab.push({ meta, ids: lids, values: lvalues });
    }
    image.push(ev);
    label.push(lab);
  }
  return {
    events: Array.from({ length: d.events }, (_, i) => ({ run: 1, subrun: 1, event: i })),
    products: [
      { type: 'sparse2d', producer: imageProducer, entries: image },
      { type: 'sparse2d', producer: labelProducer, entries: label },
    ],
  };
}
