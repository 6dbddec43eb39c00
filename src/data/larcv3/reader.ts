import { SAFE_VALUES, unsafeValue } from '../values';
import { DataFileError } from '../errors';
import type { H5Source } from '../h5/source';
import type { RaggedF32 } from '../ragged';
import { PRODUCT_DATASETS, PRODUCT_TYPES, groupName, parseGroupName, productDim, type ProductType } from './layout';
import { idToCoords, totalVoxels, type ImageMeta } from './meta';
import { coverWindow, readColumns, readMetas, readStringColumn, tableInfo } from './tables';

/** Half-open entry range [start, end). */
export interface EntryRange {
  start: number;
  end: number;
}

export interface Larcv3Product {
  type: string;
  producer: string;
  group: string;
  /** rows of its extents table (should equal the number of events) */
  nEntries: number;
  supported: boolean;
}

export interface ReadOptions {
  /** accept NaN/Inf voxel values instead of failing (default false) */
  allowNaN?: boolean;
}

/** Voxels of one projection over a range of entries. */
export interface SparsePlaneData {
  projectionId: number;
  dim: number;
  /** one ImageMeta per entry (entries without this plane repeat the last one seen) */
  metas: ImageMeta[];
  /** rows [coord_0, ..., coord_{dim-1}, value], grouped per entry */
  voxels: RaggedF32;
  /** voxel ids, parallel to the rows of `voxels` */
  ids: Float64Array;
}
export interface SparseEntries {
  file: string;
  product: ProductType;
  producer: string;
  range: EntryRange;
  planes: SparsePlaneData[];
}

export interface ClusterPlaneData extends SparsePlaneData {
  /** clusters of entry e: [clusterOffsets[e], clusterOffsets[e+1]) */
  clusterOffsets: Uint32Array;
  clusterIds: Uint32Array;
  /** voxel rows of each cluster (within the plane's voxel rows, in order) */
  clusterSizes: Uint32Array;
  /** for every voxel row, the index of its cluster within its entry */
  clusterIndex: Int32Array;
}
export interface ClusterEntries extends Omit<SparseEntries, 'planes'> {
  planes: ClusterPlaneData[];
}

export interface ImagePlaneData {
  projectionId: number;
  metas: ImageMeta[];
  /** one row of width 1 per pixel; entry e's image is rows [offsets[e], offsets[e+1]) in voxel-id order */
  images: RaggedF32;
}
export interface ImageEntries {
  file: string;
  producer: string;
  range: EntryRange;
  planes: ImagePlaneData[];
}

export interface ParticleEntries {
  file: string;
  producer: string;
  range: EntryRange;
  /** particles of entry e: rows [offsets[e], offsets[e+1]) */
  offsets: Uint32Array;
  /** numeric members by (dotted) name: pdg, px, energy_init, vtx.x, ... */
  columns: Record<string, Float64Array>;
  process: string[];
}

const PARTICLE_COLUMNS = [
  'id',
  'pdg',
  'trackid',
  'parent_trackid',
  'parent_pdg',
  'ancestor_trackid',
  'ancestor_pdg',
  'shape',
  'px',
  'py',
  'pz',
  'energy_init',
  'energy_deposit',
  'dist_travel',
  'vtx.x',
  'vtx.y',
  'vtx.z',
  'vtx.t',
  'end_pt.x',
  'end_pt.y',
  'end_pt.z',
  'end_pt.t',
];

/** Random-access reader of a larcv3 file: every read touches only the rows of the entries asked for. */
export class Larcv3Reader {
  readonly numEntries: number;
  constructor(readonly src: H5Source) {
    if (!src.isDataset('/Events/event_id'))
      throw new DataFileError({
        code: 'missing-dataset',
        file: src.fileName,
        dataset: '/Events/event_id',
        problem: 'dataset is missing',
        expected: 'larcv3 /Events/event_id',
      });
    this.numEntries = tableInfo(src, '/Events/event_id').shape[0]!;
  }

  get fileName(): string {
    return this.src.fileName;
  }

  products(): Larcv3Product[] {
    if (!this.src.isGroup('/Data')) return [];
    const out: Larcv3Product[] = [];
    for (const name of this.src.keys('/Data')) {
      const p = parseGroupName(name);
      if (!p) continue;
      const group = `/Data/${name}`;
      const extents = `${group}/extents`;
      const nEntries = this.src.isDataset(extents) ? (this.src.info(extents).shape[0] ?? 0) : 0;
      out.push({ ...p, group, nEntries, supported: (PRODUCT_TYPES as readonly string[]).includes(p.type) });
    }
    return out;
  }

