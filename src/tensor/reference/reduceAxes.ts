import { checkRank, normAxes, sizeOfShape, stridesOf } from '../ops/layout';
import type { RefTensor } from '../registry';
import { forEachIndex } from './shape';

export type ReduceKind = 'sum' | 'mean' | 'max' | 'min' | 'var' | 'logsumexp' | 'argmax' | 'argmin';

export interface ReduceAxesAttrs {
  /** Axes to reduce (negative count from the end); null reduces all of them. */
  axes: number[] | null;
  keepdims: boolean;
  /** var only: divide by R - correction (torch's `correction`; 1 = unbiased, the default). */
  correction?: number;
}

/**
 * The split of x's dims into kept and reduced ones. Output o runs row-major over the kept
 * dims, r over the reduced dims (in axis order): argmax/argmin return that r.
 */
export function reducePlan(shape: readonly number[], axes: number[] | null, keepdims: boolean) {
  checkRank(shape, 'reduce');
  const red = normAxes(axes, shape.length, 'reduce');
  const kept = shape.map((_, d) => d).filter((d) => !red.includes(d));
  const outShape = keepdims ? shape.map((n, d) => (red.includes(d) ? 1 : n)) : kept.map((d) => shape[d]);
  const keptShape = kept.map((d) => shape[d]);
  const redShape = red.map((d) => shape[d]);
  return { red, kept, outShape, keptShape, redShape, outputs: sizeOfShape(keptShape), R: sizeOfShape(redShape) };
}

/** For every input element, its output o and reduced position r. */
export function reduceCoordinates(shape: readonly number[], plan: ReturnType<typeof reducePlan>): { o: Int32Array; r: Int32Array } {
  const ks = stridesOf(plan.keptShape);
  const rs = stridesOf(plan.redShape);
  const oStride = shape.map((_, d) => (plan.kept.includes(d) ? ks[plan.kept.indexOf(d)] : 0));
  const rStride = shape.map((_, d) => (plan.red.includes(d) ? rs[plan.red.indexOf(d)] : 0));
  const n = sizeOfShape(shape);
  const o = new Int32Array(n);
  const r = new Int32Array(n);
  forEachIndex(shape, (i, c) => {
    for (let d = 0; d < c.length; d++) {
      o[i] += c[d] * oStride[d];
      r[i] += c[d] * rStride[d];
    }
  });
  return { o, r };
}

export function reduceAxesRef(kind: ReduceKind, x: RefTensor, at: ReduceAxesAttrs): RefTensor {
  const plan = reducePlan(x.shape, at.axes, at.keepdims);
  const { outputs, R } = plan;
  const groups = Array.from({ length: outputs }, () => new Float64Array(R));
  const { o, r } = reduceCoordinates(x.shape, plan);
  for (let i = 0; i < x.data.length; i++) groups[o[i]][r[i]] = x.data[i];
  const data = new Float64Array(outputs);
  groups.forEach((v, k) => (data[k] = reduceValues(kind, v, at.correction ?? 1)));
  return { data, shape: plan.outShape };
}

function reduceValues(kind: ReduceKind, v: Float64Array, correction: number): number {
  const n = v.length;
  let s = 0;
  let hi = -Infinity;
  let lo = Infinity;
  for (const a of v) {
    s += a;
    hi = Math.max(hi, a);
    lo = Math.min(lo, a);
  }
  switch (kind) {
    case 'sum':
      return s;
    case 'mean':
      return s / n;
    case 'max':
      return hi;
    case 'min':
      return lo;
    case 'var': {
      const m = s / n;
      let q = 0;
      for (const a of v) q += (a - m) ** 2;
      return q / (n - correction);
    }
    case 'logsumexp': {
      let e = 0;
      for (const a of v) e += Math.exp(a - hi);
      return hi + Math.log(e);
    }
    case 'argmax':
    case 'argmin': {
      let best = 0;
      for (let k = 1; k < n; k++) if (kind === 'argmax' ? v[k] > v[best] : v[k] < v[best]) best = k;
      return best;
    }
  }
}
