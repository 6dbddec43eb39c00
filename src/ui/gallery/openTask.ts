import { useDataStore } from '../../state/dataStore';
import { useTrainStore } from '../../state/trainStore';
import { taskSpec } from '../../tasks/catalog';
import { trainingOptions } from '../../tasks/fromFile/options';
import { attachTrainingOption } from '../data/attachOption';
import type { GalleryTask } from './galleryTasks';

/**
 * What a gallery card does: loads its demo file through the Data panel (so it is listed and
 * inspectable there), attaches the file's data for the task as "Train on this file" does,
 * selects the task and applies the card's preset. Throws with the reason when a step fails.
 */
export async function openGalleryTask(card: GalleryTask, baseUrl: string): Promise<string> {
  const train = useTrainStore.getState();
  if (!card.demoFile) {
    train.setData(null);
    train.selectTask(card.taskId);
    applyPreset(card);
    return `${taskSpec(card.taskId).label}: built-in data`;
  }
  const name = card.demoFile;
  const id = await useDataStore.getState().loadUrl(`${baseUrl}demo/${name}`, name);
  const file = useDataStore.getState().files.find((f) => f.id === id);
  if (!file || file.status !== 'ready' || !file.summary) throw new Error(`${name}: ${file?.error?.message ?? 'could not be opened'}`);
  const option = trainingOptions(file.summary, file.tree).find((o) => o.taskId === card.taskId);
  if (!option) throw new Error(`${name}: no ${taskSpec(card.taskId).label} data found in it`);
  // Select first (resets the form to the task's defaults), then attach and apply the preset.
  useTrainStore.getState().selectTask(card.taskId);
  await attachTrainingOption(file, option);
  applyPreset(card);
  return `${file.name}: ${option.title}`;
}

function applyPreset(card: GalleryTask): void {
  const { setConfig } = useTrainStore.getState();
  for (const [k, v] of Object.entries(card.preset)) if (v !== undefined) setConfig(k, v);
}
