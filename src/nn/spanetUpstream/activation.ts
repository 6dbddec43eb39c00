/** Upstream's create_activation: ReLU, PReLU (a learnt slope per feature), ELU, CELU (α = 1: ELU), GELU, else identity. */
import type { Engine } from '../../tensor/engine';
import { add, mul, relu } from '../../tensor/ops/elementwise';
import { elu, geluErf, minimumScalar } from '../../tensor/ops/unary';
import type { Tensor } from '../../tensor/tensor';
import { Module } from '../module';

type F = Tensor<'f32'>;

export class ActivationBlock extends Module {
  /** PReLU's `weight` [D] (torch's initial 0.25). */
  readonly slope: F | null;
  constructor(
    engine: Engine,
    readonly kind: string,
    dim: number,
  ) {
    super(engine);
    this.slope = kind === 'prelu' ? this.parameter('weight', new Float32Array(dim).fill(0.25), [dim]) : null;
  }
  /** y [..., D]. */
  forward(y: F): F {
    switch (this.kind) {
      case 'gelu':
        return geluErf(y); // nn.GELU() is the exact erf form
      case 'relu':
        return relu(y);
      case 'elu':
      case 'celu':
        return elu(y);
      case 'prelu':
        return add(relu(y), mul(this.slope!, minimumScalar(y, 0)));
      default:
        return y;
    }
  }
}
