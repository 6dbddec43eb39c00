import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { launchReduce } from '../kernels';
import { layerNormRef } from '../reference/layernorm';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export interface LayerNormAttrs {
  eps: number;
}

/** inputs: x [..., W], gamma [W], beta [W]. Keeps (mean, rstd) per row for the backward. */
export const layerNormOp = registerOp<LayerNormAttrs>({
  name: 'layerNorm',
  differentiable: [true, true, true],
  forward(e, [x, gamma, beta], { eps }) {
    const W = gamma.size;
    if (x.shape[x.rank - 1] !== W || beta.size !== W) {
      throw new Error(`layerNorm: gamma [${gamma.shape}] / beta [${beta.shape}] do not match x [${x.shape}]`);
    }
    const R = x.size / W;
    const y = e.empty(x.shape);
    const stats = e.empty([R, 2]);
    e.gpu.dispatch(SHADERS.layerNorm, 'layernorm_forward', [x.buffer, gamma.buffer, beta.buffer, y.buffer, stats.buffer], grid1d(R, 64), [
      ['u32', R],
      ['u32', W],
      ['f32', eps],
      ['u32', 0],
    ]);
    return { output: y, saved: [stats] };
  },
  backward(e, node, dy, needs) {
    const [x, gamma] = node.inputs;
    const W = gamma.size;
    const R = x.size / W;
    const dx = e.empty(x.shape);
    const dyXhat = e.empty(x.shape);
    e.gpu.dispatch(
      SHADERS.layerNorm,
      'layernorm_backward',
      [x.buffer, gamma.buffer, node.saved[0].buffer, dy.buffer, dx.buffer, dyXhat.buffer],
      grid1d(R, 64),
      [
        ['u32', R],
        ['u32', W],
        ['f32', node.attrs.eps],
        ['u32', 0],
      ],
    );
    let dGamma: Tensor<'f32'> | null = null;
    let dBeta: Tensor<'f32'> | null = null;
    if (needs[1]) {
      dGamma = e.empty([W]);
      launchReduce(e.gpu, dyXhat.buffer, dGamma.buffer, 1, R, W, 1);
    }
    if (needs[2]) {
      dBeta = e.empty([W]);
      launchReduce(e.gpu, dy.buffer, dBeta.buffer, 1, R, W, 1);
    }
    dyXhat.dispose();
    return [dx, dGamma, dBeta];
  },
  reference: ([x, gamma, beta], { eps }) => layerNormRef(x, gamma, beta, eps),
});

export const layerNorm = (x: Tensor<'f32'>, gamma: Tensor<'f32'>, beta: Tensor<'f32'>, eps = 1e-5): Tensor<'f32'> =>
  x.engine.apply(layerNormOp, [x, gamma, beta], { eps }) as Tensor<'f32'>;
