/**
 * Cosmic-tagging planes from a larcv3 image producer and a label producer, paired by
 * projection id (not by position: a label producer may lack a projection, or list them in
 * another order).
 *
 * Decided per case:
 * - a label producer with no voxels at all in the entries read, where the image has voxels,
 *   is an error (file, producer, entries): every pixel would train as background;
 * - an image projection the label producer never has, where the image has voxels, is an
 *   error (file, producer, projection, first entry with image voxels);
 * - single (entry, projection) planes with image voxels but no label voxels are a note with
 *   their count and the first ones: CosmicTagger stores only non-background label pixels, so
 *   an all-background plane is legitimate, but it should be visible;
 * - label projections without an image plane are ignored, with a note;
 * - grids too large to densify (densifyPlanes' byte limit) and grids that differ between
 *   planes are errors naming the file, the producer, the entry and the projection.
 */
import { DataFileError } from '../../data/errors';
import { groupName } from '../../data/larcv3/layout';
import type { SparseEntries, SparsePlaneData } from '../../data/larcv3/reader';
import { MAX_DENSE_PLANE_BYTES, bytesText, densePlaneBytes, densifyPlanes, type PlaneData, type SparsePlaneVoxels } from '../cosmic/planes';

const FIRST = 5;

export interface PlanePairing {
  pairs: { image: SparsePlaneData; label: SparsePlaneData | null }[];
  nvox: [number, number];
  notes: string[];
}

const group = (s: SparseEntries) => `/Data/${groupName(s.product, s.producer)}`;
const count = (pl: SparsePlaneData, e: number) => pl.voxels.offsets[e + 1]! - pl.voxels.offsets[e]!;

function firstEntryWithVoxels(s: SparseEntries): number {
  const n = s.range.end - s.range.start;
  for (let e = 0; e < n; e++) if (s.planes.some((pl) => count(pl, e) > 0)) return e;
  return -1;
}

/**
 * Pairs the planes and checks them (see the file comment); no pixel is densified yet.
 * `denseLimit: false` skips the dense-bytes check (the streaming reader pairs a whole file's
 * layout but densifies one batch at a time).
 */
