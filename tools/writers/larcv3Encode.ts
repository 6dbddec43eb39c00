import {
  EVENT_ID_T,
  EXTENTS_T,
  ID_EXTENTS_T,
  PARTICLE_T,
  VOXEL_T,
  groupName,
  imageMetaT,
  productDim,
  type ProductType,
} from '../../src/data/larcv3/layout';
import type { ImageMeta } from '../../src/data/larcv3/meta';
import type { DatasetSpec } from './h5write';
import { encodeColumns, encodeNumbers } from './encode';

/** In-memory description of a larcv3 file, one array item per entry (event). */
export interface SparsePlane {
  meta: ImageMeta;
  ids: ArrayLike<number>;
  values: ArrayLike<number>;
}
export interface ClusterPlane {
  meta: ImageMeta;
  clusters: { id?: number; ids: ArrayLike<number>; values: ArrayLike<number> }[];
}
export interface ImagePlane {
  meta: ImageMeta;
  /** prod(numberOfVoxels) values, voxel-id order */
  values: ArrayLike<number>;
}
export interface Vertex4 {
  x: number;
  y: number;
  z: number;
  t: number;
}
export interface ParticleSpec {
  id?: number;
  pdg: number;
  trackid?: number;
  parentTrackid?: number;
  parentPdg?: number;
  ancestorTrackid?: number;
  ancestorPdg?: number;
  shape?: number;
  px: number;
  py: number;
  pz: number;
  energyInit: number;
  energyDeposit?: number;
  distTravel?: number;
  process?: string;
  vtx?: Vertex4;
  endPt?: Vertex4;
}

export type ProductSpec =
  | { type: 'sparse2d' | 'sparse3d'; producer: string; entries: SparsePlane[][] }
  | { type: 'cluster2d' | 'cluster3d'; producer: string; entries: ClusterPlane[][] }
  | { type: 'image2d'; producer: string; entries: ImagePlane[][] }
  | { type: 'particle'; producer: string; entries: ParticleSpec[][] };

export interface Larcv3Spec {
  events: { run: number; subrun: number; event: number }[];
  products: ProductSpec[];
}

function metaColumns(metas: ImageMeta[]) {
  return {
    valid: metas.map((m) => (m.valid ? 1 : 0)),
    projection_id: metas.map((m) => m.projectionId),
    image_sizes: metas.flatMap((m) => m.imageSizes),
    number_of_voxels: metas.flatMap((m) => m.numberOfVoxels),
    origin: metas.flatMap((m) => m.origin),
  };
}

function extentsOf(counts: number[]): { first: number[]; N: number[] } {
  const first: number[] = [];
  let acc = 0;
  for (const c of counts) {
    first.push(acc);
    acc += c;
  }
  return { first, N: counts };
}

function concat(parts: ArrayLike<number>[]): Float64Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Float64Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p as ArrayLike<number>, o);
    o += p.length;
  }
  return out;
}

const table = (path: string, type: DatasetSpec['type'], n: number, bytes: Uint8Array, chunk: number, gzip?: number): DatasetSpec => ({
  path,
  type,
  shape: [n],
  bytes,
  chunks: [chunk],
  ...(gzip ? { gzip } : {}),
});

/** Encodes a larcv3 file description into the datasets larcv3 writes (pure; no HDF5). */
export function encodeLarcv3(spec: Larcv3Spec): DatasetSpec[] {
  const nEv = spec.events.length;
  const out: DatasetSpec[] = [
    table(
      '/Events/event_id',
      EVENT_ID_T,
      nEv,
      encodeColumns(EVENT_ID_T, nEv, {
        run: spec.events.map((e) => e.run),
        subrun: spec.events.map((e) => e.subrun),
        event: spec.events.map((e) => e.event),
      }),
      100,
      1,
    ),
  ];
  for (const p of spec.products) {
    if (p.entries.length !== nEv) throw new Error(`${p.type}_${p.producer}: ${p.entries.length} entries for ${nEv} events`);
    const g = `/Data/${groupName(p.type, p.producer)}`;
    out.push(...encodeProduct(g, p));
  }
  return out;
}

