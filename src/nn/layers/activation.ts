import type { Engine } from '../../tensor/engine';
import { add, relu, scale } from '../../tensor/ops/elementwise';
import type { Tensor } from '../../tensor/tensor';
import { Module } from '../module';

/** torch.nn.ReLU: no parameters (keeps Sequential indices as torch's). */
export class ReLU extends Module {
  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return relu(x);
  }
}

/**
 * torch.nn.LeakyReLU(negative_slope): max(x, 0) + slope·min(x, 0), written as
 * slope·x + (1 - slope)·relu(x) from existing ops (no kernel of its own; a fused leakyRelu
 * op can replace it without changing results beyond f32 rounding).
 */
export class LeakyReLU extends Module {
  constructor(engine: Engine, readonly negativeSlope = 0.01) {
    super(engine);
  }

  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return add(scale(x, this.negativeSlope), scale(relu(x), 1 - this.negativeSlope));
  }
}