  /** Checks every supported product group has its datasets, the right members and one extents row per event. */
  validate(): void {
    for (const p of this.products()) {
      if (!p.supported) continue;
      for (const ds of PRODUCT_DATASETS[p.type as ProductType]) {
        const path = `${p.group}/${ds}`;
        if (!this.src.isDataset(path))
          throw new DataFileError({
            code: 'missing-dataset',
            file: this.fileName,
            dataset: path,
            problem: 'dataset is missing',
            expected: `larcv3 ${p.type} dataset ${ds}`,
          });
        if (ds === 'images') {
          const info = this.src.info(path);
          if (info.shape.length !== 1 || info.dtype.kind !== 'float')
            throw new DataFileError({
              code: 'bad-shape',
              file: this.fileName,
              dataset: path,
              problem: `shape [${info.shape}] ${info.dtypeText}`,
              expected: '1-D float array',
            });
        } else tableInfo(this.src, path);
      }
      if (p.nEntries !== this.numEntries)
        throw new DataFileError({
          code: 'bad-shape',
          file: this.fileName,
          dataset: `${p.group}/extents`,
          problem: `${p.nEntries} rows for ${this.numEntries} events`,
          expected: `${this.numEntries} rows (one per event)`,
        });
    }
  }

  eventIds(range: EntryRange = { start: 0, end: this.numEntries }): { run: Float64Array; subrun: Float64Array; event: Float64Array } {
    this.checkRange(range, '/Events/event_id');
    const c = readColumns(this.src, '/Events/event_id', range.start, range.end - range.start, ['run', 'subrun', 'event']);
    return { run: c['run']!, subrun: c['subrun']!, event: c['event']! };
  }

  private group(type: ProductType, producer: string): string {
    const g = `/Data/${groupName(type, producer)}`;
    if (!this.src.isGroup(g)) {
      const have = this.products()
        .filter((p) => p.type === type)
        .map((p) => p.producer);
      throw new DataFileError({
        code: 'missing-dataset',
        file: this.fileName,
        dataset: g,
        problem: `no ${type} product from producer "${producer}"`,
        expected: have.length ? `one of producers ${have.join(', ')}` : `a ${type} product`,
      });
    }
    return g;
  }

  private checkRange(r: EntryRange, dataset: string): void {
    if (!Number.isInteger(r.start) || !Number.isInteger(r.end) || r.start < 0 || r.end > this.numEntries || r.start > r.end)
      throw new DataFileError({
        code: 'bad-request',
        file: this.fileName,
        dataset,
        problem: `entries ${r.start}..${r.end} requested`,
        expected: `a range within 0..${this.numEntries}`,
      });
  }

  /** extents rows of the range → (first, N) per entry, checked against the next table. */
  private level1(g: string, range: EntryRange, next: string) {
    this.checkRange(range, `${g}/extents`);
    const n = range.end - range.start;
    const e = readColumns(this.src, `${g}/extents`, range.start, n, ['first', 'N']);
    const len = tableInfo(this.src, `${g}/${next}`).shape[0]!;
    const w = coverWindow(this.src, `${g}/extents`, range.start, e['first']!, e['N']!, `${g}/${next}`, len);
    return { first: e['first']!, N: e['N']!, ...w };
  }

