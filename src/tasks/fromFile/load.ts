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
import type { FileRequest, TrainingOption } from './options';

export type FileTaskData =
  | { kind: 'file:larcv3-segmentation'; file: string; image: SparseEntries; label: SparseEntries }
  | { kind: 'file:larcv3-clusters'; file: string; clusters: ClusterEntries }
  | { kind: 'file:spanet-sets'; file: string; events: SpanetEvents; request: Extract<FileRequest, { kind: 'spanet-sets' }> }
  | { kind: 'file:generic-sets'; file: string; sets: JaggedSets; request: Extract<FileRequest, { kind: 'generic-sets' }> };

export async function loadTaskData(client: DataWorkerClient, fileId: string, fileName: string, option: TrainingOption): Promise<TaskData> {
  const r = option.request;
  switch (r.kind) {
    case 'larcv3-segmentation': {
      const range = { start: 0, end: r.entries };
      const image = (await client.readEntries(fileId, 'sparse2d', r.imageProducer, range)) as SparseEntries;
      const label = (await client.readEntries(fileId, 'sparse2d', r.labelProducer, range)) as SparseEntries;
      return { kind: 'file:larcv3-segmentation', file: fileName, image, label };
    }
    case 'larcv3-clusters': {
      const clusters = (await client.readEntries(fileId, r.product, r.producer, { start: 0, end: r.entries })) as ClusterEntries;
      return { kind: 'file:larcv3-clusters', file: fileName, clusters };
    }
    case 'spanet-events':
      return { events: await client.readSpanet(fileId, { start: 0, end: r.events }) };
    case 'spanet-sets':
      return { kind: 'file:spanet-sets', file: fileName, events: await client.readSpanet(fileId, { start: 0, end: r.events }), request: r };
    case 'generic-sets':
      return { kind: 'file:generic-sets', file: fileName, sets: await client.readSets(fileId, r.layout, r.target), request: r };
    case 'generic-hits': {
      // Already the clustering task's own format.
      const hits = await client.readHits(fileId, r.layout, r.idColumn);
      return { kind: 'hits', ...hits };
    }
  }
}
