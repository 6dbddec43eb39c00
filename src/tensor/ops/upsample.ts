import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { upsampleNearestRef } from '../reference/upsample';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export interface UpsampleAttrs {
  factor: number;
}

function params(x: Tensor, f: number): Uniform[] {
  if (x.rank !== 4) throw new Error(`upsampleNearest: need x [N, C, H, W], got [${x.shape}]`);
  if (!Number.isInteger(f) || f < 1) throw new Error(`upsampleNearest: factor ${f} must be a positive integer`);
  const [N, C, H, W] = x.shape;
  return [
    ['u32', N * C],
    ['u32', H],
    ['u32', W],
    ['u32', f],
  ];
}

/** Nearest-neighbour upsampling by an integer factor (ONNX Resize, mode "nearest"). */
export const upsampleNearestOp = registerOp<UpsampleAttrs>({
  name: 'upsampleNearest',
  differentiable: [true],
  forward(e, [x], { factor }) {
    const u = params(x, factor);
    const [N, C, H, W] = x.shape;
    const y = e.empty([N, C, H * factor, W * factor]);
    e.gpu.dispatch(SHADERS.upsample, 'upsample_nearest_forward', [x.buffer, y.buffer], grid1d(y.size), u);
    return { output: y };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    const dx = e.empty(x.shape);
    e.gpu.dispatch(SHADERS.upsample, 'upsample_nearest_backward', [dy.buffer, dx.buffer], grid1d(x.size), params(x, node.attrs.factor));
    return [dx];
  },
  reference: ([x], { factor }) => upsampleNearestRef(x, factor),
});

export const upsampleNearest = (x: Tensor<'f32'>, factor = 2): Tensor<'f32'> =>
  x.engine.apply(upsampleNearestOp, [x], { factor }) as Tensor<'f32'>;
