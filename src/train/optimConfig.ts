/**
 * The optimiser part of a run description (RUN.json "optimizer", the Train panel's settings).
 * Keys are snake_case as in RUN.json; every key is optional and takes the default below.
 */
export type OptimizerName = 'adamw' | 'adam' | 'sgd';
export type ScheduleName =
  'constant' | 'warmup_linear' | 'warmup_cosine' | 'warmup_cosine_restarts' | 'step' | 'one_cycle' | 'cosmictagger';

export interface OptimizerConfig {
  name: OptimizerName;
  lr: number;
  /** AdamW: decoupled decay; Adam: L2 added to the gradient (torch.optim.Adam); SGD: L2. */
  weight_decay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** SGD momentum and Nesterov. */
  momentum: number;
  nesterov: boolean;
  /** AdamW/Adam: biases and norm parameters get no weight decay (a second parameter group). */
  no_decay_bias_norm: boolean;
  schedule: ScheduleName;
  warmup_steps: number;
  /** Steps over which warmup_linear / warmup_cosine / one_cycle decay (0: the run's steps). */
  decay_steps: number;
  /** Final lr as a fraction of lr for the decaying schedules. */
  min_lr_ratio: number;
  /** warmup_cosine_restarts: the number of cosine cycles (hard restarts) after the warm-up. */
  cycles: number;
  /** step schedule: multiply by gamma every step_size steps. */
  step_size: number;
  gamma: number;
  /** Clip the global gradient norm to this (0 = off). */
  clip_norm: number;
  /** Consecutive non-finite steps after which training pauses. */
  max_skipped_steps: number;
}

export const DEFAULT_OPTIMIZER: OptimizerConfig = {
  name: 'adamw',
  lr: 1e-3,
  weight_decay: 0,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  momentum: 0,
  nesterov: false,
  no_decay_bias_norm: true,
  schedule: 'constant',
  warmup_steps: 0,
  decay_steps: 0,
  min_lr_ratio: 0,
  cycles: 1,
  step_size: 1000,
  gamma: 0.1,
  clip_norm: 0,
  max_skipped_steps: 10,
};