  readSparse(type: 'sparse2d' | 'sparse3d', producer: string, range: EntryRange, opts: ReadOptions = {}): SparseEntries {
    const g = this.group(type, producer);
    const dim = productDim(type);
    const l1 = this.level1(g, range, 'voxel_extents');
    const nMeta = tableInfo(this.src, `${g}/image_meta`).shape[0]!;
    if (l1.hi > nMeta)
      throw new DataFileError({
        code: 'out-of-range',
        file: this.fileName,
        dataset: `${g}/image_meta`,
        problem: `${nMeta} rows but voxel_extents needs ${l1.hi}`,
        expected: 'one image_meta row per voxel_extents row',
      });
    const ve = readColumns(this.src, `${g}/voxel_extents`, l1.lo, l1.hi - l1.lo, ['first', 'N', 'ID']);
    const metas = readMetas(this.src, `${g}/image_meta`, l1.lo, l1.hi - l1.lo, dim);
    const nVox = tableInfo(this.src, `${g}/voxels`).shape[0]!;
    const w = coverWindow(this.src, `${g}/voxel_extents`, l1.lo, ve['first']!, ve['N']!, `${g}/voxels`, nVox);
    const vox = readColumns(this.src, `${g}/voxels`, w.lo, w.hi - w.lo, ['id', 'value']);

    const nEntries = range.end - range.start;
    const planeIds = uniqueSorted(ve['ID']!);
    const planes = planeIds.map((pid) => {
      // rows of voxel_extents (relative to l1.lo) for this plane, per entry
      const rows: number[] = [];
      let count = 0;
      for (let e = 0; e < nEntries; e++) {
        let r = -1;
        for (let k = 0; k < l1.N[e]!; k++) {
          const rr = l1.first[e]! + k - l1.lo;
          if (ve['ID']![rr] === pid) r = rr;
        }
        rows.push(r);
        if (r >= 0) count += ve['N']![r]!;
      }
      const values = new Float32Array(count * (dim + 1));
      const ids = new Float64Array(count);
      const offsets = new Uint32Array(nEntries + 1);
      const planeMetas: ImageMeta[] = [];
      let o = 0;
      let lastMeta = metas[rows.find((r) => r >= 0)!]!;
      for (let e = 0; e < nEntries; e++) {
        const r = rows[e]!;
        if (r >= 0) {
          const meta = metas[r]!;
          lastMeta = meta;
          const total = totalVoxels(meta);
          const f = ve['first']![r]! - w.lo;
          for (let k = 0; k < ve['N']![r]!; k++, o++) {
            const id = vox['id']![f + k]!;
            const v = vox['value']![f + k]!;
            this.checkVoxel(g, w.lo + f + k, id, v, total, meta, range.start + e, opts);
            ids[o] = id;
            idToCoords(id, meta.numberOfVoxels, values, o * (dim + 1));
            values[o * (dim + 1) + dim] = v;
          }
        }
        planeMetas.push(lastMeta);
        offsets[e + 1] = o;
      }
      return { projectionId: pid, dim, metas: planeMetas, voxels: { values, offsets, width: dim + 1 }, ids };
    });
    return { file: this.fileName, product: type, producer, range, planes };
  }

  private checkVoxel(g: string, row: number, id: number, v: number, total: number, meta: ImageMeta, entry: number, opts: ReadOptions) {
    if (!(id >= 0 && id < total))
      throw new DataFileError({
        code: 'out-of-range',
        file: this.fileName,
        dataset: `${g}/voxels`,
        problem: `row ${row} (entry ${entry}, projection ${meta.projectionId}): voxel id ${id} outside the ${meta.numberOfVoxels.join('×')} image`,
        expected: `id < ${total}`,
      });
    const bad = opts.allowNaN ? null : unsafeValue(v);
    if (bad)
      throw new DataFileError({
        code: bad,
        file: this.fileName,
        dataset: `${g}/voxels`,
        problem: `row ${row} (entry ${entry}): value is ${v}`,
        expected: SAFE_VALUES,
      });
  }

