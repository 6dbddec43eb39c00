import type { CompoundMember, DType } from '../h5/types';

/**
 * The larcv3 on-disk layout (x86-64 struct layouts written by larcv3's C++ IO):
 *   /Events/event_id                       EventID {run i8, subrun i8, event i8}
 *   /Data/<product>_<producer>_group/...   one group per data product
 * Products handled here and their datasets:
 *   sparse2d/sparse3d:   extents, voxel_extents, image_meta, voxels
 *   cluster2d/cluster3d: extents, projection_extents, image_meta, cluster_extents, voxels
 *   image2d:             extents, image_extents, image_meta, images (f4)
 *   particle:            extents, particles
 * extents[e] → rows [first, first+N) of the next table; voxel id is row-major,
 * last axis fastest (id = ((i0*n1)+i1)*n2+i2 for 3D).
 */

export const PRODUCT_TYPES = ['sparse2d', 'sparse3d', 'cluster2d', 'cluster3d', 'image2d', 'particle'] as const;
export type ProductType = (typeof PRODUCT_TYPES)[number];

const u1: DType = { kind: 'int', size: 1, signed: false, littleEndian: true };
const u2: DType = { kind: 'int', size: 2, signed: false, littleEndian: true };
const i2: DType = { kind: 'int', size: 2, signed: true, littleEndian: true };
const u4: DType = { kind: 'int', size: 4, signed: false, littleEndian: true };
const i4: DType = { kind: 'int', size: 4, signed: true, littleEndian: true };
const u8: DType = { kind: 'int', size: 8, signed: false, littleEndian: true };
const i8: DType = { kind: 'int', size: 8, signed: true, littleEndian: true };
const f4: DType = { kind: 'float', size: 4, littleEndian: true };
const f8: DType = { kind: 'float', size: 8, littleEndian: true };

const compound = (size: number, members: [string, number, DType][]): DType => ({
  kind: 'compound',
  size,
  members: members.map(([name, offset, type]): CompoundMember => ({ name, offset, type })),
});

export const EXTENTS_T = compound(16, [
  ['first', 0, u8],
  ['N', 8, u4],
]);
export const ID_EXTENTS_T = compound(16, [
  ['first', 0, u8],
  ['N', 8, u4],
  ['ID', 12, u4],
]);
export const VOXEL_T = compound(16, [
  ['id', 0, u8],
  ['value', 8, f4],
]);
export const EVENT_ID_T = compound(24, [
  ['run', 0, i8],
  ['subrun', 8, i8],
  ['event', 16, i8],
]);

/** ImageMeta<D>: {valid, projection_id, image_sizes f8[D], number_of_voxels u8[D], origin f8[D]} (+ unit, unlisted). */
export function imageMetaT(dim: number): DType {
  const arr = (base: DType): DType => ({ kind: 'array', size: base.size * dim, base, shape: [dim] });
  return compound(16 + 24 * dim + 8, [
    ['valid', 0, u1],
    ['projection_id', 8, u8],
    ['image_sizes', 16, arr(f8)],
    ['number_of_voxels', 16 + 8 * dim, arr(u8)],
    ['origin', 16 + 16 * dim, arr(f8)],
  ]);
}

export const VERTEX_T = compound(32, [
  ['x', 0, f8],
  ['y', 8, f8],
  ['z', 16, f8],
  ['t', 24, f8],
]);

export const PROCESS_STRLEN = 64;

export const PARTICLE_T = compound(344, [
  ['id', 0, u2],
  ['mcst_index', 2, u2],
  ['mct_index', 4, u2],
  ['shape', 8, i4],
  ['current_type', 12, i2],
  ['interaction_type', 14, i2],
  ['trackid', 16, u4],
  ['pdg', 20, i4],
  ['px', 24, f8],
  ['py', 32, f8],
  ['pz', 40, f8],
  ['vtx', 48, VERTEX_T],
  ['end_pt', 80, VERTEX_T],
  ['first_step', 112, VERTEX_T],
  ['last_step', 144, VERTEX_T],
  ['dist_travel', 176, f8],
  ['energy_init', 184, f8],
  ['energy_deposit', 192, f8],
  ['process', 200, { kind: 'string', size: PROCESS_STRLEN, vlen: false, ascii: true }],
  ['parent_trackid', 264, u4],
  ['parent_pdg', 268, i4],
  ['parent_vtx', 272, VERTEX_T],
  ['ancestor_trackid', 304, u4],
  ['ancestor_pdg', 308, i4],
  ['ancestor_vtx', 312, VERTEX_T],
]);

export function productDim(t: ProductType): 2 | 3 {
  return t.endsWith('3d') ? 3 : 2;
}

export function groupName(type: ProductType, producer: string): string {
  return `${type}_${producer}_group`;
}

/** "sparse2d_data_group" → {type: 'sparse2d', producer: 'data'}; null when not a larcv3 product group. */
export function parseGroupName(name: string): { type: string; producer: string } | null {
  const m = /^([a-z0-9]+)_(.+)_group$/.exec(name);
  return m ? { type: m[1]!, producer: m[2]! } : null;
}

/** Datasets each product group must hold. */
export const PRODUCT_DATASETS: Record<ProductType, string[]> = {
  sparse2d: ['extents', 'voxel_extents', 'image_meta', 'voxels'],
  sparse3d: ['extents', 'voxel_extents', 'image_meta', 'voxels'],
  cluster2d: ['extents', 'projection_extents', 'image_meta', 'cluster_extents', 'voxels'],
  cluster3d: ['extents', 'projection_extents', 'image_meta', 'cluster_extents', 'voxels'],
  image2d: ['extents', 'image_extents', 'image_meta', 'images'],
  particle: ['extents', 'particles'],
};

/** Member names a compound dataset must have (the reader checks these, not the byte offsets). */
export const REQUIRED_MEMBERS: Record<string, string[]> = {
  extents: ['first', 'N'],
  voxel_extents: ['first', 'N', 'ID'],
  projection_extents: ['first', 'N', 'ID'],
  cluster_extents: ['first', 'N', 'ID'],
  image_extents: ['first', 'N', 'ID'],
  image_meta: ['projection_id', 'image_sizes', 'number_of_voxels', 'origin'],
  voxels: ['id', 'value'],
  particles: ['id', 'pdg', 'px', 'py', 'pz', 'energy_init'],
  event_id: ['run', 'subrun', 'event'],
};
