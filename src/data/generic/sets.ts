/**
 * Variable-size sets in a generic HDF5 file: a jagged array (values + offsets or counts, see
 * reader.ts) whose group may hold further 1-D columns of the same length (more features per
 * element), and any 1-D numeric dataset with one value per set as a training target.
 */
import { SAFE_VALUES, unsafeValue } from '../values';
import { DataFileError } from '../errors';
import { toFloat64 } from '../h5/decode';
import type { H5Source } from '../h5/source';
import { walkTree } from '../h5/tree';
import { isNumeric, type TreeNode } from '../h5/types';
import { readGenericJagged } from './reader';

export interface SetsTarget {
  path: string;
  /** float → regression; integer or bool → classification */
  kind: 'regression' | 'classification';
}

export interface JaggedSetsLayout {
  /** element feature datasets (1-D, one value per element); the first is the jagged values */
  features: string[];
  offsets: string;
  mode: 'offsets' | 'counts';
  sets: number;
  targets: SetsTarget[];
}

/** Columns that hold a truth object id per element (hits of tracks or showers). */
export const OBJECT_ID_COLUMN = /(^|\/)(object_?id|cluster_?id|particle_?id|track_?id)$/i;

export interface JaggedSets {
  values: Float32Array;
  offsets: Uint32Array;
  width: number;
  targets: Float64Array;
}

const parentOf = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';

/**
 * Finds groups holding an `offsets` / `counts` / `lengths` dataset (optionally prefixed,
 * e.g. `jet_counts`) beside 1-D element columns of one common length; every other 1-D
 * numeric dataset of the file with one value per set is a candidate target.
 */
export function jaggedSetsLayouts(tree: TreeNode): JaggedSetsLayout[] {
  const oneD = [...walkTree(tree)]
    .filter((n) => n.dataset && isNumeric(n.dataset.dtype) && n.dataset.shape.length === 1)
    .map((n) => n.dataset!);
  const out: JaggedSetsLayout[] = [];
  for (const index of oneD) {
    const m = /(?:^|_)(offsets|counts|lengths)$/.exec(index.name);
    if (!m) continue;
    const mode = m[1] === 'offsets' ? 'offsets' : 'counts';
    const sets = mode === 'offsets' ? index.shape[0]! - 1 : index.shape[0]!;
    const siblings = oneD.filter((d) => d !== index && parentOf(d.path) === parentOf(index.path) && d.shape[0] !== index.shape[0]);
    if (sets < 1 || !siblings.length) continue;
    // The element columns: the most common length among the siblings.
    const byLength = new Map<number, string[]>();
    for (const d of siblings) byLength.set(d.shape[0]!, [...(byLength.get(d.shape[0]!) ?? []), d.path]);
    const features = [...byLength.values()].sort((a, b) => b.length - a.length)[0];
    const targets = oneD
      .filter((d) => d.shape[0] === sets && d !== index && !features.includes(d.path))
      .map((d): SetsTarget => ({ path: d.path, kind: d.dtype.kind === 'float' ? 'regression' : 'classification' }));
    if (targets.length || features.some((f) => OBJECT_ID_COLUMN.test(f))) out.push({ features, offsets: index.path, mode, sets, targets });
  }
  return out;
}

/** Reads the sets (features interleaved per element) and one target per set. */
export function readJaggedSets(src: H5Source, l: JaggedSetsLayout, targetPath: string): JaggedSets {
  const { values, offsets, width } = readElements(src, l, l.features);
  const targets = toFloat64(src.readNumeric(targetPath));
  if (targets.length !== offsets.length - 1) {
    throw new DataFileError({
      code: 'bad-shape',
      file: src.fileName,
      dataset: targetPath,
      problem: `${targets.length} values`,
      expected: `${offsets.length - 1} values, one per set`,
    });
  }
  return { values, offsets, width, targets };
}

export interface JaggedHits {
  features: Float32Array;
  width: number;
  objectId: Int32Array;
  eventOffsets: Uint32Array;
  positionDims: number;
}

/** The feature columns of hits: all but the id, positions (x, y, z) first. */
const positionRank = (p: string) => ['x', 'y', 'z'].indexOf(p.slice(p.lastIndexOf('/') + 1).toLowerCase()) >>> 0;

export function hitFeatures(l: JaggedSetsLayout, idPath: string): string[] {
  // Positions first: the clustering task draws columns 0 and 1 as the event display.
  return l.features.filter((p) => p !== idPath).sort((a, b) => positionRank(a) - positionRank(b));
}

/** How many leading hit features are coordinates (columns named x, y, z); 2 when none is. */
export function hitPositionDims(l: JaggedSetsLayout, idPath: string): number {
  return hitFeatures(l, idPath).filter((p) => positionRank(p) < 3).length || 2;
}

/**
 * Events of hits: every element column but the id column as features (x, y, z first), the
 * id column as truth.
 */
export function readJaggedHits(src: H5Source, l: JaggedSetsLayout, idPath: string): JaggedHits {
  const features = hitFeatures(l, idPath);
  if (!features.length)
    throw new DataFileError({
      code: 'missing-dataset',
      file: src.fileName,
      dataset: idPath,
      problem: 'no feature columns beside the object id',
      expected: 'hit positions beside the id',
    });
  const { values, offsets, width } = readElements(src, l, features);
  const ids = toFloat64(src.readNumeric(idPath));
  const objectId = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    if (!Number.isInteger(ids[i])) {
      throw new DataFileError({
        code: 'bad-dtype',
        file: src.fileName,
        dataset: idPath,
        problem: `id ${ids[i]} at hit ${i}`,
        expected: 'integer object ids (≤ 0 = noise)',
      });
    }
    objectId[i] = ids[i];
  }
  if (objectId.length !== values.length / width) {
    throw new DataFileError({
      code: 'bad-shape',
      file: src.fileName,
      dataset: idPath,
      problem: `${objectId.length} ids`,
      expected: `${values.length / width}, one per hit`,
    });
  }
  return { features: values, width, objectId, eventOffsets: offsets, positionDims: Math.min(width, hitPositionDims(l, idPath)) };
}

function readElements(src: H5Source, l: JaggedSetsLayout, paths: string[]): { values: Float32Array; offsets: Uint32Array; width: number } {
  const { offsets } = readGenericJagged(src, { values: paths[0], offsets: l.offsets, mode: l.mode });
  const columns = paths.map((p) => toFloat64(src.readNumeric(p)));
  const width = columns.length;
  const n = columns[0].length;
  const values = new Float32Array(n * width);
  columns.forEach((col, c) => {
    if (col.length !== n) {
      throw new DataFileError({
        code: 'bad-shape',
        file: src.fileName,
        dataset: paths[c],
        problem: `${col.length} values`,
        expected: `${n} values, one per element like ${paths[0]}`,
      });
    }
    for (let i = 0; i < n; i++) {
      const bad = unsafeValue(col[i]);
      if (bad) {
        throw new DataFileError({
          code: bad,
          file: src.fileName,
          dataset: paths[c],
          problem: `value ${col[i]} at element ${i}`,
          expected: SAFE_VALUES,
        });
      }
      values[i * width + c] = col[i];
    }
  });
  return { values, offsets, width };
}
