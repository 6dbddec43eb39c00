/**
 * SPANet v2's optimiser and learning-rate schedule from its options (jet_reconstruction_base.py
 * configure_optimizers and learning_rate_schedules.py): steps per epoch = ⌊train events /
 * (batch_size · max(1, num_gpu))⌋ (drop_last), total = steps per epoch · epochs, warm-up =
 * round(steps per epoch · learning_rate_warmup_epochs) (Python's round, half to even); then a
 * linear decay to 0 (learning_rate_cycles < 1) or a cosine with learning_rate_cycles hard restarts.
 */
import type { OptimizerConfig } from '../../train/optimConfig';
import type { OptimizerPlan } from '../types';
import { OptionsFileError, type SpanetOptions } from './options';

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
  /** the same in warmup_linear / warmup_cosine where they express it exactly (several restarts: null); see upstreamOptimizerPlan */
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

/** upstream's decay_mask: parameters whose name contains either string get no weight decay. */
const NO_DECAY = ['bias', 'LayerNorm.weight'];

/** The upstream optimiser's name in the workbench (torch.optim.<name>; apex's fall back to AdamW as upstream without apex). */
function optimizerName(o: SpanetOptions): { name: OptimizerConfig['name']; note: string } {
  const raw = String(o.optimizer);
  const n = raw.toLowerCase();
  if (n === 'adamw' || n === 'adam' || n === 'sgd') return { name: n, note: '' };
  if (n.includes('apex')) return { name: 'adamw', note: ` (${raw}: apex is not available here; upstream without apex also uses AdamW)` };
  throw new OptionsFileError(`options file: optimizer "${raw}" is not available here (AdamW, Adam or SGD)`);
}

export interface UpstreamOptimizerPlan extends OptimizerPlan {
  schedule: UpstreamSchedule;
  /** one line for the data description */
  summary: string;
}

/**
 * SPANet's configure_optimizers as Trainer settings: torch.optim.<optimizer> with torch's
 * defaults, lr = learning_rate, two groups (weight_decay = l2_penalty, and 0 for names with
 * "bias" or "LayerNorm.weight"), Lightning's gradient_clip_val (global 2-norm, off at 0),
 * and the LambdaLR schedule stepped once per optimiser step.
 */
export function upstreamOptimizerPlan(o: SpanetOptions, trainEvents: number): UpstreamOptimizerPlan {
  const s = upstreamSchedule(o, trainEvents);
  const { name, note } = optimizerName(o);
  if (s.cycles < 1 && s.warmupSteps >= s.totalSteps)
    throw new OptionsFileError(
      `options file: the warm-up (${s.warmupSteps} steps, learning_rate_warmup_epochs ${o.learning_rate_warmup_epochs}) covers all ` +
        `${s.totalSteps} steps of ${o.epochs} epochs, so the linear schedule never decays: give more epochs or a shorter warm-up`,
    );
  const clip = Number(o.gradient_clip) > 0 ? Number(o.gradient_clip) : 0;
  const optimizer: Partial<OptimizerConfig> = {
    name,
    lr: Number(o.learning_rate),
    weight_decay: Number(o.l2_penalty),
    no_decay_bias_norm: true,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    momentum: 0,
    nesterov: false,
    clip_norm: clip,
    schedule: s.cycles < 1 ? 'warmup_linear' : 'warmup_cosine_restarts',
    warmup_steps: s.warmupSteps,
    decay_steps: s.totalSteps,
    min_lr_ratio: 0,
    cycles: s.cycles < 1 ? 1 : s.cycles,
  };
  const shape = s.cycles < 1 ? 'linear decay' : s.cycles === 1 ? 'one cosine cycle' : `cosine with ${s.cycles} hard restarts`;
  const summary =
    `optimiser ${String(o.optimizer)}${note}, lr ${optimizer.lr}, weight decay ${optimizer.weight_decay} (none for names with ` +
    `bias / LayerNorm.weight), gradient clip ${clip || 'off'}; upstream schedule ${s.warmupSteps} warm-up of ${s.totalSteps} steps ` +
    `(${s.stepsPerEpoch} per epoch × ${o.epochs} epochs): ${shape}, lr 0 after`;
  return { optimizer, noDecay: (n) => NO_DECAY.some((x) => n.includes(x)), schedule: s, summary };
}
