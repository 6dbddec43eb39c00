/**
 * RUN.json: the run description the UI saves and loads and `physml train` runs.
 *   {"task", "config": {task options, same keys as the form}, "optimizer": {...},
 *    "data": {"train", "validation"?, ...file option choices}, "seed", "steps", "eval_every", ...}
 * Omitted keys take the task's defaults; unknown keys are an error naming the key.
 */
import type { TaskConfig } from '../tasks/types';
import type { OptimizerConfig } from './optimConfig';

export interface RunDataConfig {
  /** Path (CLI) or loaded file name (UI) of the training file; omitted: the task's built-in data. */
  train?: string;
  validation?: string;
  test?: string;
  /** Which of the file's training options (the "Train on this file" choice), by its id. */
  option?: string;
  /** Extra choices of the file option (target column, producers, …). */
  [key: string]: unknown;
}

export interface RunConfig {
  name?: string;
  task: string;
  config: TaskConfig;
  optimizer: OptimizerConfig;
  data: RunDataConfig;
  seed: number;
  steps: number;
  eval_every: number;
  /** Steps between metric readbacks. */
  read_every: number;
  /** Micro-batches per optimiser step. */
  accumulate: number;
}
