import type { Uniform } from '../../gpu/context';

/** Rank the strided kernels address: their uniform blocks hold 8 dims (two vec4 each). */
export const MAX_RANK = 8;

export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Row-major strides in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** One axis, negative counting from the end (as torch). */
export function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${what}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Sorted distinct axes; null means every axis. */
export function normAxes(axes: readonly number[] | null, rank: number, what: string): number[] {
  if (axes === null) return [...Array(rank).keys()];
  const out = [...new Set(axes.map((a) => normAxis(a, rank, what)))].sort((a, b) => a - b);
  if (out.length !== axes.length) throw new Error(`${what}: repeated axis in [${axes}]`);
  return out;
}

export function checkRank(shape: readonly number[], what: string): void {
  if (shape.length > MAX_RANK) throw new Error(`${what}: rank ${shape.length} exceeds ${MAX_RANK}`);
}

/** `values` padded to MAX_RANK uniform slots (one array<vec4<u32|i32>, 2> field). */
export function dims(values: readonly number[], type: 'u32' | 'i32' = 'u32'): Uniform[] {
  const out: Uniform[] = [];
  for (let d = 0; d < MAX_RANK; d++) out.push([type, values[d] ?? (type === 'u32' ? 1 : 0)]);
  return out;
}
