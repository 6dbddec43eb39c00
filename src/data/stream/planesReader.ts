/**
 * Cosmic-tagging planes streamed from a larcv3 file: reads only the asked entries of an image
 * sparse2d producer and a label sparse2d producer into a PlanesPayload (still sparse).
 *
 * The planes are paired once, for the whole file, from the producers' tables alone (extents,
 * voxel_extents, image_meta: a few rows per entry, no voxels) by the same pairSegmentationPlanes
 * that the whole-file path uses, so the file-level decisions (projection pairing, a label
 * producer without voxels, grids that differ, the notes) are the same and come before the first
 * batch. Each batch then checks what only its voxels can tell: ids inside the grid, values
 * (the larcv3 reader), labels 0, 1, 2.
 *
 * Pixels: `index` is the pixel densifyPlanes fills (voxelPixel). A pixel listed twice in one
 * plane keeps its last voxel, as the dense fill does, so the indices of a plane are distinct
 * (the GPU scatter needs no atomics). Label-0 voxels are not listed.
 */
import { DataFileError } from '../errors';
import type { H5Source } from '../h5/source';
import { groupName } from '../larcv3/layout';
import type { ImageMeta } from '../larcv3/meta';
import type { SparseEntries, SparsePlaneData } from '../larcv3/reader';
import { coverWindow, readColumns, readMetas, tableInfo } from '../larcv3/tables';
import { PLANE_LABELS_TEXT, isPlaneLabel, voxelPixel } from '../../tasks/cosmic/planes';
import { pairSegmentationPlanes } from '../../tasks/fromFile/segmentation';
import type { PlanesPayload } from './planesPayload';
import { larcv3SparseReader, type RangeEntryReader } from './ranges';
import { StreamDataError, type EntryReader } from './types';

export class Larcv3PlanesReader implements EntryReader<PlanesPayload> {
  readonly file: string;
  readonly entries: number;
  /** Projection id of each payload plane (the image producer's, ascending, as the whole-file path orders them). */
  readonly projections: number[];
  /** Full-resolution plane: time rows × wire columns. */
  readonly height: number;
  readonly width: number;
  /** What the pairing noticed over the whole file (unlabelled planes, ignored label projections). */
  readonly notes: string[];
  readonly imageDataset: string;
  readonly labelDataset: string;
  private image: RangeEntryReader<SparseEntries>;
  private label: RangeEntryReader<SparseEntries>;
  /** Per pixel of one plane: the plane pass that last listed it, and where (last voxel wins). */
  private stamp: Int32Array | null = null;
  private slot: Int32Array | null = null;
  private pass = 0;

  constructor(src: H5Source, imageProducer: string, labelProducer: string) {
    this.file = src.fileName;
    this.image = larcv3SparseReader(src, 'sparse2d', imageProducer);
    this.label = larcv3SparseReader(src, 'sparse2d', labelProducer);
    this.imageDataset = `/Data/${groupName('sparse2d', imageProducer)}/voxels`;
    this.labelDataset = `/Data/${groupName('sparse2d', labelProducer)}/voxels`;
    if (this.label.entries !== this.image.entries)
      throw new DataFileError({
        code: 'bad-shape',
        file: this.file,
        dataset: `/Data/${groupName('sparse2d', labelProducer)}/extents`,
        problem: `label producer "${labelProducer}" has ${this.label.entries} entries, image producer "${imageProducer}" ${this.image.entries}`,
        expected: 'one label entry per image entry',
      });
    this.entries = this.image.entries;
    const { pairs, nvox, notes } = pairSegmentationPlanes(
      sparseLayout(src, imageProducer, this.entries),
      sparseLayout(src, labelProducer, this.entries),
      { denseLimit: false },
    );
    this.projections = pairs.map((p) => p.image.projectionId);
    [this.width, this.height] = nvox;
    this.notes = notes;
  }

