import { getDataClient, useDataStore, type LoadedFile, type StreamPlan } from '../../state/dataStore';
import { useTrainStore } from '../../state/trainStore';
import { streamable } from '../../data/stream/streamable';
import { loadTaskData, payloadNotes } from '../../tasks/fromFile/load';
import type { TrainingOption } from '../../tasks/fromFile/options';
import { optionId } from '../../train/runConfig';
import type { TaskData } from '../../tasks/types';

/**
 * Hands a file's training option to the Train panel ("Train on this file" and the gallery's
 * cards). Options that stream (Deep Sets on jagged sets, clustering on hits and larcv3
 * clusters, cosmic tagging on larcv3 sparse2d planes, SPANet events) read nothing here: the file gets the train role and Create opens the streams.
 * The others read the data whole through the data worker. Returns what the read changed or
 * noticed (notes), which also travel with the data's label.
 */
export async function attachTrainingOption(file: LoadedFile, o: TrainingOption): Promise<string[]> {
  const source = { file: file.name, option: optionId(o) };
  const r = o.request;
  if (streamable(r)) {
    const plan: StreamPlan = {
      kind: 'stream-plan',
      payload:
        r.kind === 'generic-sets' ? 'sets' : r.kind === 'larcv3-segmentation' ? 'planes' : r.kind === 'spanet-events' ? 'spanet' : 'hits',
      option: r,
      fileId: file.id,
      targetKind: r.kind === 'generic-sets' ? r.targetKind : undefined,
      label: `${file.name}: ${o.title}`,
    };
    useDataStore.getState().setRole(file.id, 'train');
    useTrainStore
      .getState()
      .setData({ taskId: o.taskId, label: `${file.name}: ${o.title} (streamed)`, payload: plan as unknown as TaskData, source });
    return [
      'streamed: batches go from the data worker to the training worker as training needs them; files of the validation and test roles are read the same way',
    ];
  }
  const payload = await loadTaskData(getDataClient(), file.id, file.name, o);
  const found = payloadNotes(payload);
  useTrainStore.getState().setData({
    taskId: o.taskId,
    label: `${file.name}: ${o.title}${found.length ? ` — ${found.join('; ')}` : ''}`,
    payload,
    source,
  });
  return found;
}
