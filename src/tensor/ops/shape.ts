/**
 * Shape ops that move data: permute / transpose (materialised), strided slices along any
 * axes, concatenation along any axis, constant padding. All are dtype-agnostic copies
 * (strided.wgsl moves u32 bits) and differentiable for f32 inputs; each backward is
 * another of these copies (permute -> inverse permute, slice -> embed into zeros,
 * pad -> pad by the negated pads, concat -> block copies out of the gradient).
 */
import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import type { Engine } from '../engine';
import {
  concatRef,
  concatShape,
  normPermutation,
  padPerDim,
  padRef,
  permuteRef,
  sliceRef,
  sliceShape,
  type SliceAttrs,
} from '../reference/shape';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';
import { checkRank, dims, normAxis, sizeOfShape, stridesOf } from './layout';

export type { SliceAttrs } from '../reference/shape';

interface StridedArgs {
  n: number;
  rank?: number;
  offset?: number;
  value?: Uniform;
  block?: [blk: number, srcRow: number, srcOff: number, dstRow: number, dstOff: number];
  shape?: number[];
  stride?: number[];
  begin?: number[];
  step?: number[];
  inShape?: number[];
}

function params(a: StridedArgs): Uniform[] {
  const [blk, srcRow, srcOff, dstRow, dstOff] = a.block ?? [1, 0, 0, 0, 0];
  return [
    ['u32', a.n],
    ['u32', a.rank ?? 0],
    ['u32', a.offset ?? 0],
    a.value ?? ['u32', 0],
    ['u32', blk],
    ['u32', srcRow],
    ['u32', srcOff],
    ['u32', dstRow],
    ['u32', dstOff],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ...dims(a.shape ?? []),
    ...dims(a.stride ?? []),
    ...dims(a.begin ?? [], 'i32'),
    ...dims(a.step ?? []),
    ...dims(a.inShape ?? []),
  ];
}

/** y[c] = x[offset + sum_d c_d * stride_d] for y of `shape`. */
export function stridedCopy(e: Engine, x: Tensor, shape: number[], offset: number, stride: number[]): Tensor {
  checkRank(shape, 'strided copy');
  const y = e.empty(shape, x.dtype);
  e.gpu.dispatch(
    SHADERS.strided,
    'strided_copy',
    [x.buffer, y.buffer],
    grid1d(y.size),
    params({ n: y.size, rank: shape.length, offset, shape, stride }),
  );
  return y;
}

/** y of `shape` with x written at begin + k * step along every dim, `value` elsewhere. */
export function embed(e: Engine, x: Tensor, shape: number[], begin: number[], step: number[], value: number): Tensor {
  checkRank(shape, 'embed');
  const y = e.empty(shape, x.dtype);
  e.gpu.dispatch(
    SHADERS.strided,
    'embed',
    [x.buffer, y.buffer],
    grid1d(y.size),
    params({
      n: y.size,
      rank: shape.length,
      value: [x.dtype === 'f32' ? 'f32' : x.dtype, value],
      shape,
      stride: stridesOf(x.shape),
      begin,
      step,
      inShape: [...x.shape],
    }),
  );
  return y;
}

/** Rows of `blk` elements: dst[r * dstRow + dstOff + j] = src[r * srcRow + srcOff + j], `count` in all. */
function blockCopy(e: Engine, src: Tensor, dst: Tensor, count: number, block: NonNullable<StridedArgs['block']>): void {
  if (count === 0) return;
  e.gpu.dispatch(SHADERS.strided, 'block_copy', [src.buffer, dst.buffer], grid1d(count), params({ n: count, block }));
}

function permuteTensor(e: Engine, x: Tensor, p: number[]): Tensor {
  const xs = stridesOf(x.shape);
  return stridedCopy(
    e,
    x,
    p.map((d) => x.shape[d]),
    0,
    p.map((d) => xs[d]),
  );
}

export interface PermuteAttrs {
  dims: number[];
}

export const permuteOp = registerOp<PermuteAttrs>({
  name: 'permute',
  differentiable: [true],
  forward(e, [x], { dims: d }) {
    return { output: permuteTensor(e, x, normPermutation(d, x.rank)) };
  },
  backward(e, node, dy) {
    const p = normPermutation(node.attrs.dims, node.inputs[0].rank);
    const inv = new Array<number>(p.length);
    p.forEach((d, k) => (inv[d] = k));
    return [permuteTensor(e, dy, inv) as Tensor<'f32'>];
  },
  reference: ([x], { dims: d }) => permuteRef(x, d),
});

export const sliceOp = registerOp<SliceAttrs>({
  name: 'slice',
  differentiable: [true],
  forward(e, [x], at) {
    const shape = sliceShape(x.shape, at);
    const xs = stridesOf(x.shape);
    const offset = at.begin.reduce((o, b, d) => o + b * xs[d], 0);
    return {
      output: stridedCopy(
        e,
        x,
        shape,
        offset,
        at.step.map((s, d) => s * xs[d]),
      ),
    };
  },
  backward(e, node, dy) {
    const { begin, step } = node.attrs;
    return [embed(e, dy, [...node.inputs[0].shape], begin, step, 0) as Tensor<'f32'>];
  },
  reference: ([x], at) => sliceRef(x, at),
});

export interface PadAttrs {
  /** torch.nn.functional.pad order: [before_last, after_last, before_2nd_last, ...]; negative crops. */
  pads: number[];
  value: number;
}

