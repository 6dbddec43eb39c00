// f64 references of the segment reductions (shaders/segment.wgsl), same conventions:
// segment s = rows offsets[s] .. offsets[s+1]-1 of x viewed as [rows, cols]; rows outside
// [offsets[0], offsets[S]) are padding; an empty segment yields 0 (sum, mean and max alike).
import type { RefTensor } from '../registry';

export type SegmentReduction = 'sum' | 'mean' | 'max';

export function segmentShape(x: { shape: readonly number[] }, offsets: { shape: readonly number[] }) {
  if (x.shape.length !== 1 && x.shape.length !== 2) throw new Error(`segment ops take [rows] or [rows, cols], got [${x.shape}]`);
  if (offsets.shape.length !== 1 || offsets.shape[0] < 1) throw new Error(`segment offsets must be [segments + 1], got [${offsets.shape}]`);
  const rows = x.shape[0];
  const cols = x.shape.length === 2 ? x.shape[1] : 1;
  const segments = offsets.shape[0] - 1;
  const outShape = x.shape.length === 2 ? [segments, cols] : [segments];
  return { rows, cols, segments, outShape };
}

/** Row of the maximum per (segment, column), first row on ties, -1 for empty segments. */
export function segmentArgmaxRef(x: RefTensor, offsets: RefTensor): Int32Array {
  const { rows, cols, segments } = segmentShape(x, offsets);
  const arg = new Int32Array(segments * cols).fill(-1);
  for (let s = 0; s < segments; s++) {
    const start = Math.min(offsets.data[s], rows);
    const end = Math.max(Math.min(offsets.data[s + 1], rows), start);
    for (let c = 0; c < cols; c++) {
      for (let r = start; r < end; r++) {
        const a = arg[s * cols + c];
        if (a < 0 || x.data[r * cols + c] > x.data[a * cols + c]) arg[s * cols + c] = r;
      }
    }
  }
  return arg;
}

export function segmentReduceRef(x: RefTensor, offsets: RefTensor, kind: SegmentReduction): RefTensor {
  const { rows, cols, segments, outShape } = segmentShape(x, offsets);
  const out = new Float64Array(segments * cols);
  if (kind === 'max') {
    const arg = segmentArgmaxRef(x, offsets);
    for (let i = 0; i < out.length; i++) out[i] = arg[i] < 0 ? 0 : x.data[arg[i] * cols + (i % cols)];
    return { data: out, shape: outShape };
  }
  for (let s = 0; s < segments; s++) {
    const start = Math.min(offsets.data[s], rows);
    const end = Math.max(Math.min(offsets.data[s + 1], rows), start);
    for (let r = start; r < end; r++) {
      for (let c = 0; c < cols; c++) out[s * cols + c] += x.data[r * cols + c];
    }
    if (kind === 'mean' && end > start) for (let c = 0; c < cols; c++) out[s * cols + c] /= end - start;
  }
  return { data: out, shape: outShape };
}
