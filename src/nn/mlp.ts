import type { Engine } from '../tensor/engine';
import type { Activation } from '../tensor/kernels';
import type { Tensor } from '../tensor/tensor';
import { Linear } from './linear';
import { Module, ModuleList } from './module';

export interface MlpConfig {
  sizes: number[]; // [in, hidden..., out]
  activation: Activation; // between layers; the last layer is linear
}

/** Linear layers named `layers.0`, `layers.1`, …; the last one has no activation. */
export class Mlp extends Module {
  readonly layers: ModuleList<Linear>;

  constructor(
    engine: Engine,
    readonly config: MlpConfig,
    rand: () => number,
  ) {
    super(engine);
    const { sizes, activation } = config;
    if (sizes.length < 2) throw new Error('an MLP needs at least an input and an output size');
    this.layers = this.registerModule(
      'layers',
      new ModuleList(
        engine,
        sizes.slice(1).map((out, i) => new Linear(engine, sizes[i], out, i === sizes.length - 2 ? 'none' : activation, rand)),
      ),
    );
  }

  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return this.layers.items.reduce((h, layer) => layer.forward(h), x);
  }
}
