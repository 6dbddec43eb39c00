import type { Engine } from '../tensor/engine';
import type { Activation } from '../tensor/kernels';
import { matmul } from '../tensor/ops/matmul';
import type { Tensor } from '../tensor/tensor';
import { heUniform } from './init';

/** y = act(x · W + b) with W stored [in, out]; one fused matmul kernel. */
export class Linear {
  readonly weight: Tensor<'f32'>;
  readonly bias: Tensor<'f32'>;

  constructor(
    engine: Engine,
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly activation: Activation,
    rand: () => number,
  ) {
    this.weight = engine.parameter(heUniform(inFeatures, outFeatures, rand), [inFeatures, outFeatures]);
    this.bias = engine.parameter(new Float32Array(outFeatures), [outFeatures]);
  }

  /** x: [rows, in] → [rows, out]. */
  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    return matmul(x, this.weight, { activation: this.activation }, this.bias);
  }

  parameters(): Tensor<'f32'>[] {
    return [this.weight, this.bias];
  }

  /** [`${prefix}.weight`, W], [`${prefix}.bias`, b] for export. */
  namedParameters(prefix: string): [string, Tensor<'f32'>][] {
    return [[`${prefix}.weight`, this.weight], [`${prefix}.bias`, this.bias]];
  }
}
