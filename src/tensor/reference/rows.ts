import type { RefTensor } from '../registry';

/** Rows [start, start + count) of a tensor viewed as [rows, ...]. */
export function sliceRowsRef(x: RefTensor, start: number, count: number): RefTensor {
  const width = x.data.length / x.shape[0];
  return { data: x.data.slice(start * width, (start + count) * width), shape: [count, ...x.shape.slice(1)] };
}