function encodeProduct(g: string, p: ProductSpec): DatasetSpec[] {
  const perEntry = p.entries.map((e) => e.length);
  const ext = extentsOf(perEntry);
  const extents = table(`${g}/extents`, EXTENTS_T, ext.first.length, encodeColumns(EXTENTS_T, ext.first.length, ext), 10);
  if (p.type === 'particle') {
    const parts = p.entries.flat();
    const v = (f: (q: ParticleSpec) => Vertex4 | undefined, k: keyof Vertex4) => parts.map((q) => f(q)?.[k] ?? 0);
    const cols = {
      id: parts.map((q, i) => q.id ?? i),
      pdg: parts.map((q) => q.pdg),
      trackid: parts.map((q) => q.trackid ?? 0),
      parent_trackid: parts.map((q) => q.parentTrackid ?? 0),
      parent_pdg: parts.map((q) => q.parentPdg ?? 0),
      ancestor_trackid: parts.map((q) => q.ancestorTrackid ?? 0),
      ancestor_pdg: parts.map((q) => q.ancestorPdg ?? 0),
      shape: parts.map((q) => q.shape ?? 2),
      mcst_index: parts.map(() => 65535),
      mct_index: parts.map(() => 65535),
      px: parts.map((q) => q.px),
      py: parts.map((q) => q.py),
      pz: parts.map((q) => q.pz),
      energy_init: parts.map((q) => q.energyInit),
      energy_deposit: parts.map((q) => q.energyDeposit ?? 0),
      dist_travel: parts.map((q) => q.distTravel ?? 0),
      process: parts.map((q) => q.process ?? 'primary'),
      'vtx.x': v((q) => q.vtx, 'x'),
      'vtx.y': v((q) => q.vtx, 'y'),
      'vtx.z': v((q) => q.vtx, 'z'),
      'vtx.t': v((q) => q.vtx, 't'),
      'end_pt.x': v((q) => q.endPt, 'x'),
      'end_pt.y': v((q) => q.endPt, 'y'),
      'end_pt.z': v((q) => q.endPt, 'z'),
      'end_pt.t': v((q) => q.endPt, 't'),
    };
    return [extents, table(`${g}/particles`, PARTICLE_T, parts.length, encodeColumns(PARTICLE_T, parts.length, cols), 500)];
  }
  const dim = productDim(p.type);
  const metaT = imageMetaT(dim);
  const planes = (p.entries as { meta: ImageMeta }[][]).flat();
  for (const pl of planes)
    if (pl.meta.numberOfVoxels.length !== dim)
      throw new Error(`${g}: ImageMeta of ${pl.meta.numberOfVoxels.length} axes in a ${dim}D product`);
  const metas = table(
    `${g}/image_meta`,
    metaT,
    planes.length,
    encodeColumns(metaT, planes.length, metaColumns(planes.map((x) => x.meta))),
    100,
  );
  const ids = planes.map((x) => x.meta.projectionId);

  if (p.type === 'image2d') {
    const imgs = planes as ImagePlane[];
    const e = extentsOf(imgs.map((x) => x.values.length));
    const values = concat(imgs.map((x) => x.values));
    return [
      extents,
      table(`${g}/image_extents`, ID_EXTENTS_T, imgs.length, encodeColumns(ID_EXTENTS_T, imgs.length, { ...e, ID: ids }), 1000),
      metas,
      table(
        `${g}/images`,
        { kind: 'float', size: 4, littleEndian: true },
        values.length,
        encodeNumbers({ kind: 'float', size: 4, littleEndian: true }, values),
        Math.max(1, Math.min(values.length, 65536)),
      ),
    ];
  }
  if (p.type === 'sparse2d' || p.type === 'sparse3d') {
    const sp = planes as SparsePlane[];
    const e = extentsOf(sp.map((x) => x.ids.length));
    const nVox = e.first.length ? e.first[e.first.length - 1]! + e.N[e.N.length - 1]! : 0;
    return [
      extents,
      table(`${g}/voxel_extents`, ID_EXTENTS_T, sp.length, encodeColumns(ID_EXTENTS_T, sp.length, { ...e, ID: ids }), 100),
      metas,
      table(
        `${g}/voxels`,
        VOXEL_T,
        nVox,
        encodeColumns(VOXEL_T, nVox, { id: concat(sp.map((x) => x.ids)), value: concat(sp.map((x) => x.values)) }),
        1000,
      ),
    ];
  }
  // clusters: extents → projection_extents (+ image_meta) → cluster_extents → voxels
  const cp = planes as ClusterPlane[];
  const pe = extentsOf(cp.map((x) => x.clusters.length));
  const clusters = cp.flatMap((x) => x.clusters);
  const ce = extentsOf(clusters.map((c) => c.ids.length));
  const nVox = clusters.reduce((a, c) => a + c.ids.length, 0);
  return [
    extents,
    table(`${g}/projection_extents`, ID_EXTENTS_T, cp.length, encodeColumns(ID_EXTENTS_T, cp.length, { ...pe, ID: ids }), 100),
    metas,
    table(
      `${g}/cluster_extents`,
      ID_EXTENTS_T,
      clusters.length,
      encodeColumns(ID_EXTENTS_T, clusters.length, { ...ce, ID: cp.flatMap((x) => x.clusters.map((c, i) => c.id ?? i)) }),
      100,
    ),
    table(
      `${g}/voxels`,
      VOXEL_T,
      nVox,
      encodeColumns(VOXEL_T, nVox, { id: concat(clusters.map((c) => c.ids)), value: concat(clusters.map((c) => c.values)) }),
      1000,
    ),
  ];
}

export type { ProductType };
