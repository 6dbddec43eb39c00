/**
 * Upstream's create_normalization: LayerNorm and BatchNorm wrap torch's module (state under
 * `normalization.normalization`), MaskedBatchNorm holds [1, 1, D] statistics itself. "None"
 * is refused: upstream calls nn.Identity with the mask and fails.
 */
import type { Engine } from '../../tensor/engine';
import { add, mul, sub } from '../../tensor/ops/elementwise';
import { reshape } from '../../tensor/ops/reshape';
import { addScalar, rsqrt } from '../../tensor/ops/unary';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { BatchNorm1d } from '../layers/batchnorm';
import { LayerNorm } from '../layers/layerNorm';
import { Module } from '../module';
import { requireWord } from './config';

type F = Tensor<'f32'>;

export interface Normalization extends Module {
  /** x [T, B, D], sequenceMask [T, B, 1] (1 = real). */
  forward(x: F, sequenceMask: F): F;
}

class LayerNormBlock extends Module {
  readonly norm: LayerNorm;
  constructor(engine: Engine, dim: number) {
    super(engine);
    this.norm = this.registerModule('normalization', new LayerNorm(engine, dim));
  }
  forward(x: F): F {
    return this.norm.forward(x);
  }
}

/** nn.BatchNorm1d over the T·B vectors (padding included, as upstream). */
class BatchNormBlock extends Module {
  readonly norm: BatchNorm1d;
  constructor(
    engine: Engine,
    private readonly dim: number,
  ) {
    super(engine);
    this.norm = this.registerModule('normalization', new BatchNorm1d(engine, dim));
  }
  forward(x: F): F {
    return reshape(this.norm.forward(reshape(x, [-1, this.dim])), x.shape);
  }
}

/** Upstream's MaskedBatchNorm in eval: running statistics, affine, then zero at padding. */
class MaskedBatchNorm extends Module {
  readonly weight: F;
  readonly bias: F;
  readonly runningMean: F;
  readonly runningVar: F;
  constructor(
    engine: Engine,
    dim: number,
    private readonly eps = 1e-5,
  ) {
    super(engine);
    this.weight = this.parameter('weight', new Float32Array(dim).fill(1), [1, 1, dim]);
    this.bias = this.parameter('bias', new Float32Array(dim), [1, 1, dim]);
    this.runningMean = this.registerBuffer('running_mean', engine.fromArray(new Float32Array(dim), [1, 1, dim]));
    this.runningVar = this.registerBuffer('running_var', engine.fromArray(new Float32Array(dim).fill(1), [1, 1, dim]));
    this.registerBuffer('num_batches_tracked', engine.fromArray(new Int32Array(1), [], { dtype: 'i32' }), { dtype: 'I64' });
  }
  forward(x: F, sequenceMask: F): F {
    if (this.training) throw new Error('upstream SPANet network: MaskedBatchNorm is ported for eval only (its batch statistics are not)');
    const normed = mul(sub(x, this.runningMean), rsqrt(addScalar(this.runningVar, this.eps)));
    return mul(add(mul(normed, this.weight), this.bias), sequenceMask);
  }
}

export function createNormalization(engine: Engine, options: SpanetOptions, dim: number): Normalization {
  switch (requireWord(options, 'normalization', ['layernorm', 'batchnorm', 'maskedbatchnorm'])) {
    case 'batchnorm':
      return new BatchNormBlock(engine, dim);
    case 'maskedbatchnorm':
      return new MaskedBatchNorm(engine, dim);
    default:
      return new LayerNormBlock(engine, dim);
  }
}
