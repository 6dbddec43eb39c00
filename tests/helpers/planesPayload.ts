import type { PlanesPayload } from '../../src/data/stream/planesPayload';
import { rng } from './random';

export interface RandomPayloadOptions {
  events: number;
  planes: number;
  height: number;
  width: number;
  seed: number;
  /** fraction of pixels with an image voxel / a label voxel (default 0.2 / 0.15) */
  imageOccupancy?: number;
  labelOccupancy?: number;
  /** (event, plane) pairs left without any voxel */
  emptyPairs?: number[];
}

/**
 * A payload as the reader makes them: distinct indices per pair in random order, f32 image
 * values of both signs, labels 1 and 2 only, some pixels with a label and no image voxel.
 */
export function randomPayload(o: RandomPayloadOptions): PlanesPayload {
  const r = rng(o.seed);
  const hw = o.height * o.width;
  const n = o.events * o.planes;
  const img: { index: number[]; value: number[] } = { index: [], value: [] };
  const lab: { index: number[]; value: number[] } = { index: [], value: [] };
  const imageOffsets = new Uint32Array(n + 1);
  const labelOffsets = new Uint32Array(n + 1);
  const shuffled = () => {
    const a = Array.from({ length: hw }, (_, i) => i);
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  for (let q = 0; q < n; q++) {
    if (!o.emptyPairs?.includes(q)) {
      for (const i of shuffled()) {
        if (r() < (o.imageOccupancy ?? 0.2)) {
          img.index.push(i);
          img.value.push(Math.fround(r() < 0.1 ? -r() : 10 * r()));
        }
      }
      for (const i of shuffled()) {
        if (r() < (o.labelOccupancy ?? 0.15)) {
          lab.index.push(i);
          lab.value.push(r() < 0.3 ? 2 : 1);
        }
      }
    }
    imageOffsets[q + 1] = img.index.length;
    labelOffsets[q + 1] = lab.index.length;
  }
  return {
    kind: 'planes-sparse',
    entries: Uint32Array.from({ length: o.events }, (_, e) => e),
    events: o.events,
    planes: o.planes,
    height: o.height,
    width: o.width,
    imageOffsets,
    imageIndex: Uint32Array.from(img.index),
    imageValue: Float32Array.from(img.value),
    labelOffsets,
    labelIndex: Uint32Array.from(lab.index),
    labelValue: Int32Array.from(lab.value),
  };
}
