/**
 * Upstream's GRU linear block (linear_block_type "GRU", its default) and the GTrXL gate it
 * ends with. Names and layouts follow upstream's modules: normalization.normalization,
 * linear_1.0, linear_2.0, gru.linear_{W,U}_{r,z,g}, gru.gate_bias, residual.
 */
import type { Engine } from '../../tensor/engine';
import { add, mul, sigmoid, sub, tanh } from '../../tensor/ops/elementwise';
import { reshape } from '../../tensor/ops/reshape';
import { elu, geluErf, rsubScalar } from '../../tensor/ops/unary';
import { relu } from '../../tensor/ops/elementwise';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { LayerNorm } from '../layers/layerNorm';
import { Linear } from '../linear';
import { Module } from '../module';
import { requireWord } from './config';

type F = Tensor<'f32'>;

/** Linear on any rank: flattens the leading axes. */
export function linearNd(l: Linear, x: F): F {
  const y = l.forward(reshape(x, [-1, l.inFeatures]));
  return reshape(y, [...x.shape.slice(0, -1), l.outFeatures]);
}

/** Upstream's create_activation without PReLU / CELU (not ported). */
export function applyActivation(activation: string, y: F): F {
  switch (activation) {
    case 'gelu': return geluErf(y); // nn.GELU() is the exact erf form
    case 'relu': return relu(y);
    case 'elu': return elu(y);
    default: return y;
  }
}

export const ACTIVATIONS = ['gelu', 'relu', 'elu', 'none'];
export const MASKINGS = ['filling', 'multiplicative', 'none'];

/** Filling (masked_fill with 0) equals multiplying by the 0/1 mask for finite values. */
export const applyMasking = (masking: string, y: F, sequenceMask: F): F => (masking === 'none' ? y : mul(y, sequenceMask));

/** nn.Sequential(Linear, activation, dropout): only the Linear ("0") holds state. */
export class LinearActivation extends Module {
  readonly linear: Linear;
  constructor(engine: Engine, inDim: number, outDim: number, private readonly activation: string, rand: () => number) {
    super(engine);
    this.linear = this.registerModule('0', new Linear(engine, inDim, outDim, 'none', rand));
  }
  forward(x: F): F {
    return applyActivation(this.activation, linearNd(this.linear, x));
  }
}

/** GRUGate: gated residual z·h + (1 − z)·residual, z biased towards the residual by gate_bias. */
export class GRUGate extends Module {
  readonly Wr: Linear; readonly Ur: Linear; readonly Wz: Linear; readonly Uz: Linear; readonly Wg: Linear; readonly Ug: Linear;
  readonly gateBias: F;
  constructor(engine: Engine, dim: number, rand: () => number, gateInitialization = 2) {
    super(engine);
    const lin = (name: string, bias: boolean) => this.registerModule(name, new Linear(engine, dim, dim, 'none', rand, { bias }));
    this.Wr = lin('linear_W_r', true); this.Ur = lin('linear_U_r', false);
    this.Wz = lin('linear_W_z', true); this.Uz = lin('linear_U_z', false);
    this.Wg = lin('linear_W_g', true); this.Ug = lin('linear_U_g', false);
    this.gateBias = this.parameter('gate_bias', new Float32Array(dim).fill(gateInitialization), [dim]);
  }
  forward(vectors: F, residual: F): F {
    const r = sigmoid(add(linearNd(this.Wr, vectors), linearNd(this.Ur, residual)));
    const z = sigmoid(sub(add(linearNd(this.Wz, vectors), linearNd(this.Uz, residual)), this.gateBias));
    const h = tanh(add(linearNd(this.Wg, vectors), linearNd(this.Ug, mul(r, residual))));
    return add(mul(rsubScalar(z, 1), residual), mul(z, h));
  }
}

/** Upstream's create_normalization: LayerNorm (default); the batch norms are not ported, and None fails upstream (nn.Identity called with the mask). */
export class BlockNormalization extends Module {
  readonly norm: LayerNorm | null;
  constructor(engine: Engine, kind: string, dim: number) {
    super(engine);
    this.norm = kind === 'layernorm' ? this.registerModule('normalization', new LayerNorm(engine, dim)) : null;
  }
  forward(x: F): F {
    return this.norm ? this.norm.forward(x) : x;
  }
}

/**
 * GRUBlock [T, B, I] → [T, B, O]: norm → Linear·act (width transformer_dim_scale · I) →
 * Linear·act → with skip connections the GRU gate against residual(x) (x itself, or a Linear
 * when I ≠ O) → masking. Without skip connections the gate is built (its weights are in the
 * state) but not used, as upstream.
 */
export class GRUBlock extends Module {
  readonly normalization: BlockNormalization;
  readonly linear1: LinearActivation;
  readonly linear2: LinearActivation;
  readonly gru: GRUGate;
  readonly residual: Linear | null;
  private readonly masking: string;

  constructor(engine: Engine, options: SpanetOptions, readonly inputDim: number, readonly outputDim: number, readonly skipConnection: boolean, rand: () => number) {
    super(engine);
    const hidden = Math.round(Number(options.transformer_dim_scale) * inputDim);
    const norm = requireWord(options, 'normalization', ['layernorm']);
    const act = requireWord(options, 'linear_activation', ACTIVATIONS);
    this.masking = requireWord(options, 'masking', MASKINGS);
    this.normalization = this.registerModule('normalization', new BlockNormalization(engine, norm, inputDim));
    this.linear1 = this.registerModule('linear_1', new LinearActivation(engine, inputDim, hidden, act, rand));
    this.linear2 = this.registerModule('linear_2', new LinearActivation(engine, hidden, outputDim, act, rand));
    this.gru = this.registerModule('gru', new GRUGate(engine, outputDim, rand));
    const needsProjection = skipConnection && inputDim !== outputDim;
    this.residual = this.registerModule('residual', needsProjection ? new Linear(engine, inputDim, outputDim, 'none', rand) : null);
  }

  /** x [T, B, I], sequenceMask [T, B, 1] (1 = real). */
  forward(x: F, sequenceMask: F): F {
    let out = this.linear2.forward(this.linear1.forward(this.normalization.forward(x)));
    if (this.skipConnection) out = this.gru.forward(out, this.residual ? linearNd(this.residual, x) : x);
    return applyMasking(this.masking, out, sequenceMask);
  }
}

