/**
 * Turns file reads (load.ts) into the data format of the task they feed. Runs in the
 * training worker; data already in a task's format passes through unchanged.
 */
import type { ClusterEntries } from '../../data/larcv3/reader';
import type { HitsData } from '../clustering/data';
import type { SetsTaskData } from '../deepsets/data';
import type { TaskData } from '../types';
import type { FileTaskData } from './load';
import { segmentationPlanes } from './segmentation';
import { checkTargets, type TargetWhere } from './targets';

export function resolveFileData(data: TaskData): TaskData {
  const d = data as FileTaskData;
  switch (d.kind) {
    case 'file:larcv3-segmentation':
      return segmentationPlanes(d.image, d.label) as unknown as TaskData;
    case 'file:larcv3-clusters':
      return hitsFromClusters(d.clusters) as unknown as TaskData;
    case 'file:spanet-sets':
      return setsFromSpanet(d) as unknown as TaskData;
    case 'file:generic-sets': {
      const { values, offsets, width, targets } = d.sets;
      return setsWithTargets(
        values,
        offsets,
        width,
        targets,
        d.request.targetKind,
        `${d.file}: ${d.request.target}`,
        genericTargetWhere(d),
      ) as unknown as TaskData;
    }
    default:
      return data;
  }
}

/**
 * One clustering event per (entry, plane): hit features are the voxel coordinates scaled to
 * [0, 1) by the plane's grid, and log(1 + charge); the object id is the voxel's cluster
 * index + 1 within its entry (0 = a voxel in no cluster, i.e. noise).
 */
export function hitsFromClusters(c: ClusterEntries): HitsData {
  const dim = c.planes[0]?.dim ?? 2;
  const width = dim + 1;
  const feats: number[] = [];
  const ids: number[] = [];
  const offsets = [0];
  const eventNames: string[] = [];
  const entries = c.range.end - c.range.start;
  for (let e = 0; e < entries; e++) {
    for (const pl of c.planes) {
      const meta = pl.metas[e] ?? pl.metas[pl.metas.length - 1];
      const lo = pl.voxels.offsets[e];
      const hi = pl.voxels.offsets[e + 1];
      // Empty planes stay as empty events: the clustering task counts and skips them by name.
      eventNames.push(`entry ${c.range.start + e}${c.planes.length > 1 ? `, projection ${pl.projectionId}` : ''}`);
      const w = pl.voxels.width;
      for (let r = lo; r < hi; r++) {
        for (let a = 0; a < dim; a++) feats.push(pl.voxels.values[r * w + a] / meta.numberOfVoxels[a]);
        feats.push(Math.log1p(Math.max(0, pl.voxels.values[r * w + w - 1])));
        ids.push(pl.clusterIndex[r] >= 0 ? pl.clusterIndex[r] + 1 : 0);
      }
      offsets.push(ids.length);
    }
  }
  if (ids.length === 0)
    throw new Error(`${c.file}: ${c.product} "${c.producer}" has no voxels in entries ${c.range.start}–${c.range.end - 1}`);
  return {
    kind: 'hits',
    features: Float32Array.from(feats),
    width,
    objectId: Int32Array.from(ids),
    eventOffsets: Uint32Array.from(offsets),
    positionDims: dim,
    eventNames,
  };
}

/** Deep Sets data from a SPANet file: the jets of `source` as sets, one regression/class target per event. */
export function setsFromSpanet(d: Extract<FileTaskData, { kind: 'file:spanet-sets' }>): SetsTaskData {
  const { events, request } = d;
  const src = events.sources.find((s) => s.name === request.source);
  if (!src) throw new Error(`${d.file}: no input "${request.source}"`);
  const raw = request.targetKind === 'regression' ? events.regressions[request.target] : events.classifications[request.target];
  if (!raw) throw new Error(`${d.file}: no ${request.targetKind} "${request.target}"`);
  return setsWithTargets(
    src.data.values,
    src.data.offsets,
    src.data.width,
    raw,
    request.targetKind,
    `${d.file}: ${request.source} → ${request.target}`,
    spanetTargetWhere(d),
  );
}

export function spanetTargetWhere(d: Extract<FileTaskData, { kind: 'file:spanet-sets' }>): TargetWhere {
  const group = d.request.targetKind === 'regression' ? 'REGRESSIONS' : 'CLASSIFICATIONS';
  return { file: d.file, dataset: `/${group}/${d.request.target}`, item: 'event' };
}
export function genericTargetWhere(d: Extract<FileTaskData, { kind: 'file:generic-sets' }>): TargetWhere {
  return { file: d.file, dataset: d.request.target, item: 'set' };
}

/**
 * Sets with one target each. Sets whose target is NaN (none) are left out, counted in the
 * label; ±Inf is an error naming the file, dataset and set (checkTargets). Class targets are
 * relabelled 0..C-1 in sorted order of the file's values, and the label says which.
 */
export function setsWithTargets(
  values: Float32Array,
  offsets: Uint32Array,
  width: number,
  raw: ArrayLike<number>,
  targetKind: 'regression' | 'classification',
  label: string,
  where?: TargetWhere,
): SetsTaskData {
  const { keep, classes, notes } = checkTargets(raw, targetKind, where ?? { file: label, dataset: 'targets', item: 'set' });
  if (raw.length !== offsets.length - 1) throw new Error(`${label}: ${raw.length} targets for ${offsets.length - 1} sets`);
  const described = notes.length ? `${label} (${notes.join('; ')})` : label;
  const outOffsets = new Uint32Array(keep.length + 1);
  keep.forEach((i, k) => (outOffsets[k + 1] = outOffsets[k] + offsets[i + 1] - offsets[i]));
  const outValues = new Float32Array(outOffsets[keep.length] * width);
  keep.forEach((i, k) => outValues.set(values.subarray(offsets[i] * width, offsets[i + 1] * width), outOffsets[k] * width));
  if (targetKind === 'regression') {
    return {
      kind: 'sets',
      values: outValues,
      offsets: outOffsets,
      width,
      targets: Float32Array.from(keep, (i) => raw[i]),
      label: described,
    };
  }
  const index = new Map(classes.map((c, k) => [c, k]));
  return {
    kind: 'sets',
    values: outValues,
    offsets: outOffsets,
    width,
    targets: Int32Array.from(keep, (i) => index.get(raw[i])!),
    numClasses: Math.max(2, classes.length),
    label: described,
  };
}