  read(entries: Uint32Array): PlanesPayload {
    const img = this.image.read(entries);
    const lab = this.label.read(entries);
    // entry → its run and place in the run (runs cover the distinct entries, ascending)
    const at = new Map<number, { image: Map<number, SparsePlaneData>; label: Map<number, SparsePlaneData>; e: number }>();
    img.runs.forEach((run, i) => {
      const image = new Map(run.planes.map((pl) => [pl.projectionId, pl]));
      const label = new Map(lab.runs[i]!.planes.map((pl) => [pl.projectionId, pl]));
      for (let e = run.range.start; e < run.range.end; e++) at.set(e, { image, label, e: e - run.range.start });
    });
    const P = this.projections.length;
    const B = entries.length;
    const count = (pl: SparsePlaneData | undefined, e: number) => (pl ? pl.voxels.offsets[e + 1]! - pl.voxels.offsets[e]! : 0);
    let nImage = 0;
    let nLabel = 0;
    for (const entry of entries) {
      const r = at.get(entry)!;
      for (const pid of this.projections) {
        nImage += count(r.image.get(pid), r.e);
        nLabel += count(r.label.get(pid), r.e);
      }
    }
    const out = {
      imageOffsets: new Uint32Array(B * P + 1),
      imageIndex: new Uint32Array(nImage),
      imageValue: new Float32Array(nImage),
      labelOffsets: new Uint32Array(B * P + 1),
      labelIndex: new Uint32Array(nLabel),
      labelValue: new Int32Array(nLabel),
    };
    let ni = 0;
    let nl = 0;
    for (let b = 0; b < B; b++) {
      const entry = entries[b]!;
      const r = at.get(entry)!;
      for (let p = 0; p < P; p++) {
        const pid = this.projections[p]!;
        ni = this.fillPlane(r.image.get(pid), r.e, entry, pid, 'image', out.imageIndex, out.imageValue, ni);
        nl = this.fillPlane(r.label.get(pid), r.e, entry, pid, 'label', out.labelIndex, out.labelValue, nl);
        out.imageOffsets[b * P + p + 1] = ni;
        out.labelOffsets[b * P + p + 1] = nl;
      }
    }
    return {
      kind: 'planes-sparse',
      entries: Uint32Array.from(entries),
      events: B,
      planes: P,
      height: this.height,
      width: this.width,
      imageOffsets: out.imageOffsets,
      // shorter only where label-0 or repeated voxels were left out
      imageIndex: ni === nImage ? out.imageIndex : out.imageIndex.slice(0, ni),
      imageValue: ni === nImage ? out.imageValue : out.imageValue.slice(0, ni),
      labelOffsets: out.labelOffsets,
      labelIndex: nl === nLabel ? out.labelIndex : out.labelIndex.slice(0, nl),
      labelValue: nl === nLabel ? out.labelValue : out.labelValue.slice(0, nl),
    };
  }

  /** Appends one (entry, projection) plane's voxels at `n`; returns the new end. */
  private fillPlane(
    pl: SparsePlaneData | undefined,
    e: number,
    entry: number,
    pid: number,
    what: 'image' | 'label',
    index: Uint32Array,
    value: Float32Array | Int32Array,
    n: number,
  ): number {
    if (!pl) return n;
    const { height: H, width: W } = this;
    const start = n;
    const lo = pl.voxels.offsets[e]!;
    const hi = pl.voxels.offsets[e + 1]!;
    const w = pl.voxels.width;
    const values = pl.voxels.values;
    const dataset = what === 'image' ? this.imageDataset : this.labelDataset;
    const check = (id: number, pixel: number, v: number) => {
      if (pixel < 0)
        throw new StreamDataError(
          this.file,
          dataset,
          entry,
          `${what} voxel id ${id} of projection ${pid} is outside the ${H}×${W} grid (expected ids below ${H * W})`,
        );
      if (what === 'label' && !isPlaneLabel(v))
        throw new StreamDataError(this.file, dataset, entry, `label ${v} in projection ${pid} (expected ${PLANE_LABELS_TEXT})`);
    };
    // larcv3 keeps a voxel set's ids ascending, hence distinct: the common case needs no
    // per-pixel bookkeeping (a random access into a full plane per voxel)
    let prev = -1;
    let ascending = true;
    for (let k = lo; k < hi; k++) {
      const id = pl.ids[k]!;
      if (!(id > prev)) {
        ascending = false;
        break;
      }
      prev = id;
      const pixel = voxelPixel(id, H, W);
      const v = values[k * w + w - 1]!;
      check(id, pixel, v);
      index[n] = pixel;
      value[n++] = v;
    }
    if (!ascending) n = this.fillDistinct(pl, lo, hi, check, index, value, start);
    if (what === 'label') {
      // background is what the dense plane starts as: leave it out
      let m = start;
      for (let k = start; k < n; k++) {
        if (value[k] === 0) continue;
        index[m] = index[k]!;
        value[m++] = value[k]!;
      }
      n = m;
    }
    return n;
  }

