/**
 * SPANet v2's optimiser and learning-rate schedule from its options (jet_reconstruction_base.py
 * configure_optimizers and learning_rate_schedules.py): steps per epoch = ⌊train events /
 * (batch_size · max(1, num_gpu))⌋ (drop_last), total = steps per epoch · epochs, warm-up =
 * round(steps per epoch · learning_rate_warmup_epochs) (Python's round, half to even); then a
 * linear decay to 0 (learning_rate_cycles < 1) or a cosine with learning_rate_cycles hard restarts.
 */
import type { OptimizerConfig } from '../../train/optimConfig';
import type { SpanetOptions } from './options';

/** Python's round(): halves go to the even neighbour. */
export function pythonRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

export interface UpstreamSchedule {
  stepsPerEpoch: number;
  totalSteps: number;
  warmupSteps: number;
  cycles: number;
  /** lr multiplier of optimiser step k (torch LambdaLR's lr_lambda(k)) */
  factor: (k: number) => number;
  /** the same as the workbench's optimiser settings where they can express it exactly, else null */
  optimizer: Partial<OptimizerConfig> | null;
}

export function upstreamSchedule(o: SpanetOptions, trainEvents: number): UpstreamSchedule {
  const stepsPerEpoch = Math.floor(trainEvents / (Number(o.batch_size) * Math.max(1, Number(o.num_gpu))));
  const totalSteps = stepsPerEpoch * Number(o.epochs);
  const warmupSteps = pythonRound(stepsPerEpoch * Number(o.learning_rate_warmup_epochs));
  const cycles = Number(o.learning_rate_cycles);
  const W = warmupSteps,
    T = totalSteps;
  const factor = (k: number): number => {
    if (k < W) return k / Math.max(1, W);
    if (cycles < 1) return Math.max(0, (T - k) / Math.max(1, T - W));
    const progress = (k - W) / Math.max(1, T - W);
    if (progress >= 1) return 0;
    return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((cycles * progress) % 1))));
  };
  const base: Partial<OptimizerConfig> = {
    lr: Number(o.learning_rate),
    weight_decay: Number(o.l2_penalty),
    clip_norm: Number(o.gradient_clip),
    warmup_steps: W,
    decay_steps: T,
    min_lr_ratio: 0,
  };
  const name = String(o.optimizer).toLowerCase();
  // one cosine cycle is our half-cosine schedule; several hard restarts have no equivalent yet
  const schedule = cycles < 1 ? 'warmup_linear' : cycles === 1 ? 'warmup_cosine' : null;
  const optimizer =
    (name === 'adamw' || name === 'adam') && schedule
      ? { ...base, name: name as OptimizerConfig['name'], schedule: schedule as OptimizerConfig['schedule'] }
      : null;
  return { stepsPerEpoch, totalSteps, warmupSteps, cycles, factor, optimizer };
}