  readClusters(type: 'cluster2d' | 'cluster3d', producer: string, range: EntryRange, opts: ReadOptions = {}): ClusterEntries {
    const g = this.group(type, producer);
    const dim = productDim(type);
    const l1 = this.level1(g, range, 'projection_extents');
    const pe = readColumns(this.src, `${g}/projection_extents`, l1.lo, l1.hi - l1.lo, ['first', 'N', 'ID']);
    const metas = readMetas(this.src, `${g}/image_meta`, l1.lo, l1.hi - l1.lo, dim);
    const nCl = tableInfo(this.src, `${g}/cluster_extents`).shape[0]!;
    const w2 = coverWindow(this.src, `${g}/projection_extents`, l1.lo, pe['first']!, pe['N']!, `${g}/cluster_extents`, nCl);
    const ce = readColumns(this.src, `${g}/cluster_extents`, w2.lo, w2.hi - w2.lo, ['first', 'N', 'ID']);
    const nVox = tableInfo(this.src, `${g}/voxels`).shape[0]!;
    const w3 = coverWindow(this.src, `${g}/cluster_extents`, w2.lo, ce['first']!, ce['N']!, `${g}/voxels`, nVox);
    const vox = readColumns(this.src, `${g}/voxels`, w3.lo, w3.hi - w3.lo, ['id', 'value']);

    const nEntries = range.end - range.start;
    const width = dim + 2;
    const planes = uniqueSorted(pe['ID']!).map((pid): ClusterPlaneData => {
      const rows: number[] = [];
      for (let e = 0; e < nEntries; e++) {
        let r = -1;
        for (let k = 0; k < l1.N[e]!; k++) if (pe['ID']![l1.first[e]! + k - l1.lo] === pid) r = l1.first[e]! + k - l1.lo;
        rows.push(r);
      }
      let nc = 0;
      let nv = 0;
      for (const r of rows)
        if (r >= 0)
          for (let c = 0; c < pe['N']![r]!; c++) {
            nc++;
            nv += ce['N']![pe['first']![r]! + c - w2.lo]!;
          }
      const values = new Float32Array(nv * width);
      const ids = new Float64Array(nv);
      const clusterIndex = new Int32Array(nv);
      const offsets = new Uint32Array(nEntries + 1);
      const clusterOffsets = new Uint32Array(nEntries + 1);
      const clusterIds = new Uint32Array(nc);
      const clusterSizes = new Uint32Array(nc);
      const planeMetas: ImageMeta[] = [];
      let lastMeta = metas[rows.find((r) => r >= 0)!]!;
      let o = 0;
      let ci = 0;
      for (let e = 0; e < nEntries; e++) {
        const r = rows[e]!;
        if (r >= 0) {
          const meta = metas[r]!;
          lastMeta = meta;
          const total = totalVoxels(meta);
          for (let c = 0; c < pe['N']![r]!; c++, ci++) {
            const cr = pe['first']![r]! + c - w2.lo;
            clusterIds[ci] = ce['ID']![cr]!;
            clusterSizes[ci] = ce['N']![cr]!;
            const f = ce['first']![cr]! - w3.lo;
            for (let k = 0; k < ce['N']![cr]!; k++, o++) {
              const id = vox['id']![f + k]!;
              const v = vox['value']![f + k]!;
              this.checkVoxel(g, w3.lo + f + k, id, v, total, meta, range.start + e, opts);
              ids[o] = id;
              idToCoords(id, meta.numberOfVoxels, values, o * width);
              values[o * width + dim] = v;
              values[o * width + dim + 1] = c;
              clusterIndex[o] = c;
            }
          }
        }
        planeMetas.push(lastMeta);
        offsets[e + 1] = o;
        clusterOffsets[e + 1] = ci;
      }
      return {
        projectionId: pid,
        dim,
        metas: planeMetas,
        voxels: { values, offsets, width },
        ids,
        clusterOffsets,
        clusterIds,
        clusterSizes,
        clusterIndex,
      };
    });
    return { file: this.fileName, product: type, producer, range, planes };
  }

  readImages(producer: string, range: EntryRange, opts: ReadOptions = {}): ImageEntries {
    const g = this.group('image2d', producer);
    const l1 = this.level1(g, range, 'image_extents');
    const ie = readColumns(this.src, `${g}/image_extents`, l1.lo, l1.hi - l1.lo, ['first', 'N', 'ID']);
    const metas = readMetas(this.src, `${g}/image_meta`, l1.lo, l1.hi - l1.lo, 2);
    const nPix = this.src.info(`${g}/images`).shape[0] ?? 0;
    const w = coverWindow(this.src, `${g}/image_extents`, l1.lo, ie['first']!, ie['N']!, `${g}/images`, nPix);
    const raw = this.src.readNumeric(`${g}/images`, w.lo, w.hi - w.lo);
    const pix = raw instanceof Float32Array ? raw : Float32Array.from(raw as Float64Array);
    const nEntries = range.end - range.start;
    const planes = uniqueSorted(ie['ID']!).map((pid): ImagePlaneData => {
      const rows: number[] = [];
      for (let e = 0; e < nEntries; e++) {
        let r = -1;
        for (let k = 0; k < l1.N[e]!; k++) if (ie['ID']![l1.first[e]! + k - l1.lo] === pid) r = l1.first[e]! + k - l1.lo;
        rows.push(r);
      }
      const total = rows.reduce((a, r) => a + (r >= 0 ? ie['N']![r]! : 0), 0);
      const values = new Float32Array(total);
      const offsets = new Uint32Array(nEntries + 1);
      const planeMetas: ImageMeta[] = [];
      let lastMeta = metas[rows.find((r) => r >= 0)!]!;
      let o = 0;
      for (let e = 0; e < nEntries; e++) {
        const r = rows[e]!;
        if (r >= 0) {
          const meta = metas[r]!;
          lastMeta = meta;
          const n = ie['N']![r]!;
          if (n !== totalVoxels(meta))
            throw new DataFileError({
              code: 'bad-shape',
              file: this.fileName,
              dataset: `${g}/image_extents`,
              problem: `row ${l1.lo + r}: image of ${n} pixels for a ${meta.numberOfVoxels.join('×')} grid`,
              expected: `${totalVoxels(meta)} pixels`,
            });
          const f = ie['first']![r]! - w.lo;
          const img = pix.subarray(f, f + n);
          if (!opts.allowNaN) {
            for (let k = 0; k < n; k++) {
              const bad = unsafeValue(img[k]!);
              if (bad)
                throw new DataFileError({
                  code: bad,
                  file: this.fileName,
                  dataset: `${g}/images`,
                  problem: `element ${w.lo + f + k} (entry ${range.start + e}) is ${img[k]}`,
                  expected: SAFE_VALUES,
                });
            }
          }
          values.set(img, o);
          o += n;
        }
        planeMetas.push(lastMeta);
        offsets[e + 1] = o;
      }
      return { projectionId: pid, metas: planeMetas, images: { values, offsets, width: 1 } };
    });
    return { file: this.fileName, producer, range, planes };
  }

