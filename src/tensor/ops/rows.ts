import { sliceRowsRef } from '../reference/rows';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';

export interface SliceRowsAttrs {
  start: number;
  count: number;
}

/**
 * Rows [start, start + count) of x [rows, ...] as a new tensor: a buffer copy, no kernel.
 * The backward writes the gradient into the same rows of a zero tensor.
 */
export const sliceRowsOp = registerOp<SliceRowsAttrs>({
  name: 'sliceRows',
  differentiable: [true],
  forward(e, [x], { start, count }) {
    if (start < 0 || count < 0 || start + count > x.shape[0])
      throw new Error(`sliceRows: rows ${start}..${start + count} outside [${x.shape}]`);
    const width = x.size / x.shape[0];
    const y = e.empty([count, ...x.shape.slice(1)], x.dtype);
    if (y.size) e.gpu.copy(x.buffer, start * width * 4, y.buffer, 0, y.size * 4);
    return { output: y };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    const width = x.size / x.shape[0];
    const dx = e.zeros(x.shape);
    if (dy.size) e.gpu.copy(dy.buffer, 0, dx.buffer, node.attrs.start * width * 4, dy.size * 4);
    return [dx];
  },
  reference: ([x], { start, count }) => sliceRowsRef(x, start, count),
});

export const sliceRows = <D extends 'f32'>(x: Tensor<D>, start: number, count: number): Tensor<'f32'> =>
  x.engine.apply(sliceRowsOp, [x], { start, count }) as Tensor<'f32'>;
