import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { launchReduce } from '../kernels';
import { instanceNormRef } from '../reference/norm';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export interface InstanceNormAttrs {
  eps: number;
}

/** Pixels per thread in the statistics passes (the rest of the parallelism is over planes). */
const NORM_CHUNK = 256;

function dims(x: Tensor): { N: number; C: number; HW: number; rows: number } {
  if (x.rank !== 4) throw new Error(`instanceNorm: need x [N, C, H, W], got [${x.shape}]`);
  const [N, C, H, W] = x.shape;
  return { N, C, HW: H * W, rows: N * C };
}

function params(rows: number, C: number, HW: number, eps: number): { u: Uniform[]; chunks: number } {
  const chunks = Math.ceil(HW / NORM_CHUNK);
  return {
    u: [
      ['u32', rows],
      ['u32', C],
      ['u32', HW],
      ['f32', eps],
      ['u32', NORM_CHUNK],
      ['u32', chunks],
      ['u32', 0],
      ['u32', 0],
    ],
    chunks,
  };
}

/**
 * Instance normalisation (per image and channel, over H×W) with a learnt per-channel scale γ
 * and shift β. Chosen over batch norm because it needs no running statistics (train and
 * evaluation compute the same function) and does not depend on the batch: with gradient
 * accumulation over micro-batches the result equals one large batch exactly.
 * inputs: x [N, C, H, W], γ [C], β [C]; the forward keeps (mean, rstd) per (n, c).
 */
export const instanceNormOp = registerOp<InstanceNormAttrs>({
  name: 'instanceNorm',
  differentiable: [true, true, true],
  forward(e, [x, gamma, beta], at) {
    const { C, HW, rows } = dims(x);
    if (gamma.size !== C || beta.size !== C) throw new Error(`instanceNorm: γ and β need ${C} entries`);
    const stats = e.empty([rows, 2]);
    const { u, chunks } = params(rows, C, HW, at.eps);
    const part = e.gpu.alloc(rows * chunks * 2 * 4, 'norm-chunk-moments');
    e.gpu.dispatch(SHADERS.norm, 'norm_chunk_moments', [x.buffer, part], grid1d(rows * chunks), u);
    e.gpu.dispatch(SHADERS.norm, 'norm_merge_moments', [part, stats.buffer], grid1d(rows, 64), u);
    e.gpu.release(part);
    const y = e.empty(x.shape);
    e.gpu.dispatch(SHADERS.norm, 'norm_apply', [x.buffer, stats.buffer, gamma.buffer, beta.buffer, y.buffer], grid1d(x.size), u);
    return { output: y, saved: [stats] };
  },
  backward(e, node, dy, needs) {
    const [x, gamma, beta] = node.inputs;
    const stats = node.saved[0];
    const { N, C, HW, rows } = dims(x);
    const { u, chunks } = params(rows, C, HW, node.attrs.eps);
    const part = e.gpu.alloc(rows * chunks * 2 * 4, 'norm-chunk-grad-sums');
    e.gpu.dispatch(SHADERS.norm, 'norm_chunk_grad_sums', [x.buffer, stats.buffer, dy.buffer, part], grid1d(rows * chunks), u);
    const rsum = e.gpu.alloc(2 * rows * 4, 'norm-row-sums');
    e.gpu.dispatch(SHADERS.norm, 'norm_merge_grad_sums', [part, rsum], grid1d(rows, 64), u);
    e.gpu.release(part);
    let dx: Tensor<'f32'> | null = null;
    if (needs[0]) {
      dx = e.empty(x.shape);
      e.gpu.dispatch(
        SHADERS.norm,
        'norm_backward_input',
        [x.buffer, stats.buffer, gamma.buffer, dy.buffer, rsum, dx.buffer],
        grid1d(x.size),
        u,
      );
    }
    let dgamma: Tensor<'f32'> | null = null;
    let dbeta: Tensor<'f32'> | null = null;
    if (needs[1] || needs[2]) {
      // [2, N, C] summed over N → [Σ dy ; Σ dy·x̂] per channel = [dβ ; dγ].
      const both = e.gpu.alloc(2 * C * 4, 'norm-param-grads');
      launchReduce(e.gpu, rsum, both, 2, N, C, 1);
      dbeta = e.empty(beta.shape);
      dgamma = e.empty(gamma.shape);
      e.gpu.copy(both, 0, dbeta.buffer, 0, C * 4);
      e.gpu.copy(both, C * 4, dgamma.buffer, 0, C * 4);
      e.gpu.release(both);
    }
    e.gpu.release(rsum);
    return [dx, needs[1] ? dgamma : null, needs[2] ? dbeta : null];
  },
  reference: ([x, gamma, beta], at) => instanceNormRef(x, gamma, beta, at.eps),
});

export function instanceNorm(x: Tensor<'f32'>, gamma: Tensor<'f32'>, beta: Tensor<'f32'>, eps = 1e-5): Tensor<'f32'> {
  return x.engine.apply(instanceNormOp, [x, gamma, beta], { eps }) as Tensor<'f32'>;
}
