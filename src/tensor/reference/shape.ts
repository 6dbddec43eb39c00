import { normAxis, sizeOfShape, stridesOf } from '../ops/layout';
import type { RefTensor } from '../registry';

/** Calls fn(linear index, coordinates) for every element of `shape`, row-major. */
export function forEachIndex(shape: readonly number[], fn: (i: number, c: number[]) => void): void {
  const n = sizeOfShape(shape);
  const c = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    fn(i, c);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++c[d] < shape[d]) break;
      c[d] = 0;
    }
  }
}

export function offsetOf(c: readonly number[], strides: readonly number[]): number {
  let o = 0;
  for (let d = 0; d < c.length; d++) o += c[d] * strides[d];
  return o;
}

/** Validated permutation of 0..rank-1 (negative entries count from the end). */
export function normPermutation(dims: readonly number[], rank: number): number[] {
  if (dims.length !== rank) throw new Error(`permute: ${dims.length} dims for rank ${rank}`);
  const p = dims.map((d) => normAxis(d, rank, 'permute'));
  if (new Set(p).size !== rank) throw new Error(`permute: [${dims}] is not a permutation`);
  return p;
}

/** y[c] = x[c permuted]: y.shape[k] = x.shape[dims[k]]. */
export function permuteRef(x: RefTensor, dims: readonly number[]): RefTensor {
  const p = normPermutation(dims, x.shape.length);
  const shape = p.map((d) => x.shape[d]);
  const xs = stridesOf(x.shape);
  const data = new Float64Array(sizeOfShape(shape));
  forEachIndex(shape, (i, c) => {
    let o = 0;
    for (let k = 0; k < c.length; k++) o += c[k] * xs[p[k]];
    data[i] = x.data[o];
  });
  return { data, shape };
}

export interface SliceAttrs {
  /** Per dim, already resolved: 0 <= begin <= end <= size, step >= 1. */
  begin: number[];
  end: number[];
  step: number[];
}

export function sliceShape(shape: readonly number[], at: SliceAttrs): number[] {
  if (at.begin.length !== shape.length || at.end.length !== shape.length || at.step.length !== shape.length) {
    throw new Error(`slice: begin/end/step need ${shape.length} entries`);
  }
  return shape.map((n, d) => {
    const b = at.begin[d],
      e = at.end[d],
      s = at.step[d];
    if (!Number.isInteger(s) || s < 1) throw new Error(`slice: step ${s} must be a positive integer`);
    if (b < 0 || e > n || b > e) throw new Error(`slice: [${b}, ${e}) outside dim ${d} of size ${n}`);
    return Math.ceil((e - b) / s);
  });
}

export function sliceRef(x: RefTensor, at: SliceAttrs): RefTensor {
  const shape = sliceShape(x.shape, at);
  const xs = stridesOf(x.shape);
  const data = new Float64Array(sizeOfShape(shape));
  forEachIndex(shape, (i, c) => {
    data[i] =
      x.data[
        offsetOf(
          c.map((v, d) => at.begin[d] + v * at.step[d]),
          xs,
        )
      ];
  });
  return { data, shape };
}

export function concatShape(shapes: readonly (readonly number[])[], axis: number): { axis: number; shape: number[] } {
  if (shapes.length === 0) throw new Error('concat: no inputs');
  const r = shapes[0].length;
  const a = normAxis(axis, r, 'concat');
  for (const s of shapes) {
    if (s.length !== r || s.some((n, d) => d !== a && n !== shapes[0][d])) {
      throw new Error(`concat: [${s}] does not match [${shapes[0]}] off axis ${a}`);
    }
  }
  const shape = [...shapes[0]];
  shape[a] = shapes.reduce((t, s) => t + s[a], 0);
  return { axis: a, shape };
}

export function concatRef(xs: RefTensor[], axis: number): RefTensor {
  const { axis: a, shape } = concatShape(
    xs.map((x) => x.shape),
    axis,
  );
  const outer = sizeOfShape(shape.slice(0, a));
  const inner = sizeOfShape(shape.slice(a + 1));
  const data = new Float64Array(sizeOfShape(shape));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const blk = x.shape[a] * inner;
      data.set(x.data.subarray(o * blk, (o + 1) * blk), at);
      at += blk;
    }
  }
  return { data, shape };
}

/**
 * torch.nn.functional.pad ordering: pads = [before_last, after_last, before_2nd_last, ...],
 * covering the trailing pads.length / 2 dims. Negative pads crop.
 */
export function padPerDim(shape: readonly number[], pads: readonly number[]): { before: number[]; after: number[]; shape: number[] } {
  if (pads.length % 2 !== 0 || pads.length / 2 > shape.length) {
    throw new Error(`pad: ${pads.length} pad values for rank ${shape.length}`);
  }
  const r = shape.length;
  const before = new Array<number>(r).fill(0);
  const after = new Array<number>(r).fill(0);
  for (let k = 0; k < pads.length / 2; k++) {
    before[r - 1 - k] = pads[2 * k];
    after[r - 1 - k] = pads[2 * k + 1];
  }
  const out = shape.map((n, d) => n + before[d] + after[d]);
  if (out.some((n, d) => n < 0 || !Number.isInteger(before[d]) || !Number.isInteger(after[d]))) {
    throw new Error(`pad: pads [${pads}] do not fit [${shape}]`);
  }
  return { before, after, shape: out };
}

export function padRef(x: RefTensor, pads: readonly number[], value: number): RefTensor {
  const { before, shape } = padPerDim(x.shape, pads);
  const xs = stridesOf(x.shape);
  const data = new Float64Array(sizeOfShape(shape));
  forEachIndex(shape, (i, c) => {
    const src = c.map((v, d) => v - before[d]);
    data[i] = src.every((v, d) => v >= 0 && v < x.shape[d]) ? x.data[offsetOf(src, xs)] : value;
  });
  return { data, shape };
}
