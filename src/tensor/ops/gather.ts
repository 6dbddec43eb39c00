/**
 * Gathers and deterministic scatter-adds along one axis with i32 indices (gather.wgsl):
 * indexSelect / indexAdd (1-D index, torch.index_select / index_add) and takeAlongAxis /
 * scatterAdd (an index per element, torch.gather / scatter_add). Indices outside
 * [0, size) — negative ones too — gather 0 and scatter nothing (a GPU-side guard; no error,
 * since the indices are not read back). Scatter is deterministic without atomics: one
 * thread per destination element loops over the K candidate sources along the axis, which
 * costs O(|base| * K) — fine for class-sized axes, slow for a large scatter into a large axis.
 * Each is the other's backward.
 */
import type { Uniform } from '../../gpu/context';
import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import type { Engine } from '../engine';
import { indexSelectRef, scatterAddRef, takeAlongAxisRef } from '../reference/gather';
import { registerOp } from '../registry';
import type { Tensor } from '../tensor';
import { checkRank, dims, normAxis, stridesOf } from './layout';

export interface AxisAttrs {
  axis: number;
}

type Mode = 0 | 1; // 0: one 1-D index for every position; 1: an index per element

function params(
  n: number,
  rank: number,
  axis: number,
  mode: Mode,
  axisLen: number,
  K: number,
  shape: readonly number[],
  aShape: readonly number[],
  aStride: number[],
): Uniform[] {
  return [
    ['u32', n],
    ['u32', rank],
    ['u32', axis],
    ['u32', mode],
    ['u32', axisLen],
    ['u32', K],
    ['u32', 0],
    ['u32', 0],
    ...dims(shape),
    ...dims(aShape),
    ...dims(aStride),
  ];
}

function checkIndex(index: Tensor, what: string): void {
  if (index.dtype !== 'i32') throw new Error(`${what}: the index must be an i32 tensor, got ${index.dtype}`);
}

/** The gathered shape; validates x, index and the axis. */
function gatherShape(x: Tensor, index: Tensor, axis: number, mode: Mode, what: string): { a: number; shape: number[] } {
  checkIndex(index, what);
  checkRank(x.shape, what);
  const a = normAxis(axis, x.rank, what);
  if (mode === 0) {
    if (index.rank !== 1) throw new Error(`${what}: the index must be 1-D, got [${index.shape}]`);
    const shape = [...x.shape];
    shape[a] = index.size;
    return { a, shape };
  }
  if (index.rank !== x.rank || index.shape.some((n, d) => d !== a && n > x.shape[d])) {
    throw new Error(`${what}: index [${index.shape}] must have x's rank and fit in [${x.shape}] off axis ${a}`);
  }
  return { a, shape: [...index.shape] };
}

export function gatherAlong(e: Engine, x: Tensor, index: Tensor, axis: number, mode: Mode): Tensor {
  const { a, shape } = gatherShape(x, index, axis, mode, mode === 0 ? 'indexSelect' : 'takeAlongAxis');
  const y = e.empty(shape, x.dtype);
  e.gpu.dispatch(
    SHADERS.gather,
    'gather_axis',
    [x.buffer, index.buffer, y.buffer],
    grid1d(y.size),
    params(y.size, x.rank, a, mode, x.shape[a], 0, shape, [], stridesOf(x.shape)),
  );
  return y;
}

export function scatterAlong(e: Engine, base: Tensor, index: Tensor, src: Tensor, axis: number, mode: Mode): Tensor<'f32'> {
  const what = mode === 0 ? 'indexAdd' : 'scatterAdd';
  checkIndex(index, what);
  checkRank(base.shape, what);
  if (base.dtype !== 'f32' || src.dtype !== 'f32') throw new Error(`${what}: base and src must be f32`);
  const a = normAxis(axis, base.rank, what);
  if (mode === 0) {
    const want = [...base.shape];
    want[a] = index.size;
    if (index.rank !== 1 || src.shape.join() !== want.join()) {
      throw new Error(`${what}: index [${index.shape}] must be 1-D and src [${src.shape}] be [${want}]`);
    }
  } else if (index.shape.join() !== src.shape.join() || src.rank !== base.rank || src.shape.some((n, d) => d !== a && n > base.shape[d])) {
    throw new Error(`${what}: index [${index.shape}] and src [${src.shape}] must agree and fit in [${base.shape}] off axis ${a}`);
  }
  const y = e.empty(base.shape);
  e.gpu.dispatch(
    SHADERS.gather,
    'scatter_add',
    [base.buffer, index.buffer, y.buffer, src.buffer],
    grid1d(y.size),
    params(y.size, base.rank, a, mode, base.shape[a], src.shape[a], base.shape, src.shape, stridesOf(src.shape)),
  );
  return y;
}