export function pairSegmentationPlanes(image: SparseEntries, label: SparseEntries, opts: { denseLimit?: boolean } = {}): PlanePairing {
  const file = image.file;
  const entries = image.range.end - image.range.start;
  const entry = (e: number) => image.range.start + e;
  if (label.range.start !== image.range.start || label.range.end !== image.range.end)
    throw new Error(
      `${file}: image entries ${image.range.start}..${image.range.end} and label entries ${label.range.start}..${label.range.end} differ`,
    );
  if (!image.planes.length)
    throw new DataFileError({
      code: 'missing-dataset',
      file,
      dataset: `${group(image)}/voxel_extents`,
      problem: `image producer "${image.producer}" has no planes in entries ${entry(0)}..${entry(entries - 1)}`,
      expected: 'sparse2d planes',
    });
  const first = image.planes[0]!;
  const meta = first.metas[0]!;
  if (meta.numberOfVoxels.length !== 2)
    throw new DataFileError({
      code: 'bad-shape',
      file,
      dataset: `${group(image)}/image_meta`,
      problem: `producer "${image.producer}" has ${meta.numberOfVoxels.length}-D planes`,
      expected: '2-D planes',
    });
  const nvox: [number, number] = [meta.numberOfVoxels[0]!, meta.numberOfVoxels[1]!];

  // the size check comes first: it needs no pixel, and a huge grid would fail to allocate
  const bytes = densePlaneBytes(entries, image.planes.length, nvox[0], nvox[1]);
  if (opts.denseLimit !== false && bytes > MAX_DENSE_PLANE_BYTES)
    throw new DataFileError({
      code: 'bad-shape',
      file,
      dataset: `${group(image)}/image_meta`,
      problem: `the ${nvox.join('×')} grid of sparse2d "${image.producer}" (${image.planes.length} planes × ${entries} entries) needs ${bytesText(bytes)} as dense float32 images + uint8 labels`,
      expected: `at most ${bytesText(MAX_DENSE_PLANE_BYTES)}: a smaller grid, or fewer entries`,
    });

  const notes: string[] = [];
  const byId = new Map(label.planes.map((pl) => [pl.projectionId, pl]));
  const imageIds = new Set(image.planes.map((pl) => pl.projectionId));
  const extra = label.planes.filter((pl) => !imageIds.has(pl.projectionId)).map((pl) => pl.projectionId);
  if (extra.length)
    notes.push(
      `label projection${extra.length > 1 ? 's' : ''} ${extra.join(', ')} of "${label.producer}" ${extra.length > 1 ? 'have' : 'has'} no image plane in "${image.producer}" and ${extra.length > 1 ? 'are' : 'is'} ignored`,
    );

  // a label producer without a single voxel: the clearest message, before any per-plane one
  const firstImage = firstEntryWithVoxels(image);
  if (firstImage >= 0 && label.planes.every((pl) => pl.voxels.offsets[entries] === 0))
    throw new DataFileError({
      code: 'missing-dataset',
      file,
      dataset: `${group(label)}/voxels`,
      problem: `label producer "${label.producer}" has no voxels in entries ${entry(0)}..${entry(entries - 1)}, where image producer "${image.producer}" has voxels (first in entry ${entry(firstImage)}): every pixel would train as background`,
      expected: 'label voxels (1 cosmic, 2 neutrino) for the image voxels',
    });

  const pairs = image.planes.map((img) => {
    const lab = byId.get(img.projectionId) ?? null;
    if (!lab) {
      const e = Array.from({ length: entries }, (_, k) => k).find((k) => count(img, k) > 0);
      if (e !== undefined)
        throw new DataFileError({
          code: 'missing-dataset',
          file,
          dataset: `${group(label)}/voxel_extents`,
          problem: `label producer "${label.producer}" has no projection ${img.projectionId} (it has ${label.planes.map((p) => p.projectionId).join(', ') || 'none'}), but image producer "${image.producer}" has voxels there, first in entry ${entry(e)}`,
          expected: `a label plane for every image projection (${[...imageIds].join(', ')})`,
        });
      notes.push(`projection ${img.projectionId} has neither image voxels nor a label plane`);
    }
    return { image: img, label: lab };
  });

  for (const { image: img, label: lab } of pairs) {
    for (const [s, pl] of [
      [image, img],
      [label, lab],
    ] as const) {
      if (!pl) continue;
      pl.metas.forEach((m, e) => {
        if (m.numberOfVoxels[0] !== nvox[0] || m.numberOfVoxels[1] !== nvox[1])
          throw new DataFileError({
            code: 'bad-shape',
            file,
            dataset: `${group(s)}/image_meta`,
            problem: `entry ${entry(e)}, projection ${pl.projectionId} of "${s.producer}" is ${m.numberOfVoxels.join('×')}`,
            expected: `${nvox.join('×')} like projection ${first.projectionId} of "${image.producer}"`,
          });
      });
    }
  }

  // planes with image voxels but no label voxels
  const unlabelled: string[] = [];
  let imagePlanes = 0;
  for (let e = 0; e < entries; e++) {
    for (const { image: img, label: lab } of pairs) {
      if (!count(img, e)) continue;
      imagePlanes++;
      if (!lab || !count(lab, e)) unlabelled.push(`entry ${entry(e)} projection ${img.projectionId}`);
    }
  }
  if (unlabelled.length)
    notes.push(
      `${unlabelled.length} of ${imagePlanes} planes with image voxels have no "${label.producer}" label voxels and train as all background ` +
        `(${unlabelled.slice(0, FIRST).join(', ')}${unlabelled.length > FIRST ? ', …' : ''})`,
    );
  return { pairs, nvox, notes };
}

/** Dense planes of the pairing, with its notes; label and grid errors name the file. */
export function segmentationPlanes(image: SparseEntries, label: SparseEntries): PlaneData {
  const { pairs, nvox, notes } = pairSegmentationPlanes(image, label);
  const entries = image.range.end - image.range.start;
  const voxels = (pl: SparsePlaneData | null, e: number): SparsePlaneVoxels => {
    if (!pl) return { ids: [], values: [] };
    const lo = pl.voxels.offsets[e]!;
    const hi = pl.voxels.offsets[e + 1]!;
    const w = pl.voxels.width;
    return {
      ids: pl.ids.subarray(lo, hi),
      values: Float32Array.from({ length: hi - lo }, (_, k) => pl.voxels.values[(lo + k) * w + w - 1]!),
    };
  };
  const img = Array.from({ length: entries }, (_, e) => pairs.map((p) => voxels(p.image, e)));
  const lab = Array.from({ length: entries }, (_, e) => pairs.map((p) => voxels(p.label, e)));
  const d = densifyPlanes(img, lab, nvox, {
    file: image.file,
    imageDataset: `${group(image)}/voxels`,
    labelDataset: `${group(label)}/voxels`,
    entry: (e) => image.range.start + e,
    projection: (p) => pairs[p]!.image.projectionId,
  });
  return notes.length ? { ...d, notes } : d;
}
