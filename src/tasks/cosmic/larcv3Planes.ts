import type { SparseEntries } from '../../data/larcv3/reader';
import { densifyPlanes, type PlaneData, type SparsePlaneVoxels } from './planes';

/**
 * PlaneData from the larcv3 reader's sparse2d entries of an image producer (e.g. sbndwire)
 * and a label producer (e.g. sbnd_cosmicseg) over the same entries. Plane grids must agree.
 */
export function planesFromSparse2d(image: SparseEntries, label: SparseEntries): PlaneData {
  if (image.planes.length !== label.planes.length) {
    throw new Error(
      `image producer "${image.producer}" has ${image.planes.length} planes, label producer "${label.producer}" ${label.planes.length}`,
    );
  }
  const meta = image.planes[0]?.metas[0];
  if (!meta || meta.numberOfVoxels.length !== 2) throw new Error(`producer "${image.producer}" has no 2-D planes`);
  const nvox: [number, number] = [meta.numberOfVoxels[0], meta.numberOfVoxels[1]];
  for (const pl of [...image.planes, ...label.planes]) {
    for (const m of pl.metas) {
      if (m.numberOfVoxels[0] !== nvox[0] || m.numberOfVoxels[1] !== nvox[1]) {
        throw new Error(`plane ${pl.projectionId} is ${m.numberOfVoxels.join('×')}, expected ${nvox.join('×')} like plane 0`);
      }
    }
  }
  const entries = image.range.end - image.range.start;
  const voxels = (s: SparseEntries, e: number): SparsePlaneVoxels[] =>
    s.planes.map((pl) => {
      const lo = pl.voxels.offsets[e];
      const hi = pl.voxels.offsets[e + 1];
      const w = pl.voxels.width;
      return {
        ids: pl.ids.subarray(lo, hi),
        values: Float32Array.from({ length: hi - lo }, (_, k) => pl.voxels.values[(lo + k) * w + w - 1]),
      };
    });
  const img = Array.from({ length: entries }, (_, e) => voxels(image, e));
  const lab = Array.from({ length: entries }, (_, e) => voxels(label, e));
  return densifyPlanes(img, lab, nvox);
}
