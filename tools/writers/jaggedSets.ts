import type { DType } from '../../src/data/h5/types';
import type { RaggedF32 } from '../../src/data/ragged';
import { encodeNumbers } from './encode';
import type { DatasetSpec } from './h5write';

const F4: DType = { kind: 'float', size: 4, littleEndian: true };
const I8: DType = { kind: 'int', size: 8, signed: true, littleEndian: true };
const I4: DType = { kind: 'int', size: 4, signed: true, littleEndian: true };

/**
 * A plain HDF5 layout for variable-size sets, as a physicist might write with h5py:
 *   /sets/x0, /sets/x1, …   one value per element (all sets concatenated)
 *   /sets/counts            elements per set
 *   /target                 one float per set (regression)
 *   /label                  one int per set (classification: target above its median)
 */
export function jaggedSetsDatasets(sets: RaggedF32, targets: Float32Array): DatasetSpec[] {
  const n = sets.offsets.length - 1;
  const elements = sets.offsets[n];
  const out: DatasetSpec[] = [];
  for (let c = 0; c < sets.width; c++) {
    const col = Float32Array.from({ length: elements }, (_, i) => sets.values[i * sets.width + c]);
    out.push({ path: `/sets/x${c}`, type: F4, shape: [elements], bytes: encodeNumbers(F4, col) });
  }
  const counts = Array.from({ length: n }, (_, k) => sets.offsets[k + 1] - sets.offsets[k]);
  out.push({ path: '/sets/counts', type: I8, shape: [n], bytes: encodeNumbers(I8, counts) });
  out.push({ path: '/target', type: F4, shape: [n], bytes: encodeNumbers(F4, targets) });
  const median = [...targets].sort((a, b) => a - b)[Math.floor(n / 2)];
  out.push({
    path: '/label',
    type: I4,
    shape: [n],
    bytes: encodeNumbers(
      I4,
      Array.from(targets, (t) => (t > median ? 1 : 0)),
    ),
  });
  return out;
}

/**
 * Hits of several events in the same plain layout: /hits/<feature> per hit, /hits/object_id
 * (truth; ≤ 0 noise) and /hits/counts (hits per event).
 */
export function jaggedHitsDatasets(
  hits: { features: Float32Array; width: number; objectId: Int32Array; eventOffsets: Uint32Array },
  featureNames: string[],
): DatasetSpec[] {
  const n = hits.objectId.length;
  const events = hits.eventOffsets.length - 1;
  const out: DatasetSpec[] = featureNames.map((name, c) => ({
    path: `/hits/${name}`,
    type: F4,
    shape: [n],
    bytes: encodeNumbers(
      F4,
      Float32Array.from({ length: n }, (_, i) => hits.features[i * hits.width + c]),
    ),
  }));
  out.push({ path: '/hits/object_id', type: I4, shape: [n], bytes: encodeNumbers(I4, hits.objectId) });
  const counts = Array.from({ length: events }, (_, e) => hits.eventOffsets[e + 1] - hits.eventOffsets[e]);
  out.push({ path: '/hits/counts', type: I8, shape: [events], bytes: encodeNumbers(I8, counts) });
  return out;
}
