/** larcv3 ImageMeta: the voxel grid of one projection. Pure helpers, no HDF5. */
export interface ImageMeta {
  valid: boolean;
  projectionId: number;
  /** physical extent along each axis */
  imageSizes: number[];
  /** number of voxels along each axis */
  numberOfVoxels: number[];
  /** physical position of voxel index 0 */
  origin: number[];
}

export function totalVoxels(m: ImageMeta): number {
  return m.numberOfVoxels.reduce((a, b) => a * b, 1);
}

/** Voxel id → per-axis index (row-major, last axis fastest). Writes into out[o..o+D). */
export function idToCoords(id: number, dims: readonly number[], out: Float32Array | number[], o = 0): void {
  let r = id;
  for (let a = dims.length - 1; a >= 0; a--) {
    const n = dims[a]!;
    out[o + a] = r % n;
    r = Math.floor(r / n);
  }
}

/** Per-axis index → voxel id (row-major, last axis fastest). */
export function coordsToId(coords: readonly number[], dims: readonly number[]): number {
  let id = 0;
  for (let a = 0; a < dims.length; a++) id = id * dims[a]! + coords[a]!;
  return id;
}

/** Physical centre of a voxel along each axis. */
export function voxelCenter(coords: readonly number[], m: ImageMeta): number[] {
  return coords.map((c, a) => m.origin[a]! + ((c + 0.5) * m.imageSizes[a]!) / m.numberOfVoxels[a]!);
}

export function sameGrid(a: ImageMeta, b: ImageMeta): boolean {
  return (
    a.numberOfVoxels.length === b.numberOfVoxels.length &&
    a.numberOfVoxels.every((n, i) => n === b.numberOfVoxels[i]) &&
    a.imageSizes.every((s, i) => s === b.imageSizes[i]) &&
    a.origin.every((s, i) => s === b.origin[i])
  );
}
