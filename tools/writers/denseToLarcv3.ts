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
 * in CosmicTagger's files). Laid out as CosmicTagger's files are read (src/tasks/cosmic/planes.ts):
 * numberOfVoxels = [wires W, time ticks H] and voxel id = column · H + row, so that the upstream
 * fill (c0, c1) = (id / H, id % H) → pixel [c1, c0] gives back dense row `row`, column `column`.
 */
export function denseToLarcv3(d: DensePlanes, imageProducer: string, labelProducer: string): Larcv3Spec {
  const hw = d.height * d.width;
  const image: SparsePlane[][] = [];
  const label: SparsePlane[][] = [];
  for (let e = 0; e < d.events; e++) {
    const ev: SparsePlane[] = [];
    const lab: SparsePlane[] = [];
    for (let p = 0; p < d.planes; p++) {
      const meta = { valid: true, projectionId: p, imageSizes: [d.width, d.height], numberOfVoxels: [d.width, d.height], origin: [0, 0] };
      const base = (e * d.planes + p) * hw;
      const ids: number[] = [];
      const values: number[] = [];
      const lids: number[] = [];
      const lvalues: number[] = [];
      // Ids ascend: columns outer, rows inner.
      for (let c = 0; c < d.width; c++) {
        for (let r = 0; r < d.height; r++) {
          const i = base + r * d.width + c;
          const id = c * d.height + r;
          if (d.images[i] !== 0) {
            ids.push(id);
            values.push(d.images[i]);
          }
          if (d.labels[i] !== 0) {
            lids.push(id);
            lvalues.push(d.labels[i]);
          }
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
