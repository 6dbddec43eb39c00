import { grid1d } from '../gpu/grid';
import { SHADERS } from '../gpu/shaders';
import type { Engine } from '../tensor/engine';
import type { AdamHyper } from '../tensor/reference/adam';
import type { Tensor } from '../tensor/tensor';

export type { AdamHyper };

export const DEFAULT_ADAM: AdamHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** AdamW with one fused WGSL update per parameter tensor; moments live on the GPU. */
export class Adam {
  private t = 0;
  private moments = new Map<Tensor, [Tensor<'f32'>, Tensor<'f32'>]>();
  hyper: AdamHyper;

  constructor(
    private engine: Engine,
    readonly params: Tensor<'f32'>[],
    hyper: Partial<AdamHyper> = {},
  ) {
    this.hyper = { ...DEFAULT_ADAM, ...hyper };
    for (const p of params) {
      this.moments.set(p, [engine.zeros(p.shape).keep(), engine.zeros(p.shape).keep()]);
    }
  }

  get step(): number {
    return this.t;
  }

  /** Applies each parameter's `.grad`; parameters without a gradient are left alone. */
  update(gradScale = 1): void {
    this.t++;
    const h = this.hyper;
    const bc1 = 1 - h.beta1 ** this.t;
    const bc2 = 1 - h.beta2 ** this.t;
    for (const p of this.params) {
      if (!p.grad) continue;
      const [m, v] = this.moments.get(p)!;
      this.engine.gpu.dispatch(SHADERS.adam, 'adam_step', [p.buffer, p.grad.buffer, m.buffer, v.buffer], grid1d(p.size), [
        ['u32', p.size],
        ['u32', 0],
        ['u32', 0],
        ['u32', 0],
        ['f32', h.lr],
        ['f32', h.beta1],
        ['f32', h.beta2],
        ['f32', h.eps],
        ['f32', h.weightDecay],
        ['f32', bc1],
        ['f32', bc2],
        ['f32', gradScale],
      ]);
      p.grad = null;
    }
  }

  dispose(): void {
    for (const [m, v] of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}