  readParticles(producer: string, range: EntryRange): ParticleEntries {
    const g = this.group('particle', producer);
    const l1 = this.level1(g, range, 'particles');
    const info = tableInfo(this.src, `${g}/particles`);
    const present = PARTICLE_COLUMNS.filter((c) => {
      const parts = c.split('.');
      let t = info.dtype;
      for (const p of parts) {
        if (t.kind !== 'compound') return false;
        const m = t.members.find((x) => x.name === p);
        if (!m) return false;
        t = m.type;
      }
      return true;
    });
    const n = l1.hi - l1.lo;
    const cols = readColumns(this.src, `${g}/particles`, l1.lo, n, present);
    const process = readStringColumn(this.src, `${g}/particles`, l1.lo, n, 'process');
    // gather rows entry by entry (entries need not be contiguous)
    const nEntries = range.end - range.start;
    const counts = Array.from({ length: nEntries }, (_, e) => l1.N[e]!);
    const offsets = new Uint32Array(nEntries + 1);
    for (let e = 0; e < nEntries; e++) offsets[e + 1] = offsets[e]! + counts[e]!;
    const total = offsets[nEntries]!;
    const columns: Record<string, Float64Array> = {};
    for (const c of present) columns[c] = new Float64Array(total);
    const proc: string[] = new Array(total);
    for (let e = 0; e < nEntries; e++) {
      const f = l1.first[e]! - l1.lo;
      for (let k = 0; k < counts[e]!; k++) {
        const dst = offsets[e]! + k;
        for (const c of present) columns[c]![dst] = cols[c]![f + k]!;
        proc[dst] = process[f + k]!;
      }
    }
    return { file: this.fileName, producer, range, offsets, columns, process: proc };
  }
}

function uniqueSorted(a: Float64Array): number[] {
  return [...new Set(a)].sort((x, y) => x - y);
}

// Functional entry points (as named in the issue).
export function readSparse2dEntries(src: H5Source, producer: string, range: EntryRange, opts?: ReadOptions): SparseEntries {
  return new Larcv3Reader(src).readSparse('sparse2d', producer, range, opts);
}
export function readSparse3dEntries(src: H5Source, producer: string, range: EntryRange, opts?: ReadOptions): SparseEntries {
  return new Larcv3Reader(src).readSparse('sparse3d', producer, range, opts);
}
export function readCluster2dEntries(src: H5Source, producer: string, range: EntryRange, opts?: ReadOptions): ClusterEntries {
  return new Larcv3Reader(src).readClusters('cluster2d', producer, range, opts);
}
export function readCluster3dEntries(src: H5Source, producer: string, range: EntryRange, opts?: ReadOptions): ClusterEntries {
  return new Larcv3Reader(src).readClusters('cluster3d', producer, range, opts);
}
export function readImage2dEntries(src: H5Source, producer: string, range: EntryRange, opts?: ReadOptions): ImageEntries {
  return new Larcv3Reader(src).readImages(producer, range, opts);
}
export function readParticleEntries(src: H5Source, producer: string, range: EntryRange): ParticleEntries {
  return new Larcv3Reader(src).readParticles(producer, range);
}
