import { normAxis, sizeOfShape } from '../ops/layout';
import type { RefTensor } from '../registry';

export interface SoftmaxAxisAttrs {
  axis: number;
  log: boolean;
}

/** x seen as [outer, n, inner] around `axis`. */
export function axisSplit(shape: readonly number[], axis: number) {
  const a = normAxis(axis, shape.length, 'softmax');
  return { outer: sizeOfShape(shape.slice(0, a)), n: shape[a], inner: sizeOfShape(shape.slice(a + 1)) };
}

/** Softmax (or log-softmax) along `axis`, stable (max subtracted). */
export function softmaxAxisRef(x: RefTensor, { axis, log }: SoftmaxAxisAttrs): RefTensor {
  const { outer, n, inner } = axisSplit(x.shape, axis);
  const data = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * n + j) * inner + i;
      let m = -Infinity;
      for (let j = 0; j < n; j++) m = Math.max(m, x.data[at(j)]);
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(x.data[at(j)] - m);
      for (let j = 0; j < n; j++) {
        const v = x.data[at(j)] - m;
        data[at(j)] = log ? v - Math.log(s) : Math.exp(v) / s;
      }
    }
  }
  return { data, shape: [...x.shape] };
}