export const indexSelectOp = registerOp<AxisAttrs>({
  name: 'indexSelect',
  differentiable: [true, false],
  forward(e, [x, index], { axis }) {
    return { output: gatherAlong(e, x, index, axis, 0) };
  },
  backward(e, node, dy) {
    const [x, index] = node.inputs;
    const zeros = e.zeros(x.shape);
    const dx = scatterAlong(e, zeros, index, dy, node.attrs.axis, 0);
    zeros.dispose();
    return [dx, null];
  },
  reference: ([x, index], { axis }) => indexSelectRef(x, index, axis),
});

export const takeAlongAxisOp = registerOp<AxisAttrs>({
  name: 'takeAlongAxis',
  differentiable: [true, false],
  forward(e, [x, index], { axis }) {
    return { output: gatherAlong(e, x, index, axis, 1) };
  },
  backward(e, node, dy) {
    const [x, index] = node.inputs;
    const zeros = e.zeros(x.shape);
    const dx = scatterAlong(e, zeros, index, dy, node.attrs.axis, 1);
    zeros.dispose();
    return [dx, null];
  },
  reference: ([x, index], { axis }) => takeAlongAxisRef(x, index, axis),
});

function scatterOp(name: 'scatterAdd' | 'indexAdd', mode: Mode) {
  return registerOp<AxisAttrs>({
    name,
    differentiable: [true, false, true],
    forward(e, [base, index, src], { axis }) {
      return { output: scatterAlong(e, base, index, src, axis, mode) };
    },
    backward(e, node, dy, needs) {
      const index = node.inputs[1];
      // d base = dy passed through; d src[c] = dy at the element c was added into (0 if dropped).
      const dsrc = needs[2] ? (gatherAlong(e, dy, index, node.attrs.axis, mode) as Tensor<'f32'>) : null;
      return [needs[0] ? dy : null, null, dsrc];
    },
    reference: ([base, index, src], { axis }) => scatterAddRef(base, index, src, axis, mode === 1),
  });
}

export const scatterAddOp = scatterOp('scatterAdd', 1);
export const indexAddOp = scatterOp('indexAdd', 0);

// ---- user functions -----------------------------------------------------------------

type I = Tensor<'i32'>;

/** torch.index_select: out[..., k, ...] = x[..., index[k], ...] with a 1-D i32 index. */
export const indexSelect = <T extends Tensor>(x: T, axis: number, index: I): T => x.engine.apply(indexSelectOp, [x, index], { axis }) as T;
/** numpy take_along_axis: out[c] = x[c with c_axis = index[c]]; out has index's shape. */
export const takeAlongAxis = <T extends Tensor>(x: T, index: I, axis: number): T =>
  x.engine.apply(takeAlongAxisOp, [x, index], { axis }) as T;
/** torch.gather(x, axis, index): the same as takeAlongAxis. */
export const gather = <T extends Tensor>(x: T, axis: number, index: I): T => takeAlongAxis(x, index, axis);
/** torch.scatter_add: base + src added at [c with c_axis = index[c]]; index and src share a shape. */
export const scatterAdd = (base: Tensor<'f32'>, axis: number, index: I, src: Tensor<'f32'>): Tensor<'f32'> =>
  base.engine.apply(scatterAddOp, [base, index, src], { axis }) as Tensor<'f32'>;
/** torch.index_add: base + src[..., k, ...] added at [..., index[k], ...]. */
export const indexAdd = (base: Tensor<'f32'>, axis: number, index: I, src: Tensor<'f32'>): Tensor<'f32'> =>
  base.engine.apply(indexAddOp, [base, index, src], { axis }) as Tensor<'f32'>;
