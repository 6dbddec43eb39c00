/**
 * Upstream's StackedEncoder: linear stack on the vectors, a learnt particle vector put in
 * front, the transformer over both; returns the vectors and the particle vector apart.
 */
import type { Engine } from '../../tensor/engine';
import { add } from '../../tensor/ops/elementwise';
import { concat, slice } from '../../tensor/ops/shape';
import { reshape } from '../../tensor/ops/reshape';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { Module } from '../module';
import { optionBool, optionInt } from './config';
import { createTransformer, type Transformer } from './transformers';
import { LinearStack } from './linearStack';
import { VectorMasks } from './masks';

type F = Tensor<'f32'>;

/** Draws ~N(0, 1) (torch.randn's role: an initial value only). */
export function normalDraws(n: number, rand: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
}

/** Broadcasts a [1, 1, D] tensor to [T, B, D] (torch's expand). */
export function expandRows(e: Engine, v: F, T: number, B: number): F {
  return add(e.zeros([T, B, v.shape[2]]), v);
}

export class StackedEncoder extends Module {
  readonly particleVector: F;
  readonly encoder: Transformer;
  readonly embedding: LinearStack;
  readonly hiddenDim: number;
  constructor(engine: Engine, options: SpanetOptions, numLinearLayers: number, numEncoderLayers: number, rand: () => number) {
    super(engine);
    this.hiddenDim = optionInt(options, 'hidden_dim');
    this.particleVector = this.parameter('particle_vector', normalDraws(this.hiddenDim, rand), [1, 1, this.hiddenDim]);
    this.encoder = this.registerModule('encoder', createTransformer(engine, options, numEncoderLayers, rand));
    this.embedding = this.registerModule(
      'embedding',
      new LinearStack(engine, options, numLinearLayers, this.hiddenDim, optionBool(options, 'skip_connections'), rand),
    );
  }

  /** vectors [T, B, D] → { vectors [T, B, D], particle [B, D] }. */
  forward(vectors: F, masks: VectorMasks): { vectors: F; particle: F } {
    const e = this.engine;
    const { T, B } = masks;
    const embedded = this.embedding.forward(vectors, masks.sequenceTensor(e));
    const combined = concat([expandRows(e, this.particleVector, 1, B), embedded], 0);
    const withParticle = VectorMasks.concat([VectorMasks.allReal(1, B), masks]);
    const out = this.encoder.forward(combined, withParticle.paddingTensor(e), withParticle.sequenceTensor(e));
    return { particle: reshape(slice(out, 0, 0, 1), [B, this.hiddenDim]), vectors: slice(out, 0, 1, T + 1) };
  }
}
