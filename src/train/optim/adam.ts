/**
 * Adam and AdamW as torch.optim.Adam / torch.optim.AdamW (amsgrad off): AdamW decays the
 * weights decoupled (p *= 1 - lr·wd), Adam adds wd·p to the gradient before the moments.
 * State slots: exp_avg, exp_avg_sq (torch's names).
 */
import { grid1d } from '../../gpu/grid';
import type { Engine } from '../../tensor/engine';
import type { Tensor } from '../../tensor/tensor';
import type { OptimizerConfig } from '../optimConfig';
import type { NamedParam } from './groups';
import { Optimizer } from './optimizer';
import { OPTIM_SHADERS } from './shaders';

/** ln β in f64, rounded once to f32 by the uniform; β = 0 gives a huge negative (bc = 1). */
const lnBeta = (b: number) => Math.max(Math.log(b), -1e30);

export class AdamFamily extends Optimizer {
  readonly name: 'adam' | 'adamw';

  constructor(engine: Engine, params: readonly NamedParam[], config: OptimizerConfig) {
    super(engine, params, config, ['exp_avg', 'exp_avg_sq']);
    if (config.name !== 'adam' && config.name !== 'adamw') throw new Error(`AdamFamily cannot run ${config.name}`);
    this.name = config.name;
  }

  protected update(p: NamedParam, grad: Tensor<'f32'>, [m, v]: Tensor<'f32'>[], gradScale: number): void {
    const c = this.config;
    const w = p.tensor;
    this.engine.gpu.dispatch(
      OPTIM_SHADERS.optimUpdate,
      'adam_update',
      [w.buffer, grad.buffer, m.buffer, v.buffer, this.guard.buffer],
      grid1d(w.size),
      [
        ['u32', w.size],
        ['u32', this.name === 'adamw' ? 1 : 0],
        ['u32', 0],
        ['u32', 0],
        ['f32', this.lr],
        ['f32', c.beta1],
        ['f32', c.beta2],
        ['f32', c.eps],
        ['f32', p.weightDecay],
        ['f32', lnBeta(c.beta1)],
        ['f32', lnBeta(c.beta2)],
        ['f32', gradScale],
      ],
    );
  }
}
