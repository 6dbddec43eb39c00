/**
 * Upstream's create_normalization: LayerNorm and BatchNorm wrap torch's module (state under
 * `normalization.normalization`), MaskedBatchNorm (maskedBatchNorm.ts) holds [1, 1, D] statistics itself. "None"
 * is refused: upstream calls nn.Identity with the mask and fails.
 */
import type { Engine } from '../../tensor/engine';
import { reshape } from '../../tensor/ops/reshape';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { BatchNorm1d } from '../layers/batchnorm';
import { LayerNorm } from '../layers/layerNorm';
import { Module } from '../module';
import { requireWord } from './config';
import { MaskedBatchNorm } from './maskedBatchNorm';

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
