import { normAxis, sizeOfShape, stridesOf } from '../ops/layout';
import type { RefTensor } from '../registry';
import { forEachIndex, offsetOf } from './shape';

/** Out-of-range indices (negative included) gather 0 and scatter nothing. */
const inRange = (i: number, n: number) => Number.isInteger(i) && i >= 0 && i < n;

/** out[..., k, ...] = x[..., index[k], ...]; index is 1-D. */
export function indexSelectRef(x: RefTensor, index: RefTensor, axis: number): RefTensor {
  const a = normAxis(axis, x.shape.length, 'indexSelect');
  const shape = [...x.shape];
  shape[a] = index.data.length;
  const xs = stridesOf(x.shape);
  const data = new Float64Array(sizeOfShape(shape));
  forEachIndex(shape, (i, c) => {
    const j = index.data[c[a]];
    if (!inRange(j, x.shape[a])) return;
    const s = [...c];
    s[a] = j;
    data[i] = x.data[offsetOf(s, xs)];
  });
  return { data, shape };
}

/** torch.gather / numpy take_along_axis: out[c] = x[c with c_axis = index[c]]; out has index's shape. */
export function takeAlongAxisRef(x: RefTensor, index: RefTensor, axis: number): RefTensor {
  const a = normAxis(axis, x.shape.length, 'takeAlongAxis');
  const xs = stridesOf(x.shape);
  const data = new Float64Array(index.data.length);
  forEachIndex(index.shape, (i, c) => {
    const j = index.data[i];
    if (!inRange(j, x.shape[a])) return;
    const s = [...c];
    s[a] = j;
    data[i] = x.data[offsetOf(s, xs)];
  });
  return { data, shape: [...index.shape] };
}

/**
 * out = base; out[c with c_axis = index[c]] += src[c] for every c of src (torch.scatter_add),
 * or with a 1-D index: out[..., index[k], ...] += src[..., k, ...] (torch.index_add).
 */
export function scatterAddRef(base: RefTensor, index: RefTensor, src: RefTensor, axis: number, perElement: boolean): RefTensor {
  const a = normAxis(axis, base.shape.length, 'scatterAdd');
  const bs = stridesOf(base.shape);
  const data = Float64Array.from(base.data);
  forEachIndex(src.shape, (i, c) => {
    const j = index.data[perElement ? i : c[a]];
    if (!inRange(j, base.shape[a])) return;
    const s = [...c];
    s[a] = j;
    data[offsetOf(s, bs)] += src.data[i];
  });
  return { data, shape: [...base.shape] };
}
