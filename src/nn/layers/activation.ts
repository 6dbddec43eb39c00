import type { Engine } from '../../tensor/engine';
import { relu } from '../../tensor/ops/elementwise';
import { leakyRelu } from '../../tensor/ops/unary';
import type { Tensor } from '../../tensor/tensor';
import { Module } from '../module';

/** torch.nn.ReLU: no parameters (keeps Sequential indices as torch's). */
export class ReLU extends Module {
  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return relu(x);
  }
}

/** torch.nn.LeakyReLU(negative_slope): x for x > 0, slope·x otherwise. */
export class LeakyReLU extends Module {
  constructor(
    engine: Engine,
    readonly negativeSlope = 0.01,
  ) {
    super(engine);
  }

  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return leakyRelu(x, this.negativeSlope);
  }
}