  /** The plane's voxels in file order, a pixel listed twice keeping its last value (as the dense fill does). */
  private fillDistinct(
    pl: SparsePlaneData,
    lo: number,
    hi: number,
    check: (id: number, pixel: number, v: number) => void,
    index: Uint32Array,
    value: Float32Array | Int32Array,
    n: number,
  ): number {
    const { height: H, width: W } = this;
    if (!this.stamp) {
      this.stamp = new Int32Array(H * W);
      this.slot = new Int32Array(H * W);
    }
    if (++this.pass >= 2 ** 31 - 1) {
      this.stamp.fill(0);
      this.pass = 1;
    }
    const stamp = this.stamp;
    const slot = this.slot!;
    const pass = this.pass;
    const w = pl.voxels.width;
    for (let k = lo; k < hi; k++) {
      const id = pl.ids[k]!;
      const pixel = voxelPixel(id, H, W);
      const v = pl.voxels.values[k * w + w - 1]!;
      check(id, pixel, v);
      if (stamp[pixel] === pass) value[slot[pixel]!] = v;
      else {
        stamp[pixel] = pass;
        slot[pixel] = n;
        index[n] = pixel;
        value[n++] = v;
      }
    }
    return n;
  }
}

/**
 * A sparse2d producer's planes over the whole file without its voxels: per projection, the
 * voxel count and grid of every entry (metas repeat the last one seen where an entry lacks the
 * projection, as the larcv3 reader gives them). Enough for pairSegmentationPlanes.
 */
function sparseLayout(src: H5Source, producer: string, entries: number): SparseEntries {
  const g = `/Data/${groupName('sparse2d', producer)}`;
  const empty: SparseEntries = { file: src.fileName, product: 'sparse2d', producer, range: { start: 0, end: entries }, planes: [] };
  if (entries === 0) return empty;
  const ext = readColumns(src, `${g}/extents`, 0, entries, ['first', 'N']);
  const veRows = tableInfo(src, `${g}/voxel_extents`).shape[0]!;
  const win = coverWindow(src, `${g}/extents`, 0, ext['first']!, ext['N']!, `${g}/voxel_extents`, veRows);
  if (win.hi <= win.lo) return empty;
  const metaRows = tableInfo(src, `${g}/image_meta`).shape[0]!;
  if (win.hi > metaRows)
    throw new DataFileError({
      code: 'out-of-range',
      file: src.fileName,
      dataset: `${g}/image_meta`,
      problem: `${metaRows} rows but voxel_extents needs ${win.hi}`,
      expected: 'one image_meta row per voxel_extents row',
    });
  const ve = readColumns(src, `${g}/voxel_extents`, win.lo, win.hi - win.lo, ['N', 'ID']);
  const metas = readMetas(src, `${g}/image_meta`, win.lo, win.hi - win.lo, 2);
  const ids = [...new Set(ve['ID']!)].sort((a, b) => a - b);
  const planes = ids.map((pid): SparsePlaneData => {
    const offsets = new Uint32Array(entries + 1);
    const planeMetas: ImageMeta[] = [];
    let last: ImageMeta | null = null;
    const rows = new Int32Array(entries).fill(-1);
    for (let e = 0; e < entries; e++) {
      // the last row of the entry with this projection, as the larcv3 reader takes it
      for (let k = 0; k < ext['N']![e]!; k++) {
        const row = ext['first']![e]! + k - win.lo;
        if (ve['ID']![row] === pid) rows[e] = row;
      }
      if (last === null && rows[e]! >= 0) last = metas[rows[e]!]!;
    }
    for (let e = 0; e < entries; e++) {
      const row = rows[e]!;
      if (row >= 0) last = metas[row]!;
      planeMetas.push(last!);
      offsets[e + 1] = offsets[e]! + (row >= 0 ? ve['N']![row]! : 0);
    }
    return {
      projectionId: pid,
      dim: 2,
      metas: planeMetas,
      voxels: { values: new Float32Array(0), offsets, width: 3 },
      ids: new Float64Array(0),
    };
  });
  return { ...empty, planes };
}
