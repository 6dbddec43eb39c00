import type { PlanesPayload } from '../../data/stream/planesPayload';
import type { PlaneData } from './planes';

/**
 * Dense full-resolution PlaneData of a streamed payload, on the host (the GPU path is
 * src/tensor/ops/densifyPlanes.ts): each (event, plane) pair's voxels written at their index.
 */
export function payloadPlaneData(p: PlanesPayload): PlaneData {
  const hw = p.height * p.width;
  const n = p.events * p.planes;
  checkPayload(p);
  const images = new Float32Array(n * hw);
  const labels = new Uint8Array(n * hw);
  for (let q = 0; q < n; q++) {
    for (let k = p.imageOffsets[q]!; k < p.imageOffsets[q + 1]!; k++) images[q * hw + p.imageIndex[k]!] = p.imageValue[k]!;
    for (let k = p.labelOffsets[q]!; k < p.labelOffsets[q + 1]!; k++) labels[q * hw + p.labelIndex[k]!] = p.labelValue[k]!;
  }
  return { kind: 'planes', events: p.events, planes: p.planes, height: p.height, width: p.width, images, labels };
}

/** Throws when the payload's lists do not fit its planes (offsets, lengths, indices, labels). */
export function checkPayload(p: PlanesPayload): void {
  const n = p.events * p.planes;
  const hw = p.height * p.width;
  for (const [name, off, index, value] of [
    ['image', p.imageOffsets, p.imageIndex, p.imageValue],
    ['label', p.labelOffsets, p.labelIndex, p.labelValue],
  ] as const) {
    if (off.length !== n + 1 || off[0] !== 0 || off[n] !== index.length || value.length !== index.length)
      throw new Error(
        `planes payload: ${name} offsets [${off.length}] ending at ${off[n]} do not fit ${n} planes and ${index.length} indices / ${value.length} values`,
      );
    for (let q = 0; q < n; q++) if (off[q + 1]! < off[q]!) throw new Error(`planes payload: ${name} offsets decrease at plane ${q}`);
    for (let k = 0; k < index.length; k++)
      if (index[k]! >= hw) throw new Error(`planes payload: ${name} index ${index[k]} outside the ${p.height}×${p.width} plane`);
  }
  for (let k = 0; k < p.labelValue.length; k++) {
    const v = p.labelValue[k]!;
    if (v !== 1 && v !== 2) throw new Error(`planes payload: label ${v} (expected 1 cosmic or 2 neutrino)`);
  }
}
