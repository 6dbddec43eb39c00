// The tasks the page offers, as plain data: ids, labels, descriptions, form fields, defaults.
// The page imports this, never src/tasks/index.ts, so no kernel or model code reaches it; the
// training worker, the CLI and the tests build the tasks from index.ts (same order, same specs).
import { clusteringSpec } from './clustering/spec';
import { cosmicTaggingSpec } from './cosmic/spec';
import { deepSetsSpec } from './deepsets/spec';
import { spanetSpec } from './spanet/spec';
import { toySpec } from './toy/spec';
import type { TaskSpec } from './types';

export const TASK_CATALOG: TaskSpec[] = [toySpec, deepSetsSpec, spanetSpec, clusteringSpec, cosmicTaggingSpec] as unknown as TaskSpec[];

export function taskSpec(id: string): TaskSpec {
  const t = TASK_CATALOG.find((d) => d.id === id);
  if (!t) throw new Error(`unknown task "${id}" (known: ${TASK_CATALOG.map((d) => d.id).join(', ')})`);
  return t;
}
