import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import { pool2dRef } from '../reference/pool';
import { registerOp, type OpDef } from '../registry';
import type { Tensor } from '../tensor';

export interface PoolAttrs {
  /** Window size and stride (non-overlapping windows). */
  k: number;
}

function poolParams(x: Tensor, k: number): { u: Uniform[]; outShape: number[] } {
  if (x.rank !== 4) throw new Error(`pool2d: need x [N, C, H, W], got [${x.shape}]`);
  const [N, C, H, W] = x.shape;
  const Ho = Math.floor(H / k);
  const Wo = Math.floor(W / k);
  if (!(k >= 1) || Ho < 1 || Wo < 1) throw new Error(`pool2d: window ${k} does not fit [${x.shape}]`);
  return {
    u: [
      ['u32', N],
      ['u32', C],
      ['u32', H],
      ['u32', W],
      ['u32', Ho],
      ['u32', Wo],
      ['u32', k],
      ['u32', 0],
    ],
    outShape: [N, C, Ho, Wo],
  };
}

/** k×k max pooling; the forward keeps each window's argmax (i32) for the backward gather. */
export const maxPool2dOp = registerOp<PoolAttrs>({
  name: 'maxPool2d',
  differentiable: [true],
  forward(e, [x], { k }) {
    const { u, outShape } = poolParams(x, k);
    const y = e.empty(outShape);
    const arg = e.empty(outShape, 'i32');
    e.gpu.dispatch(SHADERS.pool, 'maxpool_forward', [x.buffer, y.buffer, arg.buffer], grid1d(y.size), u);
    return { output: y, saved: [arg] };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    const { u } = poolParams(x, node.attrs.k);
    const dx = e.empty(x.shape);
    e.gpu.dispatch(SHADERS.pool, 'maxpool_backward', [dy.buffer, node.saved[0].buffer, dx.buffer], grid1d(x.size), u);
    return [dx];
  },
  reference: ([x], { k }) => pool2dRef(x, k, 'max'),
});

export const avgPool2dOp: OpDef<PoolAttrs> = registerOp<PoolAttrs>({
  name: 'avgPool2d',
  differentiable: [true],
  forward(e, [x], { k }) {
    const { u, outShape } = poolParams(x, k);
    const y = e.empty(outShape);
    e.gpu.dispatch(SHADERS.pool, 'avgpool_forward', [x.buffer, y.buffer], grid1d(y.size), u);
    return { output: y };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    const { u } = poolParams(x, node.attrs.k);
    const dx = e.empty(x.shape);
    e.gpu.dispatch(SHADERS.pool, 'avgpool_backward', [dy.buffer, dx.buffer], grid1d(x.size), u);
    return [dx];
  },
  reference: ([x], { k }) => pool2dRef(x, k, 'avg'),
});

export const maxPool2d = (x: Tensor<'f32'>, k = 2): Tensor<'f32'> => x.engine.apply(maxPool2dOp, [x], { k }) as Tensor<'f32'>;
export const avgPool2d = (x: Tensor<'f32'>, k = 2): Tensor<'f32'> => x.engine.apply(avgPool2dOp, [x], { k }) as Tensor<'f32'>;
