import type { TaskRun } from '../../tasks/types';
import type { Engine } from '../../tensor/engine';
import { DEFAULT_OPTIMIZER, type OptimizerConfig } from '../optimConfig';
import { AdamFamily } from './adam';
import { paramGroups } from './groups';
import type { Optimizer } from './optimizer';
import { Sgd } from './sgd';

export { AdamFamily } from './adam';
export { Sgd } from './sgd';
export { Optimizer, type OptimizerState, type StepOptions } from './optimizer';
export { StepGuard, type GuardSnapshot } from './guard';
export { paramGroups, isNoDecay, type NamedParam } from './groups';

/** What callers may pass: any part of the config; `weightDecay` is the older camelCase key. */
export type OptimizerInput = Partial<OptimizerConfig> & { weightDecay?: number };

/** The full config: defaults filled in, the legacy key mapped, values checked. */
export function resolveOptimizerConfig(input: OptimizerInput = {}): OptimizerConfig {
  const { weightDecay, ...rest } = input;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<OptimizerConfig>;
  const c: OptimizerConfig = { ...DEFAULT_OPTIMIZER, ...defined };
  if (input.weight_decay === undefined && weightDecay !== undefined) c.weight_decay = weightDecay;
  const bad: string[] = [];
  if (!['adamw', 'adam', 'sgd'].includes(c.name)) bad.push(`name "${c.name}" (adamw, adam or sgd)`);
  if (!(c.lr >= 0 && Number.isFinite(c.lr))) bad.push(`lr ${c.lr}`);
  if (!(c.weight_decay >= 0)) bad.push(`weight_decay ${c.weight_decay}`);
  if (!(c.beta1 >= 0 && c.beta1 < 1)) bad.push(`beta1 ${c.beta1} (0 ≤ β1 < 1)`);
  if (!(c.beta2 >= 0 && c.beta2 < 1)) bad.push(`beta2 ${c.beta2} (0 ≤ β2 < 1)`);
  if (!(c.eps >= 0)) bad.push(`eps ${c.eps}`);
  if (!(c.momentum >= 0)) bad.push(`momentum ${c.momentum}`);
  if (!(c.clip_norm >= 0)) bad.push(`clip_norm ${c.clip_norm} (0 = off)`);
  if (!(Number.isInteger(c.max_skipped_steps) && c.max_skipped_steps >= 0))
    bad.push(`max_skipped_steps ${c.max_skipped_steps} (0 = never pause)`);
  if (!(Number.isInteger(c.warmup_steps) && c.warmup_steps >= 0)) bad.push(`warmup_steps ${c.warmup_steps}`);
  if (bad.length) throw new Error(`bad optimizer settings: ${bad.join(', ')}`);
  return c;
}

/** The optimiser the config names, over the run's parameters with their decay groups. */
export function buildOptimizer(
  engine: Engine,
  run: Pick<TaskRun, 'model' | 'parameters'>,
  config: OptimizerConfig,
  noDecayRule?: (name: string) => boolean,
): Optimizer {
  const params = paramGroups(run, config.weight_decay, config.no_decay_bias_norm, noDecayRule);
  return config.name === 'sgd' ? new Sgd(engine, params, config) : new AdamFamily(engine, params, config);
}
