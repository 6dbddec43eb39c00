/**
 * Reductions over any set of axes with keepdims: sum, mean, max, min, var, logsumexp,
 * argmax, argmin (see reduce_axes.wgsl). Deterministic: fixed chunking and tree order, no
 * atomics. max/min send the gradient to the single element argmax/argmin picks (the first
 * index among ties, as torch.max(x, dim) does; torch.amax would split it between ties).
 * NaN inputs are skipped by max/min/argmax/argmin rather than propagated (unlike torch).
 */
import type { GpuContext, Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import type { Engine } from '../engine';
import { reduceAxesRef, reducePlan, type ReduceAxesAttrs } from '../reference/reduceAxes';
import { registerOp, type OpDef } from '../registry';
import type { Tensor } from '../tensor';
import { dims, stridesOf } from './layout';

export type { ReduceAxesAttrs, ReduceKind } from '../reference/reduceAxes';

/** The input seen as outputs x R (see reduce_axes.wgsl). */
interface Layout {
  outputs: number;
  R: number;
  keptShape: number[];
  keptStride: number[];
  redShape: number[];
  redStride: number[];
}

interface Pass {
  combine: 0 | 1 | 2; // sum, max, min
  map: 0 | 1 | 2; // x, (x - aux)^2, exp(x - aux)
  finalize: 0 | 1 | 2; // v * scale, log(v) + aux, v
  scale: number;
  aux?: GPUBuffer;
  wantIdx: boolean;
}

const INIT = [0, -Infinity, Infinity];
/** Reductions this short, or this many outputs, take one thread per output (else a workgroup). */
const THREAD_MAX_R = 64;
const THREAD_MIN_OUTPUTS = 8192;
const THREAD_CHUNK = 1024;
const GROUP_CHUNK = 4096;

function uniforms(L: Layout, pass: Pass, chunk: number, chunks: number, idxIn: boolean, srcIdxOff: number, finalize: number): Uniform[] {
  return [
    ['u32', L.outputs],
    ['u32', L.R],
    ['u32', chunk],
    ['u32', chunks],
    ['u32', L.keptShape.length],
    ['u32', L.redShape.length],
    ['u32', pass.combine],
    ['u32', pass.map],
    ['u32', finalize],
    ['u32', +idxIn],
    ['u32', +pass.wantIdx],
    ['u32', srcIdxOff],
    ['u32', L.outputs * chunks],
    ['f32', pass.scale],
    ['f32', INIT[pass.combine]],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ...dims(L.keptShape),
    ...dims(L.keptStride),
    ...dims(L.redShape),
    ...dims(L.redStride),
    ...dims([]),
    ...dims([]),
    ...dims([]),
  ];
}

/**
 * Reduces src (laid out by L) into dst: [outputs] values, then [outputs] indices when
 * pass.wantIdx. Long reductions write [outputs, chunks] partials and recurse on them.
 */
function runReduce(g: GpuContext, src: GPUBuffer, L: Layout, pass: Pass, dst: GPUBuffer, idxIn = false, srcIdxOff = 0): void {
  if (L.outputs === 0) return;
  const threads = L.R <= THREAD_MAX_R || L.outputs >= THREAD_MIN_OUTPUTS;
  const chunk = threads ? THREAD_CHUNK : GROUP_CHUNK;
  const chunks = Math.max(1, Math.ceil(L.R / chunk));
  const last = chunks === 1;
  const target = last ? dst : g.alloc(L.outputs * chunks * (pass.wantIdx ? 2 : 1) * 4, 'reduce-axes-partials');
  const u = uniforms(L, pass, chunk, chunks, idxIn, srcIdxOff, last ? pass.finalize : 2);
  const buffers = [src, pass.aux ?? g.placeholder('read'), target];
  if (threads) g.dispatch(SHADERS.reduceAxes, 'reduce_thread', buffers, grid1d(L.outputs * chunks), u);
  else g.dispatch(SHADERS.reduceAxes, 'reduce_group', buffers, grid1d(L.outputs * chunks, 1), u);
  if (last) return;
  const partials: Layout = {
    outputs: L.outputs,
    R: chunks,
    keptShape: [L.outputs],
    keptStride: [chunks],
    redShape: [chunks],
    redStride: [1],
  };
  runReduce(g, target, partials, { ...pass, map: 0 }, dst, pass.wantIdx, L.outputs * chunks);
  g.release(target);
}

function layoutOf(shape: readonly number[], at: ReduceAxesAttrs) {
  const plan = reducePlan(shape, at.axes, at.keepdims);
  const xs = stridesOf(shape);
  const L: Layout = {
    outputs: plan.outputs,
    R: plan.R,
    keptShape: plan.keptShape,
    keptStride: plan.kept.map((d) => xs[d]),
    redShape: plan.redShape,
    redStride: plan.red.map((d) => xs[d]),
  };
  return { plan, L };
}

/** dx[i] = dy[o(i)] * f (see reduce_backward in reduce_axes.wgsl). */
function launchBackward(
  e: Engine,
  x: Tensor,
  at: ReduceAxesAttrs,
  dy: Tensor,
  bwd: 0 | 1 | 2 | 3,
  scale: number,
  bufs: { x?: GPUBuffer; aux?: GPUBuffer; idx?: GPUBuffer },
): Tensor<'f32'> {
  const { plan } = layoutOf(x.shape, at);
  const ks = stridesOf(plan.keptShape);
  const rs = stridesOf(plan.redShape);
  const oStride = x.shape.map((_, d) => (plan.kept.includes(d) ? ks[plan.kept.indexOf(d)] : 0));
  const rStride = x.shape.map((_, d) => (plan.red.includes(d) ? rs[plan.red.indexOf(d)] : 0));
  const dx = e.empty(x.shape);
  const g = e.gpu;
  const u: Uniform[] = [
    ['u32', plan.outputs],
    ['u32', plan.R],
    ['u32', 1],
    ['u32', 1],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ['u32', 0],
    ['f32', scale],
    ['f32', 0],
    ['u32', x.rank],
    ['u32', x.size],
    ['u32', bwd],
    ['u32', 0],
    ['u32', 0],
    ...dims([]),
    ...dims([]),
    ...dims([]),
    ...dims([]),
    ...dims(x.shape),
    ...dims(oStride),
    ...dims(rStride),
  ];
  const ph = g.placeholder('read');
  g.dispatch(
    SHADERS.reduceAxes,
    'reduce_backward',
    [bufs.x ?? ph, bufs.aux ?? ph, dx.buffer, dy.buffer, bufs.idx ?? ph],
    grid1d(x.size),
    u,
  );
  return dx;
}

function checkNonEmpty(kind: string, R: number, shape: readonly number[]): void {
  if (R === 0) throw new Error(`${kind}: cannot reduce an empty set of elements of [${shape}]`);
}

function sumLike(kind: 'sum' | 'mean'): OpDef<ReduceAxesAttrs> {
  return registerOp<ReduceAxesAttrs>({
    name: `${kind}Axes`,
    differentiable: [true],
    forward(e, [x], at) {
      const { plan, L } = layoutOf(x.shape, at);
      if (kind === 'mean') checkNonEmpty(kind, L.R, x.shape);
      const y = e.empty(plan.outShape);
      runReduce(e.gpu, x.buffer, L, { combine: 0, map: 0, finalize: 0, scale: kind === 'mean' ? 1 / L.R : 1, wantIdx: false }, y.buffer);
      return { output: y };
    },
    backward(e, node, dy) {
      const x = node.inputs[0];
      const { L } = layoutOf(x.shape, node.attrs);
      return [launchBackward(e, x, node.attrs, dy, 0, kind === 'mean' ? 1 / L.R : 1, {})];
    },
    reference: ([x], at) => reduceAxesRef(kind, x, at),
  });
}

/** Values and first-index positions of the max (or min) of every output. */
function extremum(e: Engine, x: Tensor, at: ReduceAxesAttrs, kind: 'max' | 'min') {
  const { plan, L } = layoutOf(x.shape, at);
  checkNonEmpty(kind, L.R, x.shape);
  const both = e.empty([2 * L.outputs], 'u32');
  runReduce(e.gpu, x.buffer, L, { combine: kind === 'max' ? 1 : 2, map: 0, finalize: 2, scale: 1, wantIdx: true }, both.buffer);
  const values = e.empty(plan.outShape);
  const index = e.empty(plan.outShape, 'i32');
  if (L.outputs) {
    e.gpu.copy(both.buffer, 0, values.buffer, 0, L.outputs * 4);
    e.gpu.copy(both.buffer, L.outputs * 4, index.buffer, 0, L.outputs * 4);
  }
  both.dispose();
  return { values, index };
}

function extremumOp(kind: 'max' | 'min'): OpDef<ReduceAxesAttrs> {
  return registerOp<ReduceAxesAttrs>({
    name: `${kind}Axes`,
    differentiable: [true],
    forward(e, [x], at) {
      const { values, index } = extremum(e, x, at, kind);
      return { output: values, saved: [index] };
    },
    backward(e, node, dy) {
      return [launchBackward(e, node.inputs[0], node.attrs, dy, 1, 1, { idx: node.saved[0].buffer })];
    },
    reference: ([x], at) => reduceAxesRef(kind, x, at),
  });
}

function argOp(kind: 'max' | 'min'): OpDef<ReduceAxesAttrs> {
  return registerOp<ReduceAxesAttrs>({
    name: `arg${kind}Axes`,
    differentiable: [false],
    forward(e, [x], at) {
      const { values, index } = extremum(e, x, at, kind);
      values.dispose();
      return { output: index };
    },
    backward() {
      throw new Error(`arg${kind} has no gradient`);
    },
    reference: ([x], at) => reduceAxesRef(kind === 'max' ? 'argmax' : 'argmin', x, at),
  });
}

export const sumAxesOp = sumLike('sum');
export const meanAxesOp = sumLike('mean');
export const maxAxesOp = extremumOp('max');
export const minAxesOp = extremumOp('min');
export const argmaxAxesOp = argOp('max');
export const argminAxesOp = argOp('min');

export const varAxesOp = registerOp<ReduceAxesAttrs>({
  name: 'varAxes',
  differentiable: [true],
  forward(e, [x], at) {
    const { plan, L } = layoutOf(x.shape, at);
    checkNonEmpty('var', L.R, x.shape);
    // Two passes (mean, then squared deviations from it): no cancellation of E[x²] - E[x]².
    const m = e.empty([L.outputs]);
    runReduce(e.gpu, x.buffer, L, { combine: 0, map: 0, finalize: 0, scale: 1 / L.R, wantIdx: false }, m.buffer);
    const y = e.empty(plan.outShape);
    const scale = 1 / (L.R - (at.correction ?? 1));
    runReduce(e.gpu, x.buffer, L, { combine: 0, map: 1, finalize: 0, scale, aux: m.buffer, wantIdx: false }, y.buffer);
    return { output: y, saved: [m] };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    const { L } = layoutOf(x.shape, node.attrs);
    const scale = 1 / (L.R - (node.attrs.correction ?? 1));
    return [launchBackward(e, x, node.attrs, dy, 2, scale, { x: x.buffer, aux: node.saved[0].buffer })];
  },
  reference: ([x], at) => reduceAxesRef('var', x, at),
});

export const logsumexpAxesOp = registerOp<ReduceAxesAttrs>({
  name: 'logsumexpAxes',
  differentiable: [true],
  forward(e, [x], at) {
    const { plan, L } = layoutOf(x.shape, at);
    checkNonEmpty('logsumexp', L.R, x.shape);
    // Stable: max first, then log(sum exp(x - max)) + max.
    const m = e.empty([L.outputs]);
    runReduce(e.gpu, x.buffer, L, { combine: 1, map: 0, finalize: 2, scale: 1, wantIdx: false }, m.buffer);
    const y = e.empty(plan.outShape);
    runReduce(e.gpu, x.buffer, L, { combine: 0, map: 2, finalize: 1, scale: 1, aux: m.buffer, wantIdx: false }, y.buffer);
    m.dispose();
    return { output: y };
  },
  backward(e, node, dy) {
    const x = node.inputs[0];
    return [launchBackward(e, x, node.attrs, dy, 3, 1, { x: x.buffer, aux: node.output.buffer })];
  },
  reference: ([x], at) => reduceAxesRef('logsumexp', x, at),
});

// ---- user functions -----------------------------------------------------------------

type T = Tensor<'f32'>;
type Axes = number | readonly number[] | null;
const axesOf = (a: Axes): number[] | null => (a === null ? null : typeof a === 'number' ? [a] : [...a]);
const run = (op: OpDef<ReduceAxesAttrs>, x: T, axes: Axes, keepdims: boolean, correction?: number) =>
  x.engine.apply(op, [x], { axes: axesOf(axes), keepdims, correction });

/** Sum over `axes` (an axis, a list, or null for all; negative allowed). */
export const sumAxes = (x: T, axes: Axes = null, keepdims = false): T => run(sumAxesOp, x, axes, keepdims) as T;
export const meanAxes = (x: T, axes: Axes = null, keepdims = false): T => run(meanAxesOp, x, axes, keepdims) as T;
/** Max over `axes`; the gradient goes to the first maximal element. */
export const maxAxes = (x: T, axes: Axes = null, keepdims = false): T => run(maxAxesOp, x, axes, keepdims) as T;
export const minAxes = (x: T, axes: Axes = null, keepdims = false): T => run(minAxesOp, x, axes, keepdims) as T;
/** Variance over `axes`, divided by R - correction (torch: correction = 1 is unbiased). */
export const varAxes = (x: T, axes: Axes = null, opts: { keepdims?: boolean; correction?: number; unbiased?: boolean } = {}): T =>
  run(varAxesOp, x, axes, opts.keepdims ?? false, opts.correction ?? (opts.unbiased === false ? 0 : 1)) as T;
export const logsumexp = (x: T, axes: Axes = null, keepdims = false): T => run(logsumexpAxesOp, x, axes, keepdims) as T;
/**
 * i32 position of the max over `axes` (first on ties, as torch): along one axis its index;
 * over several axes (or null = all) the row-major flat index within the reduced axes.
 */
export const argmax = (x: T, axes: Axes = null, keepdims = false): Tensor<'i32'> => run(argmaxAxesOp, x, axes, keepdims) as Tensor<'i32'>;
export const argmin = (x: T, axes: Axes = null, keepdims = false): Tensor<'i32'> => run(argminAxesOp, x, axes, keepdims) as Tensor<'i32'>;
