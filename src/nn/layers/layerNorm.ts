import type { Engine } from '../../tensor/engine';
import { layerNorm } from '../../tensor/ops/layernorm';
import { reshape } from '../../tensor/ops/reshape';
import type { Tensor } from '../../tensor/tensor';
import { Module } from '../module';

export interface LayerNormOptions {
  eps?: number;
  /** Learnt weight and bias (default true); without them the tensors are constants, not state. */
  elementwiseAffine?: boolean;
}

/**
 * torch.nn.LayerNorm(normalized_shape): normalises over the trailing `normalizedShape`
 * axes with weight (ones) and bias (zeros) of that shape, as torch names and lays them out.
 */
export class LayerNorm extends Module {
  readonly weight: Tensor<'f32'>;
  readonly bias: Tensor<'f32'>;
  readonly normalizedShape: number[];
  readonly eps: number;
  private readonly width: number;

  constructor(engine: Engine, normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super(engine);
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.width = this.normalizedShape.reduce((a, b) => a * b, 1);
    this.eps = opts.eps ?? 1e-5;
    const ones = new Float32Array(this.width).fill(1);
    const zeros = new Float32Array(this.width);
    if (opts.elementwiseAffine === false) {
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
      this.weight = engine.fromArray(ones, this.normalizedShape).keep();
      this.bias = engine.fromArray(zeros, this.normalizedShape).keep();
    } else {
      this.weight = this.parameter('weight', ones, this.normalizedShape);
      this.bias = this.parameter('bias', zeros, this.normalizedShape);
    }
  }

  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    const n = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - n);
    if (x.rank < n || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new Error(`LayerNorm([${this.normalizedShape}]): input [${x.shape}] does not end with the normalized shape`);
    }
    if (n === 1) return layerNorm(x, this.weight, this.bias, this.eps);
    // The op normalises the last axis: flatten the normalized axes (reshapes share buffers).
    const flat = layerNorm(reshape(x, [-1, this.width]), reshape(this.weight, [this.width]), reshape(this.bias, [this.width]), this.eps);
    return reshape(flat, x.shape);
  }
}
