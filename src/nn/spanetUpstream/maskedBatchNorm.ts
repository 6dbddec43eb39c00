/**
 * Upstream's MaskedBatchNorm (normalizations.py, 46c6805) over x [T, B, D] with the sequence
 * mask [T, B, 1]. Train mode: mean and unbiased variance over the real vectors only (padding
 * left out), detached as upstream's (no gradient through the statistics), the running
 * statistics replaced by the first batch and moved by momentum 0.1 after it; eval mode: the
 * running statistics. Then the affine [1, 1, D] and zero at padding.
 */
import { detach } from '../../tensor/autodiff';
import { isRecomputing } from '../../tensor/checkpoint';
import type { Engine } from '../../tensor/engine';
import { div } from '../../tensor/ops/broadcast';
import { add, mul, sub } from '../../tensor/ops/elementwise';
import { sumAxes } from '../../tensor/ops/reduceAxes';
import { addScalar, rsqrt, square } from '../../tensor/ops/unary';
import type { Tensor } from '../../tensor/tensor';
import type { Uniform } from '../../gpu/context';
import { SHADERS } from '../../gpu/shaders';
import { Module } from '../module';

type F = Tensor<'f32'>;

/**
 * The running-statistics update (shaders/masked_batchnorm.wgsl) on [1, 1, D] buffers in place,
 * then counter + 1; reference: maskedRunningUpdateRef.
 */
export function updateMaskedRunningStats(
  e: Engine,
  batch: { mean: F; var: F },
  running: { mean: F; var: F; count: Tensor<'i32'> },
  momentum: number,
): void {
  const D = running.mean.size;
  for (const t of [batch.mean, batch.var, running.var])
    if (t.size !== D) throw new Error(`masked batch norm: statistics of ${t.size} features for ${D} running ones`);
  const u: Uniform[] = [
    ['u32', D],
    ['f32', 1 - momentum],
    ['f32', momentum],
    ['u32', 0],
  ];
  const buffers = [batch.mean.buffer, batch.var.buffer, running.mean.buffer, running.var.buffer, running.count.buffer];
  e.gpu.dispatch(SHADERS.maskedBatchnorm, 'mbn_running_update', buffers, [Math.ceil(D / 64)], u);
  e.gpu.dispatch(SHADERS.maskedBatchnorm, 'mbn_count', [running.count.buffer], [1]);
}

export class MaskedBatchNorm extends Module {
  readonly weight: F;
  readonly bias: F;
  readonly runningMean: F;
  readonly runningVar: F;
  readonly numBatchesTracked: Tensor<'i32'>;
  constructor(
    engine: Engine,
    readonly dim: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
  ) {
    super(engine);
    this.weight = this.parameter('weight', new Float32Array(dim).fill(1), [1, 1, dim]);
    this.bias = this.parameter('bias', new Float32Array(dim), [1, 1, dim]);
    this.runningMean = this.registerBuffer('running_mean', engine.fromArray(new Float32Array(dim), [1, 1, dim]));
    this.runningVar = this.registerBuffer('running_var', engine.fromArray(new Float32Array(dim).fill(1), [1, 1, dim]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', engine.fromArray(new Int32Array(1), [], { dtype: 'i32' }), {
      dtype: 'I64',
    });
  }

  /** Mean and unbiased variance [1, 1, D] of the vectors with mask 1, off the tape. */
  batchStatistics(x: F, sequenceMask: F): { mean: F; var: F } {
    const xs = detach(x);
    const n = sumAxes(sequenceMask, [0, 1], true);
    const mean = div(sumAxes(mul(xs, sequenceMask), [0, 1], true), n);
    const centred = mul(sub(xs, mean), sequenceMask);
    // n − 1: torch's unbiased var; one real vector gives 0/0 = NaN there as here
    return { mean, var: div(sumAxes(square(centred), [0, 1], true), addScalar(n, -1)) };
  }

  forward(x: F, sequenceMask: F): F {
    if (x.rank !== 3 || x.shape[2] !== this.dim)
      throw new Error(`MaskedBatchNorm(${this.dim}): x [${x.shape}] must be [T, B, ${this.dim}]`);
    let mean = this.runningMean;
    let variance = this.runningVar;
    if (this.training) {
      const stats = this.batchStatistics(x, sequenceMask);
      // a checkpoint's re-run sees the same batch, already counted by the first run
      if (!isRecomputing(this.engine))
        updateMaskedRunningStats(
          this.engine,
          stats,
          { mean: this.runningMean, var: this.runningVar, count: this.numBatchesTracked },
          this.momentum,
        );
      mean = stats.mean;
      variance = stats.var;
    }
    const normed = mul(sub(x, mean), rsqrt(addScalar(variance, this.eps)));
    return mul(add(mul(normed, this.weight), this.bias), sequenceMask);
  }
}
