/**
 * Reads what a training option needs through the data worker and packs it for the training
 * worker. Conversion to the task's own format happens there (convert.ts), off the page's
 * thread; here we only move typed arrays.
 */
import type { ClusterEntries, SparseEntries } from '../../data/larcv3/reader';
import type { SpanetEvents } from '../../data/spanet/reader';
import type { DataWorkerClient } from '../../data/worker/client';
import type { JaggedSets } from '../../data/generic/sets';
import type { TaskData } from '../types';
import { genericTargetWhere, spanetTargetWhere } from './convert';
import type { FileRequest, TrainingOption } from './options';
import { pairSegmentationPlanes } from './segmentation';
import { checkTargets, classNotes } from './targets';

export type FileTaskData = (
  | { kind: 'file:larcv3-segmentation'; file: string; image: SparseEntries; label: SparseEntries }
  | { kind: 'file:larcv3-clusters'; file: string; clusters: ClusterEntries }
  | { kind: 'file:spanet-sets'; file: string; events: SpanetEvents; request: Extract<FileRequest, { kind: 'spanet-sets' }> }
  | { kind: 'file:generic-sets'; file: string; sets: JaggedSets; request: Extract<FileRequest, { kind: 'generic-sets' }> }
) & {
  /** what the read noticed that changes the data (targets left out, unlabelled planes, …), shown with it */
  notes?: string[];
};

/** The notes a loaded payload carries (see fileDataNotes), for the page to show beside the data. */
export function payloadNotes(payload: TaskData): string[] {
  const n = (payload as { notes?: unknown }).notes;
  return Array.isArray(n) ? n.map(String) : [];
}

/**
 * Reads the data of `option`. The checks that need no conversion run here, on the page, so
 * that errors come before a model is built and notes can be shown with the data; the
 * training worker converts (convert.ts) and repeats them.
 */
export async function loadTaskData(client: DataWorkerClient, fileId: string, fileName: string, option: TrainingOption): Promise<TaskData> {
  const r = option.request;
  switch (r.kind) {
    case 'larcv3-segmentation': {
      const range = { start: 0, end: r.entries };
      const image = (await client.readEntries(fileId, 'sparse2d', r.imageProducer, range)) as SparseEntries;
      const label = (await client.readEntries(fileId, 'sparse2d', r.labelProducer, range)) as SparseEntries;
      return withNotes({ kind: 'file:larcv3-segmentation', file: fileName, image, label });
    }
    case 'larcv3-clusters': {
      const clusters = (await client.readEntries(fileId, r.product, r.producer, { start: 0, end: r.entries })) as ClusterEntries;
      return { kind: 'file:larcv3-clusters', file: fileName, clusters };
    }
    case 'spanet-events': {
      const events = await client.readSpanet(fileId, { start: 0, end: r.events });
      const notes = spanetClassNotes(events, fileName);
      return notes.length ? { events, notes } : { events };
    }
    case 'spanet-sets':
      return withNotes({
        kind: 'file:spanet-sets',
        file: fileName,
        events: await client.readSpanet(fileId, { start: 0, end: r.events }),
        request: r,
      });
    case 'generic-sets':
      return withNotes({ kind: 'file:generic-sets', file: fileName, sets: await client.readSets(fileId, r.layout, r.target), request: r });
    case 'generic-hits': {
      // Already the clustering task's own format.
      const hits = await client.readHits(fileId, r.layout, r.idColumn);
      return { kind: 'hits', ...hits };
    }
  }
}

function withNotes(d: FileTaskData): TaskData {
  const notes = fileDataNotes(d);
  return (notes.length ? { ...d, notes } : d) as TaskData;
}

/** The checks of convert.ts that need no conversion: throws what it would throw, returns its notes. */
export function fileDataNotes(d: FileTaskData): string[] {
  switch (d.kind) {
    case 'file:larcv3-segmentation':
      return pairSegmentationPlanes(d.image, d.label).notes;
    case 'file:spanet-sets': {
      const raw =
        d.request.targetKind === 'regression' ? d.events.regressions[d.request.target] : d.events.classifications[d.request.target];
      return raw ? checkTargets(raw, d.request.targetKind, spanetTargetWhere(d)).notes : [];
    }
    case 'file:generic-sets':
      return checkTargets(d.sets.targets, d.request.targetKind, genericTargetWhere(d)).notes;
    default:
      return [];
  }
}

/**
 * SPANet's classification heads have max id + 1 classes (src/tasks/spanet/prepare.ts): say
 * which classes each one found, warn about stray ids, refuse heads over MAX_CLASSES.
 */
export function spanetClassNotes(events: SpanetEvents, file: string): string[] {
  const notes: string[] = [];
  for (const [k, v] of Object.entries(events.classifications)) {
    const counts = new Map<number, number>();
    for (const x of v) if (!Number.isNaN(x)) counts.set(x, (counts.get(x) ?? 0) + 1);
    if (!counts.size) continue;
    const classes = [...counts.keys()].sort((a, b) => a - b);
    notes.push(...classNotes(classes, counts, { file, dataset: `/CLASSIFICATIONS/${k}`, item: 'event' }, 'ids'));
  }
  return notes;
}