export const padOp = registerOp<PadAttrs>({
  name: 'pad',
  differentiable: [true],
  forward(e, [x], { pads, value }) {
    const { before, shape } = padPerDim(x.shape, pads);
    return {
      output: embed(
        e,
        x,
        shape,
        before,
        before.map(() => 1),
        value,
      ),
    };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    const { before } = padPerDim(x.shape, node.attrs.pads);
    // dx[c] = dy[c + before]: a pad of dy by the negated pads, with zeros where x was cropped.
    return [
      embed(
        e,
        dy,
        [...x.shape],
        before.map((b) => -b),
        before.map(() => 1),
        0,
      ) as Tensor<'f32'>,
    ];
  },
  reference: ([x], { pads, value }) => padRef(x, pads, value),
});

export interface ConcatAttrs {
  axis: number;
}

/** Offsets of each input along the axis, and the block sizes of the [outer, n, inner] views. */
function concatPlan(xs: readonly Tensor[], axis: number) {
  const { axis: a, shape } = concatShape(
    xs.map((x) => x.shape),
    axis,
  );
  checkRank(shape, 'concat');
  const dtype = xs[0].dtype;
  if (xs.some((x) => x.dtype !== dtype)) throw new Error('concat: inputs differ in dtype');
  const inner = sizeOfShape(shape.slice(a + 1));
  const row = shape[a] * inner;
  let off = 0;
  const parts = xs.map((x) => {
    const p = { blk: x.shape[a] * inner, off: off * inner };
    off += x.shape[a];
    return p;
  });
  return { shape, row, parts, dtype };
}

/** Any number of inputs; `differentiable` covers up to this many. */
const MAX_CONCAT_INPUTS = 4096;

export const concatOp = registerOp<ConcatAttrs>({
  name: 'concat',
  differentiable: new Array<boolean>(MAX_CONCAT_INPUTS).fill(true),
  forward(e, xs, { axis }) {
    if (xs.length > MAX_CONCAT_INPUTS) throw new Error(`concat: more than ${MAX_CONCAT_INPUTS} inputs`);
    const { shape, row, parts, dtype } = concatPlan(xs, axis);
    const y = e.empty(shape, dtype);
    xs.forEach((x, k) => blockCopy(e, x, y, x.size, [parts[k].blk, parts[k].blk, 0, row, parts[k].off]));
    return { output: y };
  },
  backward(e, node, dy, needs) {
    const { row, parts } = concatPlan(node.inputs, node.attrs.axis);
    return node.inputs.map((x, k) => {
      if (!needs[k]) return null;
      const dx = e.empty(x.shape);
      blockCopy(e, dy, dx, x.size, [parts[k].blk, row, parts[k].off, parts[k].blk, 0]);
      return dx;
    });
  },
  reference: (xs, { axis }) => concatRef(xs, axis),
});

// ---- user functions -----------------------------------------------------------------

export const permute = <T extends Tensor>(x: T, order: readonly number[]): T => x.engine.apply(permuteOp, [x], { dims: [...order] }) as T;

/** Swaps two axes (a materialised copy, as torch's transpose(...).contiguous()). */
export function transpose<T extends Tensor>(x: T, a: number, b: number): T {
  const p = [...Array(x.rank).keys()];
  const i = normAxis(a, x.rank, 'transpose');
  const j = normAxis(b, x.rank, 'transpose');
  [p[i], p[j]] = [p[j], p[i]];
  return permute(x, p);
}

/** Python slice bounds: negative counts from the end, out-of-range clamps. */
function bound(v: number, n: number): number {
  const w = v < 0 ? v + n : v;
  return Math.min(Math.max(w, 0), n);
}

/** x[..., start:end:step, ...] on several axes at once (ONNX Slice style, step >= 1). */
export function sliceAxes<T extends Tensor>(
  x: T,
  axes: readonly number[],
  starts: readonly number[],
  ends: readonly number[],
  steps?: readonly number[],
): T {
  const begin = x.shape.map(() => 0);
  const end = [...x.shape];
  const step = x.shape.map(() => 1);
  axes.forEach((ax, k) => {
    const a = normAxis(ax, x.rank, 'slice');
    const n = x.shape[a];
    begin[a] = bound(starts[k], n);
    end[a] = Math.max(begin[a], bound(ends[k], n));
    step[a] = steps?.[k] ?? 1;
  });
  return x.engine.apply(sliceOp, [x], { begin, end, step }) as T;
}

/** x[..., start:end:step, ...] along one axis (Python semantics; step >= 1). */
export const slice = <T extends Tensor>(x: T, axis: number, start: number, end = Infinity, step = 1): T =>
  sliceAxes(x, [axis], [start], [end], [step]);

/** Concatenates any number of tensors along `axis` (negative allowed). */
export function concat<T extends Tensor>(xs: readonly T[], axis: number): T {
  if (xs.length === 0) throw new Error('concat: no inputs');
  return xs[0].engine.apply(concatOp, [...xs], { axis }) as T;
}

/** Constant padding, pads in torch.nn.functional.pad order (last dim first; negative crops). */
export const pad = <T extends Tensor>(x: T, pads: readonly number[], value = 0): T =>
  x.engine.apply(padOp, [x], { pads: [...pads], value }) as T;
