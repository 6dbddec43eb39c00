// Every task the workbench offers. A new task adds one import and one entry.
import { toyRegressionTask } from './toy/task';
import { deepSetsTask } from './deepsets/task';
import { spanetTask } from './spanet/task';
import { clusteringTask } from './clustering/task';
import { cosmicTaggingTask } from './cosmic/task';
import type { TaskDefinition } from './types';

export const TASKS: TaskDefinition[] = [
  toyRegressionTask as unknown as TaskDefinition,
  deepSetsTask as unknown as TaskDefinition,
  spanetTask as unknown as TaskDefinition,
  clusteringTask as unknown as TaskDefinition,
  cosmicTaggingTask as unknown as TaskDefinition,
];

export function findTask(id: string): TaskDefinition {
  const t = TASKS.find((d) => d.id === id);
  if (!t) throw new Error(`unknown task "${id}" (known: ${TASKS.map((d) => d.id).join(', ')})`);
  return t;
}
