/**
 * Upstream's GRU linear block (linear_block_type "GRU", its default) and the GTrXL gate it
 * ends with. Names and layouts follow upstream's modules: normalization.normalization,
 * linear_1.0, linear_2.0, gru.linear_{W,U}_{r,z,g}, gru.gate_bias, residual.
 */
import type { Engine } from '../../tensor/engine';
import { add, mul, sigmoid, sub, tanh } from '../../tensor/ops/elementwise';
import { reshape } from '../../tensor/ops/reshape';
import { rsubScalar } from '../../tensor/ops/unary';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { Linear } from '../linear';
import { Module } from '../module';
import type { Dropout } from '../layers/dropout';
import { ActivationBlock } from './activation';
import { requireWord } from './config';
import { applyDropout, createDropout, dropoutRate } from './dropout';
import { createNormalization, type Normalization } from './normalization';

type F = Tensor<'f32'>;

/** Linear on any rank: flattens the leading axes. */
export function linearNd(l: Linear, x: F): F {
  const y = l.forward(reshape(x, [-1, l.inFeatures]));
  return reshape(y, [...x.shape.slice(0, -1), l.outFeatures]);
}

export const ACTIVATIONS = ['gelu', 'relu', 'prelu', 'elu', 'celu', 'none'];
export const MASKINGS = ['filling', 'multiplicative', 'none'];

/** Filling (masked_fill with 0) equals multiplying by the 0/1 mask for finite values. */
export const applyMasking = (masking: string, y: F, sequenceMask: F): F => (masking === 'none' ? y : mul(y, sequenceMask));

/** nn.Sequential(Linear, activation, dropout): the Linear ("0") and a PReLU's slope ("1") hold state. */
export class LinearActivation extends Module {
  readonly linear: Linear;
  readonly activation: ActivationBlock;
  readonly dropout: Dropout | null;
  constructor(engine: Engine, inDim: number, outDim: number, activation: string, rand: () => number, p = 0) {
    super(engine);
    this.linear = this.registerModule('0', new Linear(engine, inDim, outDim, 'none', rand));
    this.activation = this.registerModule('1', new ActivationBlock(engine, activation, outDim));
    this.dropout = this.registerModule('2', createDropout(engine, p, rand));
  }
  forward(x: F): F {
    return applyDropout(this.dropout, this.activation.forward(linearNd(this.linear, x)));
  }
}

/** GRUGate: gated residual z·h + (1 − z)·residual, z biased towards the residual by gate_bias. */
export class GRUGate extends Module {
  readonly Wr: Linear;
  readonly Ur: Linear;
  readonly Wz: Linear;
  readonly Uz: Linear;
  readonly Wg: Linear;
  readonly Ug: Linear;
  readonly gateBias: F;
  constructor(engine: Engine, dim: number, rand: () => number, gateInitialization = 2) {
    super(engine);
    const lin = (name: string, bias: boolean) => this.registerModule(name, new Linear(engine, dim, dim, 'none', rand, { bias }));
    this.Wr = lin('linear_W_r', true);
    this.Ur = lin('linear_U_r', false);
    this.Wz = lin('linear_W_z', true);
    this.Uz = lin('linear_U_z', false);
    this.Wg = lin('linear_W_g', true);
    this.Ug = lin('linear_U_g', false);
    this.gateBias = this.parameter('gate_bias', new Float32Array(dim).fill(gateInitialization), [dim]);
  }
  forward(vectors: F, residual: F): F {
    const r = sigmoid(add(linearNd(this.Wr, vectors), linearNd(this.Ur, residual)));
    const z = sigmoid(sub(add(linearNd(this.Wz, vectors), linearNd(this.Uz, residual)), this.gateBias));
    const h = tanh(add(linearNd(this.Wg, vectors), linearNd(this.Ug, mul(r, residual))));
    return add(mul(rsubScalar(z, 1), residual), mul(z, h));
  }
}

/**
 * GRUBlock [T, B, I] → [T, B, O]: norm → Linear·act·dropout (width transformer_dim_scale · I) →
 * Linear·act·dropout → with skip connections the GRU gate against residual(x) (x itself, or a Linear
 * when I ≠ O) → masking. Without skip connections the gate is built (its weights are in the
 * state) but not used, as upstream.
 */
export class GRUBlock extends Module {
  readonly normalization: Normalization;
  readonly linear1: LinearActivation;
  readonly linear2: LinearActivation;
  readonly gru: GRUGate;
  readonly residual: Linear | null;
  private readonly masking: string;

  constructor(
    engine: Engine,
    options: SpanetOptions,
    readonly inputDim: number,
    readonly outputDim: number,
    readonly skipConnection: boolean,
    rand: () => number,
  ) {
    super(engine);
    const hidden = Math.round(Number(options.transformer_dim_scale) * inputDim);
    const act = requireWord(options, 'linear_activation', ACTIVATIONS);
    this.masking = requireWord(options, 'masking', MASKINGS);
    this.normalization = this.registerModule('normalization', createNormalization(engine, options, inputDim));
    const p = dropoutRate(options);
    this.linear1 = this.registerModule('linear_1', new LinearActivation(engine, inputDim, hidden, act, rand, p));
    this.linear2 = this.registerModule('linear_2', new LinearActivation(engine, hidden, outputDim, act, rand, p));
    this.gru = this.registerModule('gru', new GRUGate(engine, outputDim, rand));
    const needsProjection = skipConnection && inputDim !== outputDim;
    this.residual = this.registerModule('residual', needsProjection ? new Linear(engine, inputDim, outputDim, 'none', rand) : null);
  }

  /** x [T, B, I], sequenceMask [T, B, 1] (1 = real). */
  forward(x: F, sequenceMask: F): F {
    let out = this.linear2.forward(this.linear1.forward(this.normalization.forward(x, sequenceMask)));
    if (this.skipConnection) out = this.gru.forward(out, this.residual ? linearNd(this.residual, x) : x);
    return applyMasking(this.masking, out, sequenceMask);
  }
}
