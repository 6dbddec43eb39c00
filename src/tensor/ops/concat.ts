import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { concatChannelsRef } from '../reference/concat';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

function params(a: Tensor, b: Tensor): Uniform[] {
  if (a.rank !== 4 || b.rank !== 4 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[2] || a.shape[3] !== b.shape[3]) {
    throw new Error(`concatChannels: [${a.shape}] and [${b.shape}] must agree in N, H and W`);
  }
  return [
    ['u32', a.shape[0]],
    ['u32', a.shape[1]],
    ['u32', b.shape[1]],
    ['u32', a.shape[2] * a.shape[3]],
  ];
}

/** Concatenates a [N, Ca, H, W] and b [N, Cb, H, W] into [N, Ca + Cb, H, W]. */
export const concatChannelsOp = registerOp<Record<string, never>>({
  name: 'concatChannels',
  differentiable: [true, true],
  forward(e, [a, b]) {
    const u = params(a, b);
    const y = e.empty([a.shape[0], a.shape[1] + b.shape[1], a.shape[2], a.shape[3]]);
    e.gpu.dispatch(SHADERS.concat, 'concat_channels_forward', [a.buffer, b.buffer, y.buffer], grid1d(y.size), u);
    return { output: y };
  },
  backward(e, node, dy) {
    const [a, b] = node.inputs;
    const da = e.empty(a.shape);
    const db = e.empty(b.shape);
    e.gpu.dispatch(SHADERS.concat, 'concat_channels_backward', [dy.buffer, da.buffer, db.buffer], grid1d(dy.size), params(a, b));
    return [da, db];
  },
  reference: ([a, b]) => concatChannelsRef(a, b),
});

export const concatChannels = (a: Tensor<'f32'>, b: Tensor<'f32'>): Tensor<'f32'> =>
  a.engine.apply(concatChannelsOp, [a, b], {}) as Tensor<'f32'>;
