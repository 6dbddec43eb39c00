// Every task the workbench offers. A new task adds one import and one entry.
import { toyRegressionTask } from './toy/task';
import type { TaskDefinition } from './types';

export const TASKS: TaskDefinition[] = [toyRegressionTask as unknown as TaskDefinition];

export function findTask(id: string): TaskDefinition {
  const t = TASKS.find((d) => d.id === id);
  if (!t) throw new Error(`unknown task "${id}" (known: ${TASKS.map((d) => d.id).join(', ')})`);
  return t;
}
