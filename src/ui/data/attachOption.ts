import { getDataClient, type LoadedFile } from '../../state/dataStore';
import { useTrainStore } from '../../state/trainStore';
import { loadTaskData, payloadNotes } from '../../tasks/fromFile/load';
import type { TrainingOption } from '../../tasks/fromFile/options';
import { optionId } from '../../train/runConfig';

/**
 * Reads a file's data for one training option and hands it to the Train panel ("Train on
 * this file" and the gallery's cards). Returns what the read changed or noticed (notes),
 * which also travel with the data's label.
 */
export async function attachTrainingOption(file: LoadedFile, o: TrainingOption): Promise<string[]> {
  const payload = await loadTaskData(getDataClient(), file.id, file.name, o);
  const found = payloadNotes(payload);
  useTrainStore.getState().setData({
    taskId: o.taskId, label: `${file.name}: ${o.title}${found.length ? ` — ${found.join('; ')}` : ''}`, payload,
    source: { file: file.name, option: optionId(o) },
  });
  return found;
}
