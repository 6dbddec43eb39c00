import type { Engine } from '../../tensor/engine';
import { batchNorm } from '../../tensor/ops/batchnorm';
import type { Tensor } from '../../tensor/tensor';
import { Module } from '../module';

export interface BatchNormOptions {
  eps?: number;
  /** Running-statistics factor (default 0.1); null = cumulative average, as torch's momentum=None. */
  momentum?: number | null;
  /** Learnt weight and bias (default true). */
  affine?: boolean;
}

/**
 * torch's _BatchNorm: weight, bias, and buffers running_mean, running_var and
 * num_batches_tracked (I64 in the state dict). Train mode normalises with the batch and
 * updates the buffers on the GPU; eval mode uses the running statistics.
 */
class BatchNorm extends Module {
  readonly weight: Tensor<'f32'>;
  readonly bias: Tensor<'f32'>;
  readonly runningMean: Tensor<'f32'>;
  readonly runningVar: Tensor<'f32'>;
  readonly numBatchesTracked: Tensor<'i32'>;
  readonly eps: number;
  readonly momentum: number | null;

  constructor(
    engine: Engine,
    readonly numFeatures: number,
    private readonly ranks: number[],
    opts: BatchNormOptions = {},
  ) {
    super(engine);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    const ones = new Float32Array(numFeatures).fill(1);
    if (opts.affine === false) {
      // Not parameters: no state-dict entries, as torch with affine=False.
      this.registerParameter('weight', null);
      this.registerParameter('bias', null);
      this.weight = engine.fromArray(ones, [numFeatures]).keep();
      this.bias = engine.fromArray(new Float32Array(numFeatures), [numFeatures]).keep();
    } else {
      this.weight = this.parameter('weight', ones, [numFeatures]);
      this.bias = this.parameter('bias', new Float32Array(numFeatures), [numFeatures]);
    }
    this.runningMean = this.registerBuffer('running_mean', engine.fromArray(new Float32Array(numFeatures), [numFeatures]));
    this.runningVar = this.registerBuffer('running_var', engine.fromArray(ones, [numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', engine.fromArray(new Int32Array(1), [], { dtype: 'i32' }), {
      dtype: 'I64',
    });
  }

  dispose(): void {
    super.dispose();
    // affine=false: the constant γ = 1, β = 0 are not parameters, so Module.dispose misses them.
    this.weight.dispose();
    this.bias.dispose();
  }

  forward(x: Tensor<'f32'>): Tensor<'f32'> {
    if (!this.ranks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      throw new Error(
        `${this.constructor.name}(${this.numFeatures}): expected x of rank ${this.ranks.join(' or ')} with ${this.numFeatures} channels, got [${x.shape}]`,
      );
    }
    const state = { runningMean: this.runningMean, runningVar: this.runningVar, numBatchesTracked: this.numBatchesTracked };
    return batchNorm(x, this.weight, this.bias, state, { training: this.training, eps: this.eps, momentum: this.momentum });
  }
}

/** torch.nn.BatchNorm1d over x [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNorm {
  constructor(engine: Engine, numFeatures: number, opts: BatchNormOptions = {}) {
    super(engine, numFeatures, [2, 3], opts);
  }
}

/** torch.nn.BatchNorm2d over x [N, C, H, W]. */
export class BatchNorm2d extends BatchNorm {
  constructor(engine: Engine, numFeatures: number, opts: BatchNormOptions = {}) {
    super(engine, numFeatures, [4], opts);
  }
}
