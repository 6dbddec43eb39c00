import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import type { Engine } from '../engine';
import { isRecomputing } from '../checkpoint';
import { batchNormDims, batchNormRef } from '../reference/batchnorm';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export interface BatchNormAttrs {
  eps: number;
  /** Batch statistics (and the running update) when true; the running statistics otherwise. */
  training: boolean;
  /** Running-statistics factor; null = cumulative average (torch's momentum=None). */
  momentum: number | null;
}

/** Values of one channel per thread in the statistics passes. */
const BN_CHUNK = 256;

function uniforms(x: Tensor, at: BatchNormAttrs, flags: number): { u: Uniform[]; chunks: number; C: number } {
  const { N, C, L } = batchNormDims(x.shape);
  const chunks = Math.max(1, Math.ceil((N * L) / BN_CHUNK));
  return {
    u: [
      ['u32', N],
      ['u32', C],
      ['u32', L],
      ['u32', BN_CHUNK],
      ['u32', chunks],
      ['f32', at.eps],
      ['f32', at.momentum ?? 0],
      ['u32', flags],
    ],
    chunks,
    C,
  };
}

/** [C, 2] (mean, rstd) of the batch, updating the running statistics and the counter in place. */
function batchStats(e: Engine, x: Tensor, runMean: Tensor, runVar: Tensor, counter: Tensor, at: BatchNormAttrs): Tensor<'f32'> {
  const { N, L } = batchNormDims(x.shape);
  if (N * L < 2) throw new Error(`batchNorm: train mode needs more than one value per channel, got x [${x.shape}]`);
  // A checkpoint's re-run of the forward sees the same batch: the running statistics and the
  // counter were updated by the first run and must not be updated again.
  const update = !isRecomputing(e);
  const { u, chunks, C } = uniforms(x, at, (update ? 1 : 0) | (at.momentum === null ? 2 : 0));
  const stats = e.empty([C, 2]);
  const part = e.gpu.alloc(C * chunks * 2 * 4, 'bn-chunk-moments');
  e.gpu.dispatch(SHADERS.batchnorm, 'bn_chunk_moments', [x.buffer, part], grid1d(C * chunks), u);
  e.gpu.dispatch(
    SHADERS.batchnorm,
    'bn_merge_moments',
    [part, stats.buffer, runMean.buffer, runVar.buffer, counter.buffer],
    grid1d(C, 64),
    u,
  );
  e.gpu.release(part);
  if (update) e.gpu.dispatch(SHADERS.batchnorm, 'bn_count', [counter.buffer], [1]);
  return stats;
}

/**
 * torch.nn.functional.batch_norm over x [N, C, ...] with affine γ, β [C].
 * inputs: x, γ, β, running_mean [C], running_var [C], num_batches_tracked (i32, shape []).
 * Train mode updates the last three in place on the GPU (momentum, unbiased variance) and
 * keeps (mean, rstd) for backward; eval mode normalises with the running statistics.
 */
export const batchNormOp = registerOp<BatchNormAttrs>({
  name: 'batchNorm',
  differentiable: [true, true, true, false, false, false],
  forward(e, [x, gamma, beta, runMean, runVar, counter], at) {
    const { C } = batchNormDims(x.shape);
    for (const [what, t] of [
      ['weight', gamma],
      ['bias', beta],
      ['running_mean', runMean],
      ['running_var', runVar],
    ] as const) {
      if (t.size !== C) throw new Error(`batchNorm: ${what} [${t.shape}] needs ${C} entries for x [${x.shape}]`);
    }
    if (counter.dtype !== 'i32' || counter.size !== 1) throw new Error('batchNorm: num_batches_tracked must be one i32');
    let stats: Tensor<'f32'>;
    if (at.training) {
      stats = batchStats(e, x, runMean, runVar, counter, at);
    } else {
      stats = e.empty([C, 2]);
      e.gpu.dispatch(
        SHADERS.batchnorm,
        'bn_eval_stats',
        [runMean.buffer, runVar.buffer, stats.buffer],
        [Math.ceil(C / 64)],
        uniforms(x, at, 0).u,
      );
    }
    const y = e.empty(x.shape);
    e.gpu.dispatch(
      SHADERS.batchnorm,
      'bn_apply',
      [x.buffer, stats.buffer, gamma.buffer, beta.buffer, y.buffer],
      grid1d(x.size),
      uniforms(x, at, 0).u,
    );
    return { output: y, saved: [stats] };
  },
  backward(e, node, dy, needs) {
    const [x, gamma, beta] = node.inputs;
    const stats = node.saved[0];
    const { u, chunks, C } = uniforms(x, node.attrs, node.attrs.training ? 4 : 0);
    const part = e.gpu.alloc(C * chunks * 2 * 4, 'bn-chunk-grad-sums');
    e.gpu.dispatch(SHADERS.batchnorm, 'bn_chunk_grad_sums', [x.buffer, stats.buffer, dy.buffer, part], grid1d(C * chunks), u);
    const sums = e.gpu.alloc(2 * C * 4, 'bn-grad-sums');
    e.gpu.dispatch(SHADERS.batchnorm, 'bn_merge_grad_sums', [part, sums], [Math.ceil(C / 64)], u);
    e.gpu.release(part);
    let dx: Tensor<'f32'> | null = null;
    if (needs[0]) {
      dx = e.empty(x.shape);
      e.gpu.dispatch(
        SHADERS.batchnorm,
        'bn_backward_input',
        [x.buffer, stats.buffer, gamma.buffer, dy.buffer, sums, dx.buffer],
        grid1d(x.size),
        u,
      );
    }
    let dgamma: Tensor<'f32'> | null = null;
    let dbeta: Tensor<'f32'> | null = null;
    if (needs[1]) {
      dgamma = e.empty(gamma.shape);
      e.gpu.copy(sums, C * 4, dgamma.buffer, 0, C * 4);
    }
    if (needs[2]) {
      dbeta = e.empty(beta.shape);
      e.gpu.copy(sums, 0, dbeta.buffer, 0, C * 4);
    }
    e.gpu.release(sums);
    return [dx, dgamma, dbeta, null, null, null];
  },
  reference: ([x, gamma, beta, runMean, runVar], at) => batchNormRef(x, gamma, beta, runMean, runVar, at.eps, at.training),
});

export interface BatchNormState {
  runningMean: Tensor<'f32'>;
  runningVar: Tensor<'f32'>;
  numBatchesTracked: Tensor<'i32'>;
}

export function batchNorm(
  x: Tensor<'f32'>,
  gamma: Tensor<'f32'>,
  beta: Tensor<'f32'>,
  state: BatchNormState,
  opts: { training: boolean; eps?: number; momentum?: number | null },
): Tensor<'f32'> {
  const attrs: BatchNormAttrs = {
    training: opts.training,
    eps: opts.eps ?? 1e-5,
    momentum: opts.momentum === undefined ? 0.1 : opts.momentum,
  };
  return x.engine.apply(
    batchNormOp,
    [x, gamma, beta, state.runningMean, state.runningVar, state.numBatchesTracked],
    attrs,
  ) as Tensor<'f32'>;
}
