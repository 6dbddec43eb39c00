/**
 * Segment reductions over CSR offsets (shaders/segment.wgsl): x [rows, cols] (or [rows]) and
 * offsets [segments + 1] (i32 or u32, non-decreasing) give y [segments, cols] (or [segments]).
 * Segment s is rows offsets[s] .. offsets[s+1]-1. Rows past offsets[segments] (or before
 * offsets[0]) are padding: they contribute nothing and receive a zero gradient.
 * Empty segments give 0 for sum, mean and max alike, and pass no gradient (there is no row
 * to pass it to). Max routes its gradient to the first row holding the maximum.
 */
import { grid1d } from '../../gpu/grid';
import type { Uniform } from '../../gpu/context';
import { SHADERS } from '../../gpu/shaders';
import { segmentReduceRef, segmentShape, type SegmentReduction } from '../reference/segment';
import { registerOp, type OpDef } from '../registry';
import type { Tensor } from '../tensor';

export type { SegmentReduction };

function params(segments: number, cols: number, rows: number, mean: boolean): Uniform[] {
  return [
    ['u32', segments],
    ['u32', cols],
    ['u32', rows],
    ['u32', mean ? 1 : 0],
  ];
}

function checkInputs(name: string, x: Tensor, offsets: Tensor) {
  if (x.dtype !== 'f32') throw new Error(`${name}: values must be f32, got ${x.dtype}`);
  if (offsets.dtype === 'f32') throw new Error(`${name}: offsets must be i32 or u32`);
  return segmentShape(x, offsets);
}

function segmentOp(kind: SegmentReduction): OpDef<Record<string, never>> {
  const name = `segment${kind[0].toUpperCase()}${kind.slice(1)}`;
  const isMax = kind === 'max';
  return registerOp<Record<string, never>>({
    name,
    differentiable: [true, false],
    forward(e, [x, offsets]) {
      const { rows, cols, segments, outShape } = checkInputs(name, x, offsets);
      const y = e.empty(outShape);
      const u = params(segments, cols, rows, kind === 'mean');
      if (!isMax) {
        e.gpu.dispatch(SHADERS.segment, 'segment_sum', [x.buffer, offsets.buffer, y.buffer], grid1d(y.size), u);
        return { output: y };
      }
      const argmax = e.empty(outShape, 'i32');
      e.gpu.dispatch(SHADERS.segment, 'segment_max', [x.buffer, offsets.buffer, y.buffer, argmax.buffer], grid1d(y.size), u);
      return { output: y, saved: [argmax] };
    },
    backward(e, node, dy) {
      const [x, offsets] = node.inputs;
      const { rows, cols, segments } = segmentShape(x, offsets);
      const dx = e.empty(x.shape);
      const u = params(segments, cols, rows, kind === 'mean');
      if (isMax) {
        e.gpu.dispatch(
          SHADERS.segment,
          'segment_max_backward',
          [dy.buffer, offsets.buffer, dx.buffer, node.saved[0].buffer],
          grid1d(dx.size),
          u,
        );
      } else {
        e.gpu.dispatch(SHADERS.segment, 'segment_sum_backward', [dy.buffer, offsets.buffer, dx.buffer], grid1d(dx.size), u);
      }
      return [dx, null];
    },
    reference: ([x, offsets]) => segmentReduceRef(x, offsets, kind),
  });
}

export const segmentSumOp = segmentOp('sum');
export const segmentMeanOp = segmentOp('mean');
export const segmentMaxOp = segmentOp('max');

export const SEGMENT_OPS: Record<SegmentReduction, OpDef<Record<string, never>>> = {
  sum: segmentSumOp,
  mean: segmentMeanOp,
  max: segmentMaxOp,
};

/** Pools the rows of x per segment: offsets [segments + 1] → [segments, cols]. */
export function segmentReduce(x: Tensor<'f32'>, offsets: Tensor<'i32'> | Tensor<'u32'>, kind: SegmentReduction): Tensor<'f32'> {
  return x.engine.apply(SEGMENT_OPS[kind], [x, offsets], {}) as Tensor<'f32'>;
}

export const segmentSum = (x: Tensor<'f32'>, offsets: Tensor<'i32'> | Tensor<'u32'>) => segmentReduce(x, offsets, 'sum');
export const segmentMean = (x: Tensor<'f32'>, offsets: Tensor<'i32'> | Tensor<'u32'>) => segmentReduce(x, offsets, 'mean');
export const segmentMax = (x: Tensor<'f32'>, offsets: Tensor<'i32'> | Tensor<'u32'>) => segmentReduce(x, offsets, 'max');
