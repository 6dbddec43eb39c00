/**
 * Upstream's other linear blocks: Basic (Linear → act → + residual → norm → dropout), ResNet
 * (two norm-first blocks, the second with the skip and the dropout) and Gated (Linear → act →
 * Linear → dropout → GLU → + residual → norm). Each ends with the masking; state names as
 * upstream's modules (nn.Dropout holds none).
 */
import type { Engine } from '../../tensor/engine';
import { add, mul, sigmoid } from '../../tensor/ops/elementwise';
import type { Tensor } from '../../tensor/tensor';
import type { SpanetOptions } from '../../tasks/spanet/options';
import type { Dropout } from '../layers/dropout';
import { Linear } from '../linear';
import { Module } from '../module';
import { requireWord } from './config';
import { ActivationBlock } from './activation';
import { applyDropout, createDropout, dropoutRate } from './dropout';
import { ACTIVATIONS, applyMasking, linearNd, MASKINGS } from './gruBlock';
import { createNormalization, type Normalization } from './normalization';

type F = Tensor<'f32'>;

const words = (o: SpanetOptions) => ({
  act: requireWord(o, 'linear_activation', ACTIVATIONS),
  masking: requireWord(o, 'masking', MASKINGS),
});

/** create_residual_connection: a Linear only when the widths differ and the skip is used. */
const residualLinear = (m: Module, e: Engine, skip: boolean, inDim: number, outDim: number, rand: () => number): Linear | null =>
  m.registerModule('residual', skip && inDim !== outDim ? new Linear(e, inDim, outDim, 'none', rand) : null);

export class BasicBlock extends Module {
  readonly linear: Linear;
  readonly normalization: Normalization;
  readonly activation: ActivationBlock;
  readonly residual: Linear | null;
  readonly dropout: Dropout | null;
  private readonly w: ReturnType<typeof words>;
  constructor(
    engine: Engine,
    options: SpanetOptions,
    inputDim: number,
    readonly outputDim: number,
    readonly skipConnection: boolean,
    rand: () => number,
  ) {
    super(engine);
    this.w = words(options);
    this.linear = this.registerModule('linear', new Linear(engine, inputDim, outputDim, 'none', rand));
    this.activation = this.registerModule('activation', new ActivationBlock(engine, this.w.act, outputDim));
    this.normalization = this.registerModule('normalization', createNormalization(engine, options, outputDim));
    this.dropout = this.registerModule('dropout', createDropout(engine, dropoutRate(options), rand));
    this.residual = residualLinear(this, engine, skipConnection, inputDim, outputDim, rand);
  }
  forward(x: F, sequenceMask: F): F {
    let y = this.activation.forward(linearNd(this.linear, x));
    if (this.skipConnection) y = add(y, this.residual ? linearNd(this.residual, x) : x);
    return applyMasking(this.w.masking, applyDropout(this.dropout, this.normalization.forward(y, sequenceMask)), sequenceMask);
  }
}

/** NormalizationFirstBlock: Linear (no bias) → norm → + residual → act → dropout (rate p) → masking. */
class NormalizationFirstBlock extends Module {
  readonly linear: Linear;
  readonly normalization: Normalization;
  readonly activation: ActivationBlock;
  readonly dropout: Dropout | null;
  private readonly w: ReturnType<typeof words>;
  constructor(
    engine: Engine,
    options: SpanetOptions,
    inputDim: number,
    outputDim: number,
    readonly skipConnection: boolean,
    p: number,
    rand: () => number,
  ) {
    super(engine);
    this.w = words(options);
    this.linear = this.registerModule('linear', new Linear(engine, inputDim, outputDim, 'none', rand, { bias: false }));
    this.activation = this.registerModule('activation', new ActivationBlock(engine, this.w.act, outputDim));
    this.normalization = this.registerModule('normalization', createNormalization(engine, options, outputDim));
    this.dropout = this.registerModule('dropout', createDropout(engine, p, rand));
  }
  forward(x: F, sequenceMask: F, residual: F = x): F {
    let y = this.normalization.forward(linearNd(this.linear, x), sequenceMask);
    if (this.skipConnection) y = add(y, residual);
    return applyMasking(this.w.masking, applyDropout(this.dropout, this.activation.forward(y)), sequenceMask);
  }
}

export class ResNetBlock extends Module {
  readonly block1: NormalizationFirstBlock;
  readonly block2: NormalizationFirstBlock;
  constructor(engine: Engine, options: SpanetOptions, inputDim: number, outputDim: number, skipConnection: boolean, rand: () => number) {
    super(engine);
    // upstream builds block_1 with dropout 0.0: only the second block drops
    this.block1 = this.registerModule('block_1', new NormalizationFirstBlock(engine, options, inputDim, outputDim, false, 0, rand));
    this.block2 = this.registerModule(
      'block_2',
      new NormalizationFirstBlock(engine, options, outputDim, outputDim, skipConnection, dropoutRate(options), rand),
    );
  }
  forward(x: F, sequenceMask: F): F {
    const hidden = this.block1.forward(x, sequenceMask);
    return this.block2.forward(hidden, sequenceMask, hidden);
  }
}

class GLU extends Module {
  readonly linear1: Linear;
  readonly linear2: Linear;
  constructor(engine: Engine, dim: number, rand: () => number) {
    super(engine);
    this.linear1 = this.registerModule('linear_1', new Linear(engine, dim, dim, 'none', rand));
    this.linear2 = this.registerModule('linear_2', new Linear(engine, dim, dim, 'none', rand));
  }
  forward(x: F): F {
    return mul(sigmoid(linearNd(this.linear1, x)), linearNd(this.linear2, x));
  }
}

export class GatedBlock extends Module {
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly normalization: Normalization;
  readonly activation: ActivationBlock;
  readonly residual: Linear | null;
  readonly dropout: Dropout | null;
  readonly gate: GLU;
  private readonly w: ReturnType<typeof words>;
  constructor(
    engine: Engine,
    options: SpanetOptions,
    inputDim: number,
    readonly outputDim: number,
    readonly skipConnection: boolean,
    rand: () => number,
  ) {
    super(engine);
    this.w = words(options);
    const hidden = Math.round(Number(options.transformer_dim_scale) * inputDim);
    // Upstream's order: linear_1 (hidden → out) is created before linear_2 (in → hidden).
    this.linear1 = this.registerModule('linear_1', new Linear(engine, hidden, outputDim, 'none', rand));
    this.linear2 = this.registerModule('linear_2', new Linear(engine, inputDim, hidden, 'none', rand));
    this.activation = this.registerModule('activation', new ActivationBlock(engine, this.w.act, hidden));
    this.normalization = this.registerModule('normalization', createNormalization(engine, options, outputDim));
    this.dropout = this.registerModule('dropout', createDropout(engine, dropoutRate(options), rand));
    this.residual = residualLinear(this, engine, skipConnection, inputDim, outputDim, rand);
    this.gate = this.registerModule('gate', new GLU(engine, outputDim, rand));
  }
  forward(x: F, sequenceMask: F): F {
    const eta2 = this.activation.forward(linearNd(this.linear2, x));
    // upstream drops before the gate, not at the block's end
    let y = this.gate.forward(applyDropout(this.dropout, linearNd(this.linear1, eta2)));
    if (this.skipConnection) y = add(y, this.residual ? linearNd(this.residual, x) : x);
    return applyMasking(this.w.masking, this.normalization.forward(y, sequenceMask), sequenceMask);
  }
}
