import type { Engine } from '../tensor/engine';
import type { Activation } from '../tensor/kernels';
import type { Tensor } from '../tensor/tensor';
import { Linear } from './linear';

export interface MlpConfig {
  sizes: number[];          // [in, hidden..., out]
  activation: Activation;   // between layers; the last layer is linear
}

export class Mlp {
  readonly layers: Linear[];

  constructor(engine: Engine, readonly config: MlpConfig, rand: () => number) {
    const { sizes, activation } = config;
    if (sizes.length < 2) throw new Error('an MLP needs at least an input and an output size');
    this.layers = sizes.slice(1).map(
      (out, i) => new Linear(engine, sizes[i], out, i === sizes.length - 2 ? 'none' : activation, rand),
    );
  }

  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }

  parameters(): Tensor<'f32'>[] {
    return this.layers.flatMap((l) => l.parameters());
  }
}
