/**
 * Learning-rate schedules. `lrAt(k)` is the lr of optimiser step k = 0, 1, 2, … (the k-th
 * call of the update, skipped steps included, as torch schedulers stepped once per
 * optimizer.step()). Computed on the host in f64 and written into the update's uniform.
 *
 *   constant       lr
 *   warmup_linear  k < W: lr·k/W; then lr·(r + (1-r)·max(0, (T-k)/(T-W)))
 *                  (transformers' get_linear_schedule_with_warmup with a floor r = min_lr_ratio)
 *   warmup_cosine  k < W: lr·k/W; then lr·(r + (1-r)·½(1 + cos(π·min(1, (k-W)/(T-W)))))
 *                  (get_cosine_schedule_with_warmup, half a cosine, with the floor r)
 *   warmup_cosine_restarts  k < W: lr·k/max(1, W); then p = (k-W)/max(1, T-W) and, for p < 1,
 *                  lr·(r + (1-r)·½(1 + cos(π·((C·p) mod 1)))), 0 from p = 1 on
 *                  (get_cosine_with_hard_restarts_schedule_with_warmup with C = cycles, as
 *                  SPANet's learning_rate_schedules.py; W ≥ T is allowed as there)
 *   step           lr·gamma^floor(k / step_size)                      (torch StepLR)
 *   one_cycle      torch OneCycleLR(max_lr=lr, total_steps=T) with its defaults: pct_start 0.3,
 *                  anneal_strategy 'cos', div_factor 25, final_div_factor 1e4,
 *                  three_phase False — lr/25 up to lr over the first 0.3·T - 1 steps, then
 *                  down to lr/25/1e4 at step T - 1. cycle_momentum is not applied (β1 and
 *                  momentum stay fixed); min_lr_ratio and warmup_steps do not apply.
 *   cosmictagger   CosmicTagger's build_lr_schedule (src/utils/core/trainercore.py) in epochs
 *                  x = k / E, E = warmup_steps read as steps per epoch (upstream: train size /
 *                  minibatch_size): x < 1: 1e-4 + (lr - 1e-4)·x; x < 21: lr; then
 *                  (lr - 1e-4)·exp(-0.999·(x - 21)) + 1e-4. The 1e-4 start and floor are
 *                  upstream's absolute constants, whatever lr is.
 * W = warmup_steps, T = decay_steps, or the run's step count when decay_steps is 0. After T
 * the decaying schedules stay at their final value.
 */
import type { OptimizerConfig } from './optimConfig';

export type LrSchedule = (step: number) => number;

type ScheduleConfig = Pick<OptimizerConfig, 'lr' | 'schedule' | 'warmup_steps' | 'decay_steps' | 'min_lr_ratio' | 'step_size' | 'gamma'> &
  Partial<Pick<OptimizerConfig, 'cycles'>>;

/** torch's _annealing_cos: from start (pct 0) to end (pct 1) along half a cosine. */
const annealCos = (start: number, end: number, pct: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);

/** CosmicTagger's default schedule at epoch x: warm-up from 1e-4 over one epoch, flat to epoch 21, decay to a 1e-4 floor. */
function cosmicTaggerLr(lr: number, x: number): number {
  const start = 1e-4;
  const floor = 1e-4;
  if (x < 1) return start + (lr - start) * x;
  if (x < 21) return lr;
  return (lr - floor) * Math.exp(-0.999 * (x - 21)) + floor;
}

export function makeSchedule(c: ScheduleConfig, runSteps = 0): LrSchedule {
  const { lr } = c;
  if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`lr must be a finite number ≥ 0, got ${lr}`);
  if (c.schedule === 'constant') return () => lr;
  if (c.schedule === 'cosmictagger') {
    const E = c.warmup_steps;
    if (!(E >= 1)) throw new Error(`the cosmictagger schedule needs warmup_steps = steps per epoch ≥ 1, got ${E}`);
    return (k) => cosmicTaggerLr(lr, k / E);
  }
  if (c.schedule === 'step') {
    if (!(c.step_size >= 1)) throw new Error(`the step schedule needs step_size ≥ 1, got ${c.step_size}`);
    return (k) => lr * c.gamma ** Math.floor(k / c.step_size);
  }
  const T = c.decay_steps > 0 ? c.decay_steps : runSteps;
  if (!(T > 0)) throw new Error(`the ${c.schedule} schedule needs decay_steps or a step limit for the run`);
  if (c.schedule === 'one_cycle') {
    const initial = lr / 25;
    const min = initial / 1e4;
    const end1 = 0.3 * T - 1;
    const end2 = T - 1;
    return (k) => {
      const s = Math.min(k, end2);
      if (s <= end1) return annealCos(initial, lr, s / end1);
      return annealCos(lr, min, (s - end1) / (end2 - end1));
    };
  }
  const W = c.warmup_steps;
  const r = c.min_lr_ratio;
  if (c.schedule === 'warmup_cosine_restarts') {
    const C = c.cycles ?? 1;
    if (!(Number.isInteger(C) && C >= 1)) throw new Error(`the warmup_cosine_restarts schedule needs cycles ≥ 1 (an integer), got ${C}`);
    return (k) => {
      if (k < W) return (lr * k) / Math.max(1, W);
      const p = (k - W) / Math.max(1, T - W);
      if (p >= 1) return 0;
      return lr * (r + (1 - r) * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((C * p) % 1)))));
    };
  }
  if (!(W >= 0 && W < T)) throw new Error(`warmup_steps (${W}) must be ≥ 0 and below the decay steps (${T})`);
  const decay =
    c.schedule === 'warmup_linear'
      ? (p: number) => Math.max(0, 1 - p)
      : c.schedule === 'warmup_cosine'
        ? (p: number) => 0.5 * (1 + Math.cos(Math.PI * Math.min(1, p)))
        : null;
  if (!decay) throw new Error(`unknown schedule "${c.schedule}"`);
  return (k) => {
    if (k < W) return (lr * k) / W;
    return lr * (r + (1 - r) * decay((k - W) / (T - W)));
  };
}
