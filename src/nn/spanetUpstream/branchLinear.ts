/**
 * Upstream's BranchLinear (detection, classification heads) and NormalizedBranchLinear
 * (regression heads): GRU linear stack on one vector per event → BatchNorm1d → Linear.
 */
import type { Engine } from '../../tensor/engine';
import { add, exp, mul } from '../../tensor/ops/elementwise';
import { reshape } from '../../tensor/ops/reshape';
import { neg } from '../../tensor/ops/unary';
import { sub } from '../../tensor/ops/elementwise';
import type { Tensor } from '../../tensor/tensor';
import type { RegressionKind } from '../../tasks/spanet/eventSpec';
import type { SpanetOptions } from '../../tasks/spanet/options';
import { BatchNorm1d } from '../layers/batchnorm';
import { Linear } from '../linear';
import { Module } from '../module';
import { optionBool, optionInt } from './config';
import { LinearStack } from './linearStack';

type F = Tensor<'f32'>;

export class BranchLinear extends Module {
  readonly hiddenLayers: LinearStack;
  readonly outputNorm: BatchNorm1d;
  readonly outputLayer: Linear;
  private readonly hiddenDim: number;
  constructor(engine: Engine, options: SpanetOptions, numLayers: number, numOutputs: number, rand: () => number) {
    super(engine);
    this.hiddenDim = optionInt(options, 'hidden_dim');
    this.hiddenLayers = this.registerModule(
      'hidden_layers',
      new LinearStack(engine, options, numLayers, this.hiddenDim, optionBool(options, 'skip_connections'), rand),
    );
    this.outputNorm = this.registerModule('output_norm', new BatchNorm1d(engine, this.hiddenDim));
    this.outputLayer = this.registerModule('output_layer', new Linear(engine, this.hiddenDim, numOutputs, 'none', rand));
  }
  /** vector [B, D] → [B, O]. */
  forward(vector: F): F {
    const B = vector.shape[0];
    const hidden = this.hiddenLayers.forward(reshape(vector, [1, B, this.hiddenDim]), this.engine.full([1, B, 1], 1));
    return this.outputLayer.forward(this.outputNorm.forward(reshape(hidden, [B, this.hiddenDim])));
  }
}

/** A regression head: denormalised with the training targets' mean and std (state entries). */
export class NormalizedBranchLinear extends Module {
  readonly mean: F;
  readonly std: F;
  readonly linear: BranchLinear;
  constructor(
    engine: Engine,
    options: SpanetOptions,
    numLayers: number,
    readonly kind: RegressionKind,
    rand: () => number,
  ) {
    super(engine);
    // The targets' statistics (upstream: parameters with requires_grad=False): state, not trained.
    this.mean = this.registerBuffer('mean', engine.fromArray(new Float32Array(1), []));
    this.std = this.registerBuffer('std', engine.fromArray(new Float32Array([1]), []));
    this.linear = this.registerModule('linear', new BranchLinear(engine, options, numLayers, 1, rand));
  }
  /** vector [B, D] → [B] in the target's units. */
  forward(vector: F): F {
    const B = vector.shape[0];
    const y = add(mul(reshape(this.linear.forward(vector), [B]), reshape(this.std, [1])), reshape(this.mean, [1]));
    // log_gaussian targets were arcsinh(x / 2): back with 2·sinh(y) = eʸ − e⁻ʸ.
    return this.kind === 'log_gaussian' ? sub(exp(y), exp(neg(y))) : y;
  }
}
