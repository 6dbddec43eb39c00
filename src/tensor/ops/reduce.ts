import { launchBroadcastAxis, launchReduce } from '../kernels';
import { reduceRef } from '../reference/reduce';
import { registerOp, type OpDef } from '../registry';
import type { Tensor } from '../tensor';

export interface ReduceAttrs {
  /** Axis to reduce; null reduces everything to a scalar. */
  axis: number | null;
}

function split(shape: readonly number[], axis: number | null) {
  if (axis === null) return { outer: 1, n: shape.reduce((a, b) => a * b, 1), inner: 1 };
  if (axis < 0 || axis >= shape.length) throw new Error(`reduce: axis ${axis} out of range for [${shape}]`);
  return {
    outer: shape.slice(0, axis).reduce((a, b) => a * b, 1),
    n: shape[axis],
    inner: shape.slice(axis + 1).reduce((a, b) => a * b, 1),
  };
}

function reduceOp(name: 'sum' | 'mean'): OpDef<ReduceAttrs> {
  const isMean = name === 'mean';
  return registerOp<ReduceAttrs>({
    name,
    differentiable: [true],
    forward(e, [x], { axis }) {
      const { outer, n, inner } = split(x.shape, axis);
      const outShape = axis === null ? [] : x.shape.filter((_, k) => k !== axis);
      const y = e.empty(outShape);
      if (n === 0) throw new Error(`${name}: cannot reduce an empty axis of [${x.shape}]`);
      launchReduce(e.gpu, x.buffer, y.buffer, outer, n, inner, isMean ? 1 / n : 1);
      return { output: y };
    },
    backward(e, node, dy) {
      const x = node.inputs[0];
      const { n, inner } = split(x.shape, node.attrs.axis);
      const dx = e.empty(x.shape);
      launchBroadcastAxis(e.gpu, dy, dx, inner, n, isMean ? 1 / n : 1);
      return [dx];
    },
    reference: ([x], { axis }) => reduceRef(x, axis, isMean),
  });
}

export const sumOp = reduceOp('sum');
export const meanOp = reduceOp('mean');

export const sum = (x: Tensor<'f32'>, axis: number | null = null): Tensor<'f32'> => x.engine.apply(sumOp, [x], { axis }) as Tensor<'f32'>;
export const mean = (x: Tensor<'f32'>, axis: number | null = null): Tensor<'f32'> => x.engine.apply(meanOp, [x], { axis }) as Tensor<'f32'>;
