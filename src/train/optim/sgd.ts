/**
 * SGD as torch.optim.SGD with dampening 0: L2 weight decay, momentum, Nesterov.
 * State slot: momentum_buffer (allocated only with momentum > 0).
 */
import { grid1d } from '../../gpu/grid';
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { OptimizerConfig } from '../optimConfig';
import type { NamedParam } from './groups';
import { Optimizer } from './optimizer';
import { OPTIM_SHADERS } from './shaders';

export class Sgd extends Optimizer {
  readonly name = 'sgd' as const;

  constructor(engine: Engine, params: readonly NamedParam[], config: OptimizerConfig) {
    super(engine, params, config, config.momentum !== 0 ? ['momentum_buffer'] : []);
    if (config.nesterov && config.momentum <= 0) throw new Error('Nesterov momentum requires a momentum > 0 (as torch.optim.SGD)');
  }

  protected update(p: NamedParam, grad: Tensor<'f32'>, slots: Tensor<'f32'>[], gradScale: number): void {
    const c = this.config;
    const w = p.tensor;
    const g = this.engine.gpu;
    const buf = slots[0]?.buffer ?? g.placeholder('write');
    g.dispatch(OPTIM_SHADERS.optimUpdate, 'sgd_update', [w.buffer, grad.buffer, buf, this.guard.buffer], grid1d(w.size), [
      ['u32', w.size],
      ['u32', c.nesterov ? 1 : 0],
      ['u32', slots.length ? 1 : 0],
      ['u32', 0],
      ['f32', this.lr],
      ['f32', c.momentum],
      ['f32', p.weightDecay],
      ['f32', gradScale],
    ]);
  }
}
