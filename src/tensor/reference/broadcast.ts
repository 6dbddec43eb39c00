// Broadcasting geometry (NumPy / PyTorch rules) shared by the launchers, and the f64
// references of the broadcasting binary ops, comparisons, where and maskedFill.
import type { RefTensor } from '../registry';

/** The broadcast shape of two shapes: right-aligned, each axis equal or 1 on one side. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    const da = a[a.length - rank + k] ?? 1;
    const db = b[b.length - rank + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`shapes [${a}] and [${b}] do not broadcast (axis ${k}: ${da} vs ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Row-major element strides of `shape` seen through `out` (0 on broadcast axes). */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const pad = out.length - shape.length;
  const strides = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let k = out.length - 1; k >= pad; k--) {
    const d = shape[k - pad];
    strides[k] = d === 1 ? 0 : s;
    s *= d;
  }
  return strides;
}

/**
 * Collapses `out` and the stride lists of its operands: axes of length 1 are dropped and
 * neighbouring axes merge when every operand walks them contiguously (or all broadcast them),
 * so most calls reach the kernel with rank 1 or 2.
 */
export function collapse(out: readonly number[], strides: number[][]): { shape: number[]; strides: number[][] } {
  const shape: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let k = 0; k < out.length; k++) {
    if (out[k] === 1) continue;
    const last = shape.length - 1;
    const mergeable = last >= 0 && strides.every((s, j) => s[k] * out[k] === st[j][last]);
    if (mergeable) {
      // Walking axis k then the previous one in row-major order is one longer walk with stride s[k].
      shape[last] *= out[k];
      strides.forEach((s, j) => (st[j][last] = s[k]));
    } else {
      shape.push(out[k]);
      strides.forEach((s, j) => st[j].push(s[k]));
    }
  }
  return { shape, strides: st };
}

/** Calls fn(outIndex, offsets…) for every element of `out`, offsets following `strides`. */
function walk(out: readonly number[], strides: number[][], fn: (i: number, offs: number[]) => void): void {
  const n = out.reduce((a, b) => a * b, 1);
  const offs = strides.map(() => 0);
  for (let i = 0; i < n; i++) {
    let rem = i;
    offs.fill(0);
    for (let k = out.length - 1; k >= 0; k--) {
      const c = rem % out[k];
      rem = Math.floor(rem / out[k]);
      strides.forEach((s, j) => (offs[j] += c * s[k]));
    }
    fn(i, offs);
  }
}

export type BroadcastKind = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

const nanOr = (a: number, b: number, f: (a: number, b: number) => number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : f(a, b));

export const BROADCAST_REF: Record<BroadcastKind, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => nanOr(a, b, Math.max),
  minimum: (a, b) => nanOr(a, b, Math.min),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
};

export function broadcastBinaryRef(kind: BroadcastKind, a: RefTensor, b: RefTensor): RefTensor {
  const shape = broadcastShape(a.shape, b.shape);
  const f = BROADCAST_REF[kind];
  const data = new Float64Array(shape.reduce((x, y) => x * y, 1));
  walk(shape, [broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape)], (i, [ia, ib]) => {
    data[i] = f(a.data[ia], b.data[ib]);
  });
  return { data, shape };
}

/** where(cond, a, b): a where cond ≠ 0, else b; all three broadcast together. */
export function whereRef(cond: RefTensor, a: RefTensor, b: RefTensor): RefTensor {
  const shape = broadcastShape(broadcastShape(cond.shape, a.shape), b.shape);
  const data = new Float64Array(shape.reduce((x, y) => x * y, 1));
  const strides = [cond, a, b].map((t) => broadcastStrides(t.shape, shape));
  walk(shape, strides, (i, [ic, ia, ib]) => {
    data[i] = cond.data[ic] !== 0 ? a.data[ia] : b.data[ib];
  });
  return { data, shape };
}

/** maskedFill(x, mask, value): value where mask ≠ 0, else x; mask broadcasts to x's shape. */
export function maskedFillRef(x: RefTensor, mask: RefTensor, value: number): RefTensor {
  return whereRef(mask, { data: Float64Array.of(value), shape: [] }, x);
}

/** Sums `x` (of the broadcast shape) down to `shape`: the gradient of a broadcast. */
export function sumToShapeRef(x: RefTensor, shape: readonly number[]): RefTensor {
  const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
  walk(x.shape, [broadcastStrides(shape, x.shape)], (i, [j]) => {
    data[j] += x.data[i];
  });
  return { data, shape: [...shape] };
}
